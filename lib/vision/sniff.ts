/**
 * Image format from the first bytes (magic numbers), before any decoder sees them:
 *   png   89 50 4E 47 0D 0A 1A 0A
 *   jpeg  FF D8 FF
 *   webp  "RIFF" ???? "WEBP"
 *   gif   "GIF87a" | "GIF89a"
 *   tiff  "II*\0" | "MM\0*"
 * Lets a service tell "not an image at all" from "an image that is truncated or corrupt", and
 * check a declared Content-Type against the bytes, without parsing error text.
 */
export type SniffedFormat = 'png' | 'jpeg' | 'webp' | 'gif' | 'tiff'

export function sniffImageFormat(bytes: Uint8Array): SniffedFormat | undefined {
  const b = bytes
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    b[1] === 0x50 &&
    b[2] === 0x4e &&
    b[3] === 0x47 &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  )
    return 'png'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg'
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp'
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif'
  if (
    b.length >= 4 &&
    ((b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a && b[3] === 0) ||
      (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && b[3] === 0x2a))
  )
    return 'tiff'
  return undefined
}

function ascii(b: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...b.subarray(start, start + length))
}
