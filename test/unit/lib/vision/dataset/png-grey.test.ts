import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { encodeGreyPng } from '../../../../../lib/vision/dataset/png-grey.ts'

describe('encodeGreyPng', () => {
  it('round-trips through sharp as an 8-bit, 1-channel PNG', async () => {
    const w = 7
    const h = 5
    const data = Uint8Array.from({ length: w * h }, (_, i) => (i * 37) % 256)
    const png = encodeGreyPng(w, h, data)
    const meta = await sharp(png).metadata()
    expect(meta).toMatchObject({ format: 'png', width: w, height: h, channels: 1, depth: 'uchar' })
    const { data: back } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true })
    expect([...back]).toEqual([...data])
  })

  it('refuses a sample count that does not match width·height', () => {
    expect(() => encodeGreyPng(4, 4, new Uint8Array(15))).toThrow(/16 samples/)
  })
})
