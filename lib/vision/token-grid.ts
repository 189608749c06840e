/**
 * Token grid tensors (the contract between lib/vision, training/ and the ONNX models).
 *
 *   budget N = g², patch side p, channels C (1 grey 'b-w', 3 sRGB); image resized to S×S, S = g·p
 *   tokens  [B, N, p·p·C] row-major, one image = N·p·p·C values
 *     token t = r·g + c             (row-major over the grid; r = grid row, c = grid column)
 *     element (y, x, ch) of token t at offset (y·p + x)·C + ch
 *     ⇒ source pixel (row r·p + y, column c·p + x), channel ch of the resized image
 *   u8 form: the resized sample as is (what `npm run tokenize` writes to tokens_n{N}.u8)
 *   float32 form: (u8 / 255 − mean[ch]) / std[ch]   (what the ONNX input `tokens` takes)
 * Decoding, colour conversion and the resize kernel are fixed in decode.ts.
 */
import { decodeSquare } from './decode.ts'
import { checkSpec, type TokenGridSpec } from './spec.ts'

export type TokenGridU8 = {
  /** N·p·p·C samples, layout above. */
  tokens: Uint8Array
  grid: number
  budget: number
  /** Source size after EXIF orientation, px. */
  width: number
  height: number
}

export type TokenGrid = Omit<TokenGridU8, 'tokens'> & { tokens: Float32Array }

/** Rearranges a row-major S×S×C image (S = g·p) into the token layout. */
export function imageToTokens(
  image: Uint8Array,
  grid: number,
  patchSize: number,
  channels: number,
): Uint8Array {
  const p = patchSize
  const side = grid * p
  const rowBytes = p * channels
  const out = new Uint8Array(side * side * channels)
  let o = 0
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      for (let y = 0; y < p; y++) {
        let s = ((r * p + y) * side + c * p) * channels
        for (let k = 0; k < rowBytes; k++) out[o++] = image[s++]!
      }
    }
  }
  return out
}

/**
 * Decodes `bytes` and returns the un-normalised u8 token grid for `spec`.
 * @throws VisionError see decodeSquare and checkSpec.
 */
export async function tokenizeImageU8(bytes: Uint8Array, spec: TokenGridSpec): Promise<TokenGridU8> {
  const grid = checkSpec(spec)
  const decoded = await decodeSquare(bytes, grid * spec.patchSize, spec.channels, spec)
  return {
    tokens: imageToTokens(decoded.data, grid, spec.patchSize, spec.channels),
    grid,
    budget: spec.budget,
    width: decoded.width,
    height: decoded.height,
  }
}

/**
 * (u8 / 255 − mean[ch]) / std[ch] for every sample; the channel is the offset modulo C.
 * Writes into `out` when given (e.g. a slice of a batch tensor) and returns it.
 */
export function normaliseTokens(
  u8: Uint8Array,
  spec: Pick<TokenGridSpec, 'channels' | 'mean' | 'std'>,
  out: Float32Array = new Float32Array(u8.length),
): Float32Array {
  const C = spec.channels
  const lut = new Float32Array(256 * C)
  for (let ch = 0; ch < C; ch++) {
    const mean = spec.mean[spec.mean.length === 1 ? 0 : ch]!
    const std = spec.std[spec.std.length === 1 ? 0 : ch]!
    for (let v = 0; v < 256; v++) lut[ch * 256 + v] = (v / 255 - mean) / std
  }
  if (C === 1) {
    for (let i = 0; i < u8.length; i++) out[i] = lut[u8[i]!]!
  } else {
    for (let i = 0; i < u8.length; i++) out[i] = lut[(i % C) * 256 + u8[i]!]!
  }
  return out
}

/**
 * Decodes `bytes` into the normalised float32 token grid for `spec` (one image of the
 * [B, N, p·p·C] batch).
 * @throws VisionError VISION_IMAGE_INVALID | VISION_IMAGE_TOO_LARGE | VISION_IMAGE_UNSUPPORTED |
 *   VISION_BUDGET_UNSUPPORTED | VISION_SPEC_INVALID
 */
export async function tokenizeImage(bytes: Uint8Array, spec: TokenGridSpec): Promise<TokenGrid> {
  const u8 = await tokenizeImageU8(bytes, spec)
  return { ...u8, tokens: normaliseTokens(u8.tokens, spec) }
}
