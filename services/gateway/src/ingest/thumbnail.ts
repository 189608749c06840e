import sharp from 'sharp'
import type { EscalationImageV1 } from '../../../../lib/messaging/index.ts'
import { IngestError } from './errors.ts'

/** Longest side of a stored thumbnail (px); smaller images keep their size. */
export const THUMBNAIL_MAX_PX = 96

/**
 * A PNG of at most 96×96 px (aspect kept) of the image an escalation carried: raw HWC bytes in
 * the model's colour space, or a PNG/JPEG file. Throws INGEST_RECORD_REJECTED when sharp cannot
 * read it (the record is dead-lettered, the case itself is still stored from its result).
 */
export async function thumbnailPng(image: EscalationImageV1): Promise<Buffer> {
  try {
    const input =
      image.encoding === 'raw'
        ? sharp(image.bytes, { raw: { width: image.width, height: image.height, channels: image.channels } })
        : sharp(image.bytes)
    return await input
      .resize({ width: THUMBNAIL_MAX_PX, height: THUMBNAIL_MAX_PX, fit: 'inside', withoutEnlargement: true })
      .png({ compressionLevel: 9 })
      .toBuffer()
  } catch (err) {
    throw new IngestError(
      'INGEST_RECORD_REJECTED',
      `escalation image (${image.encoding} ${image.width}×${image.height}×${image.channels}, ${image.bytes.length} bytes) could not be read: ${(err as Error).message}`,
      false,
      { cause: err },
    )
  }
}
