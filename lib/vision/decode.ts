/**
 * Decoding for token grids, the one place that calls sharp on untrusted bytes.
 *
 * Pipeline (fixed; training tensors and serving both go through it):
 *   metadata check (size in bytes, pixel count, animation) → rotate() by EXIF orientation →
 *   flatten any alpha onto black → colour space 'b-w' (1 channel) or 'srgb' (3), 8 bits per sample
 *   (CMYK and 16-bit inputs are converted, not refused) → resize to side×side with the
 *   `resizeKernel` kernel, fit 'fill' (aspect ratio is not kept: the whole field of view is used),
 *   fastShrinkOnLoad off so JPEG and PNG sources of the same pixels give close results.
 * Output: raw u8, row-major, `channels` interleaved samples per pixel.
 */
import sharp, { type Metadata, type SharpOptions } from 'sharp'
import { describeValue } from '../errors/index.ts'
import { VisionError } from './errors.ts'
import { defaultMaxInputBytes, defaultMaxInputPixels } from './spec.ts'

/**
 * Raster formats accepted. Vector and document formats (SVG, PDF) are refused: they are not
 * camera images and their render cost does not follow from their pixel count.
 */
export const acceptedFormats = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'heif'] as const

/** The resize kernel used everywhere (sharp's Mitchell–Netravali cubic). */
export const resizeKernel = 'mitchell' as const

export type DecodeLimits = { maxInputPixels?: number; maxInputBytes?: number }

export type DecodedSquare = {
  data: Buffer
  /** Width and height of the source after EXIF orientation, px. */
  width: number
  height: number
}

function wrapSharpError(err: unknown): VisionError {
  const message = err instanceof Error ? err.message : String(err)
  if (/pixel limit/i.test(message)) {
    return new VisionError(
      'VISION_IMAGE_TOO_LARGE',
      `expected an image within the pixel limit but ${message}`,
      {
        cause: err,
      },
    )
  }
  return new VisionError(
    'VISION_IMAGE_INVALID',
    `expected a decodable PNG/JPEG/WebP/GIF/TIFF image but ${message}`,
    {
      cause: err,
    },
  )
}

/**
 * Decodes `bytes` and resizes to `side`×`side` in the target colour space.
 * @throws VisionError VISION_IMAGE_INVALID (empty, not an image, truncated or corrupt),
 *   VISION_IMAGE_TOO_LARGE (bytes or pixels over the limits), VISION_IMAGE_UNSUPPORTED (animated).
 */
export async function decodeSquare(
  bytes: Uint8Array,
  side: number,
  channels: 1 | 3,
  limits: DecodeLimits = {},
): Promise<DecodedSquare> {
  const maxPixels = limits.maxInputPixels ?? defaultMaxInputPixels
  const maxBytes = limits.maxInputBytes ?? defaultMaxInputBytes
  if (!(bytes instanceof Uint8Array)) {
    throw new VisionError(
      'VISION_IMAGE_INVALID',
      `expected image bytes in a Buffer but received ${describeValue(bytes)}`,
    )
  }
  if (bytes.length === 0) {
    throw new VisionError('VISION_IMAGE_INVALID', 'expected image bytes but received a buffer of 0 bytes')
  }
  if (bytes.length > maxBytes) {
    throw new VisionError(
      'VISION_IMAGE_TOO_LARGE',
      `expected at most ${maxBytes} bytes of image but received ${bytes.length} bytes`,
    )
  }
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'truncated' }
  let meta: Metadata
  try {
    meta = await sharp(bytes, options).metadata()
  } catch (err) {
    throw wrapSharpError(err)
  }
  if (!(acceptedFormats as readonly string[]).includes(meta.format)) {
    throw new VisionError(
      'VISION_IMAGE_UNSUPPORTED',
      `expected one of ${acceptedFormats.join(', ')} but received ${meta.format}`,
    )
  }
  if (meta.width === undefined || meta.height === undefined) {
    throw new VisionError(
      'VISION_IMAGE_INVALID',
      `expected image dimensions but ${meta.format ?? 'the input'} has none`,
    )
  }
  if (meta.width * meta.height > maxPixels) {
    throw new VisionError(
      'VISION_IMAGE_TOO_LARGE',
      `expected at most ${maxPixels} pixels but received ${meta.width}×${meta.height} = ${meta.width * meta.height}`,
    )
  }
  if ((meta.pages ?? 1) > 1) {
    throw new VisionError(
      'VISION_IMAGE_UNSUPPORTED',
      `expected a single still image but received ${meta.format} with ${meta.pages} frames/pages`,
    )
  }
  const oriented = meta.autoOrient ?? { width: meta.width, height: meta.height }
  try {
    let pipeline = sharp(bytes, options).rotate().flatten({ background: '#000000' })
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb')
    const { data, info } = await pipeline
      .resize(side, side, { kernel: resizeKernel, fit: 'fill', fastShrinkOnLoad: false })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (
      info.channels !== channels ||
      info.width !== side ||
      info.height !== side ||
      data.length !== side * side * channels
    ) {
      throw new VisionError(
        'VISION_IMAGE_UNSUPPORTED',
        `expected ${side}×${side}×${channels} u8 after conversion but sharp produced ${info.width}×${info.height}×${info.channels}`,
      )
    }
    return { data, width: oriented.width, height: oriented.height }
  } catch (err) {
    if (err instanceof VisionError) throw err
    throw wrapSharpError(err)
  }
}

