import { isTokenlineError } from '../../../../lib/errors/index.ts'
import { sniffImageFormat } from '../../../../lib/vision/index.ts'
import { EdgeError } from '../errors.ts'

/** Content types the ingest API takes, and the format their bytes must have. */
export const acceptedContentTypes = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/webp': 'webp',
} as const
export type AcceptedContentType = keyof typeof acceptedContentTypes

/** File extensions of the watched folder, mapped to the content type they declare. */
export const extensionTypes: Record<string, AcceptedContentType> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
}

/**
 * Cheap checks before any decoding: a declared type the edge takes, a non-empty body, and bytes
 * whose magic number is that type. Decoding errors come later (see `fromVisionError`).
 */
export function checkImage(bytes: Uint8Array, contentType: string | undefined): AcceptedContentType {
  const declared = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  if (!(declared in acceptedContentTypes)) {
    throw new EdgeError(
      'EDGE_UNSUPPORTED_TYPE',
      `expected Content-Type image/png, image/jpeg or image/webp but received ${declared === '' ? 'none' : JSON.stringify(declared)}`,
    )
  }
  if (bytes.length === 0)
    throw new EdgeError('EDGE_IMAGE_EMPTY', 'expected image bytes but the body is empty (0 bytes)')
  const type = declared as AcceptedContentType
  const sniffed = sniffImageFormat(bytes)
  if (sniffed === undefined) {
    throw new EdgeError(
      'EDGE_NOT_AN_IMAGE',
      `expected ${acceptedContentTypes[type]} image bytes but the ${bytes.length} bytes received start with no known image signature`,
    )
  }
  if (sniffed !== acceptedContentTypes[type]) {
    throw new EdgeError(
      'EDGE_UNSUPPORTED_TYPE',
      `expected ${acceptedContentTypes[type]} bytes for Content-Type ${type} but received a ${sniffed} image`,
    )
  }
  return type
}

/** Maps a decoding failure of bytes that passed `checkImage` to the edge's code; other errors pass through. */
export function fromVisionError(err: unknown): unknown {
  if (!isTokenlineError(err)) return err
  switch (err.code) {
    case 'VISION_IMAGE_INVALID':
      return new EdgeError(
        'EDGE_IMAGE_TRUNCATED',
        `the image could not be decoded (truncated or corrupt): ${err.message}`,
        { cause: err },
      )
    case 'VISION_IMAGE_TOO_LARGE':
      return new EdgeError('EDGE_IMAGE_TOO_MANY_PIXELS', err.message, { cause: err })
    case 'VISION_IMAGE_UNSUPPORTED':
      return new EdgeError('EDGE_IMAGE_ANIMATED', err.message, { cause: err })
    default:
      return err
  }
}
