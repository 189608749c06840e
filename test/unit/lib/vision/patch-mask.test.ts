import { describe, expect, it } from 'vitest'
import { maskCoverage } from '../../../../lib/vision/index.ts'

describe('maskCoverage', () => {
  it('is the fraction of mask pixels per patch ×255, token order r·g + c', () => {
    const w = 8
    const mask = new Uint8Array(w * w)
    mask[0] = 255
    for (let y = 4; y < 8; y++) for (let x = 4; x < 8; x++) mask[y * w + x] = 255
    expect([...maskCoverage(mask, w, w, 2)]).toEqual([Math.round(255 / 16), 0, 0, 255])
  })

  it('weights partial pixels by overlap when the size is not a multiple of the grid', () => {
    const mask = new Uint8Array(3 * 3)
    mask[4] = 255
    // 3 px over 2 cells: each cell covers the middle pixel over half its width → 0.5·0.5/(1.5·1.5) = 1/9.
    expect([...maskCoverage(mask, 3, 3, 2)]).toEqual([28, 28, 28, 28])
  })

  it('treats values <= 127 as background', () => {
    expect([...maskCoverage(Uint8Array.from([127, 128, 0, 0]), 2, 2, 1)]).toEqual([64])
  })
})
