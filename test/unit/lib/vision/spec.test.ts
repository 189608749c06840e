import { describe, expect, it } from 'vitest'
import { type ModelManifestV1, modelManifestV1 } from '../../../../lib/contracts/model-manifest.v1.ts'
import { gridSide, specFromManifest, VisionError } from '../../../../lib/vision/index.ts'

const manifest: ModelManifestV1 = modelManifestV1.parse({
  schema: 'tokenline.model-manifest.v1',
  name: 'edge-test',
  role: 'edge',
  sha256: 'a'.repeat(64),
  labels: ['ok', 'scratch'],
  patchSize: 8,
  channels: 1,
  colorSpace: 'b-w',
  normalisation: { mean: [0.5], std: [0.25] },
  budgets: [16, 64, 256],
})

describe('specFromManifest', () => {
  it('copies patch size, channels and normalisation for a listed budget', () => {
    expect(specFromManifest(manifest, 64, { maxInputPixels: 1000 })).toEqual({
      budget: 64,
      patchSize: 8,
      channels: 1,
      mean: [0.5],
      std: [0.25],
      maxInputPixels: 1000,
    })
  })

  it('refuses a budget the manifest does not list with VISION_BUDGET_UNSUPPORTED', () => {
    let caught: unknown
    try {
      specFromManifest(manifest, 1024)
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(VisionError)
    expect((caught as VisionError).code).toBe('VISION_BUDGET_UNSUPPORTED')
    expect((caught as VisionError).message).toContain('[16, 64, 256]')
  })

  it('refuses normalisation whose length matches neither 1 nor the channel count', () => {
    const bad = { ...manifest, channels: 3 as const, normalisation: { mean: [0.5, 0.5], std: [0.25] } }
    expect(() => specFromManifest(bad, 16)).toThrow(/mean/)
  })
})

describe('gridSide', () => {
  it('is √N for perfect squares and undefined otherwise', () => {
    expect([1, 16, 64, 256, 1024].map(gridSide)).toEqual([1, 4, 8, 16, 32])
    expect([0, -4, 15, 2.25, Number.NaN].map(gridSide)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })
})