/** A rectangle of the oriented source image, as fractions of its width and height in [0, 1]. */
export type RelativeRegion = { left: number; top: number; width: number; height: number }

/**
 * Decodes `bytes` and returns only `region` of it, resized to `side`×`side` in the target colour
 * space (same orientation, alpha, colour and kernel rules as `decodeSquare`; the crop is taken at
 * the source's full resolution, so a region keeps every pixel the camera saw).
 * @throws VisionError as decodeSquare; VISION_SPEC_INVALID for a region outside [0, 1].
 */
export async function decodeRegion(
  bytes: Uint8Array,
  region: RelativeRegion,
  side: number,
  channels: 1 | 3,
  limits: DecodeLimits = {},
): Promise<DecodedSquare> {
  const { left, top, width, height } = region
  if (
    !(
      left >= 0 &&
      top >= 0 &&
      width > 0 &&
      height > 0 &&
      left + width <= 1 + 1e-9 &&
      top + height <= 1 + 1e-9
    )
  ) {
    throw new VisionError(
      'VISION_SPEC_INVALID',
      `expected a region inside [0, 1]² for region but received ${JSON.stringify(region)}`,
    )
  }
  // Validates size, pixel count and frames exactly as decodeSquare does (1 px output is cheap).
  const checked = await decodeSquare(bytes, 1, channels, limits)
  const options: SharpOptions = {
    limitInputPixels: limits.maxInputPixels ?? defaultMaxInputPixels,
    failOn: 'truncated',
  }
  try {
    let pipeline = sharp(bytes, options).rotate().flatten({ background: '#000000' })
    pipeline = channels === 1 ? pipeline.toColourspace('b-w') : pipeline.toColourspace('srgb')
    const full = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    const W = full.info.width
    const H = full.info.height
    const x0 = Math.min(W - 1, Math.floor(left * W))
    const y0 = Math.min(H - 1, Math.floor(top * H))
    const x1 = Math.max(x0 + 1, Math.min(W, Math.ceil((left + width) * W)))
    const y1 = Math.max(y0 + 1, Math.min(H, Math.ceil((top + height) * H)))
    const { data, info } = await sharp(full.data, {
      raw: { width: W, height: H, channels: full.info.channels },
    })
      .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
      .resize(side, side, { kernel: resizeKernel, fit: 'fill' })
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.channels !== channels || data.length !== side * side * channels) {
      throw new VisionError(
        'VISION_IMAGE_UNSUPPORTED',
        `expected ${side}×${side}×${channels} u8 after conversion but sharp produced ${info.width}×${info.height}×${info.channels}`,
      )
    }
    return { data, width: checked.width, height: checked.height }
  } catch (err) {
    if (err instanceof VisionError) throw err
    throw wrapSharpError(err)
  }
}
