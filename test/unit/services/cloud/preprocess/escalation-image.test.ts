import { join } from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { type LoadedModel, loadModel } from '../../../../../lib/inference/index.ts'
import type { EscalationImageV1 } from '../../../../../lib/messaging/index.ts'
import { specFromManifest, tokenizeImage } from '../../../../../lib/vision/index.ts'
import { CloudError } from '../../../../../services/cloud/src/errors.ts'
import {
  chooseBudget,
  escalationTokens,
} from '../../../../../services/cloud/src/preprocess/escalation-image.ts'

let model: LoadedModel

beforeAll(async () => {
  model = await loadModel(join(import.meta.dirname, '../../../../fixtures/models/tiny-cloud'))
})

function grey(side: number): Buffer {
  const bytes = Buffer.alloc(side * side)
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + (i >> 5) * 11) % 256
  return bytes
}

const raw = (side: number, bytes: Buffer, channels: 1 | 3 = 1): EscalationImageV1 => ({
  encoding: 'raw',
  width: side,
  height: side,
  channels,
  colorSpace: channels === 1 ? 'b-w' : 'srgb',
  bytes,
})

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!))
  return max
}

describe('chooseBudget', () => {
  it('keeps a served budget, else the next larger one, else the largest', () => {
    expect(chooseBudget([4, 16, 64], 16)).toBe(16)
    expect(chooseBudget([64, 4, 16], 9)).toBe(16)
    expect(chooseBudget([4, 16, 64], 256)).toBe(64)
    expect(chooseBudget([4, 16, 64], 1)).toBe(4)
  })
})

describe('escalationTokens', () => {
  it('raw pixels at the budget size give the same tokens as lib/vision on the same pixels', async () => {
    const bytes = grey(32)
    const png = await sharp(bytes, { raw: { width: 32, height: 32, channels: 1 } })
      .png()
      .toBuffer()
    const expected = (await tokenizeImage(png, specFromManifest(model.manifest, 64))).tokens
    const tokens = await escalationTokens(raw(32, bytes), model.manifest, 64)
    expect(tokens.length).toBe(64 * 16)
    expect(maxDiff(tokens, expected)).toBeLessThan(1e-6)
  })

  it('resizes raw pixels of another size, and decodes PNG, close to lib/vision (one grey level)', async () => {
    const bytes = grey(64)
    const png = await sharp(bytes, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toBuffer()
    const expected = (await tokenizeImage(png, specFromManifest(model.manifest, 16))).tokens
    const fromRaw = await escalationTokens(raw(64, bytes), model.manifest, 16)
    const fromPng = await escalationTokens(
      { encoding: 'png', width: 64, height: 64, channels: 1, colorSpace: 'b-w', bytes: png },
      model.manifest,
      16,
    )
    const oneGreyLevel = 1 / 255 / model.manifest.normalisation.std[0]! + 1e-6
    expect(maxDiff(fromRaw, expected)).toBeLessThanOrEqual(oneGreyLevel)
    expect(maxDiff(fromPng, expected)).toBeLessThan(1e-6)
  })

  it('converts sRGB raw pixels to the grey colour space of the model', async () => {
    const rgb = Buffer.alloc(16 * 16 * 3, 200)
    const tokens = await escalationTokens(raw(16, rgb, 3), model.manifest, 16)
    const expected = (200 / 255 - 0.5) / 0.25
    expect(maxDiff(tokens, new Float32Array(tokens.length).fill(expected))).toBeLessThanOrEqual(
      1 / 255 / 0.25 + 1e-6,
    )
  })

  it('refuses bytes that are not an image with the non-retriable CLOUD_IMAGE_INVALID', async () => {
    const err = await escalationTokens(
      { encoding: 'jpeg', width: 32, height: 32, channels: 1, colorSpace: 'b-w', bytes: Buffer.from('nope') },
      model.manifest,
      64,
    ).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(CloudError)
    expect((err as CloudError).code).toBe('CLOUD_IMAGE_INVALID')
    expect((err as CloudError).retriable).toBe(false)
    expect((err as CloudError).message).toMatch(
      /expected a jpeg image convertible to tiny-cloud's 32×32×1 grid/,
    )
  })
})
