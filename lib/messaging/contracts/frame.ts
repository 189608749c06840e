/**
 * Tokenline frame, version 1: how a message with binary content (an image, the bytes of a
 * dead-lettered record) travels as one Kafka record value without base64.
 *
 *   content-type: application/vnd.tokenline.frame.v1
 *
 *   offset      size   field
 *   0           4      H, header length in bytes, unsigned 32-bit big-endian
 *   4           H      header: UTF-8 JSON object, validated by the topic's contract
 *   4 + H       rest   body: raw bytes, length = value length − 4 − H (may be 0)
 *
 * Messages without binary content are plain UTF-8 JSON (`content-type: application/json`), so
 * kcat and other Kafka tools show them as text. Every record also carries the Kafka headers
 * `tokenline-schema` (e.g. `tokenline.escalation`), `tokenline-schema-version` (e.g. `1`) and
 * `content-type`; a consumer rejects a record whose headers name another schema or version.
 */
import { MessagingError } from '../errors.ts'

export const frameContentType = 'application/vnd.tokenline.frame.v1'
export const jsonContentType = 'application/json'

const headerLengthBytes = 4

/** Packs a JSON-serialisable header and a body into one frame. */
export function encodeFrame(header: unknown, body: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8')
  const frame = Buffer.allocUnsafe(headerLengthBytes + json.length + body.length)
  frame.writeUInt32BE(json.length, 0)
  json.copy(frame, headerLengthBytes)
  frame.set(body, headerLengthBytes + json.length)
  return frame
}

/**
 * Splits a frame into its parsed JSON header and its body (a view into `frame`, not a copy).
 * Throws `MESSAGING_MESSAGE_INVALID` for a truncated frame or a header that is not a JSON object.
 */
export function decodeFrame(frame: Buffer): { header: unknown; body: Buffer } {
  if (frame.length < headerLengthBytes) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `frame: expected at least ${headerLengthBytes} bytes (header length) but received ${frame.length}`,
    )
  }
  const headerLength = frame.readUInt32BE(0)
  const available = frame.length - headerLengthBytes
  if (headerLength > available) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `frame: header length says ${headerLength} bytes but only ${available} follow`,
    )
  }
  const header = parseJson(
    frame.subarray(headerLengthBytes, headerLengthBytes + headerLength),
    'frame header',
  )
  return { header, body: frame.subarray(headerLengthBytes + headerLength) }
}

/** Parses UTF-8 JSON, turning a syntax error into `MESSAGING_MESSAGE_INVALID` naming `what`. */
export function parseJson(bytes: Buffer, what: string): unknown {
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `${what}: expected UTF-8 JSON but received ${bytes.length} bytes that do not parse (${(err as Error).message})`,
    )
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `${what}: expected a JSON object but received ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
    )
  }
  return parsed
}
