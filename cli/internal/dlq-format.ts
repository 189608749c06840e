import { decodeFrame, frameContentType } from '../../lib/messaging/index.ts'
import type { DlqFilter } from './dlq-options.ts'
import type { DlqRecord } from './dlq-reader.ts'

/** Header names a redrive adds to the republished record. */
export const redrivenFromHeader = 'tokenline-redriven-from'
export const redrivenAtHeader = 'tokenline-redriven-at'
export const redriveCountHeader = 'tokenline-redrive-count'
/**
 * The record a redrive stands for, `<topic>:<partition>:<offset>` of the first record that was
 * dead-lettered: set at the first redrive and kept by later ones, so every dead letter of one
 * original record (several consumer groups, a redrive that failed again) is known as one.
 */
export const redriveOriginHeader = 'tokenline-redrive-origin'

/** Most payload bytes `show` previews as hex and base64 (the size is always printed whole). */
export const previewBytes = 256

/** Longest reason on a `list` line, in characters (`--json` and `show` carry it whole). */
const reasonChars = 160

export function matches(record: DlqRecord, filter: DlqFilter): boolean {
  const { letter } = record
  if (filter.topic === undefined && filter.code === undefined && filter.since === undefined) return true
  if (letter === undefined) return false
  if (filter.topic !== undefined && letter.original.topic !== filter.topic) return false
  if (filter.code !== undefined && letter.error.code !== filter.code) return false
  if (filter.since !== undefined && Date.parse(letter.deadLetteredAt) < filter.since.getTime()) return false
  return true
}

/** `list --json`: one object per dead letter. */
export function summary(record: DlqRecord): Record<string, unknown> {
  const { letter } = record
  const dlq = { partition: record.partition, offset: record.offset }
  if (letter === undefined) return { dlq, undecodable: record.problem }
  return {
    dlq,
    deadLetteredAt: letter.deadLetteredAt,
    original: {
      topic: letter.original.topic,
      partition: letter.original.partition,
      offset: letter.original.offset,
      key: letter.original.key,
    },
    consumerGroup: letter.consumerGroup,
    code: letter.error.code,
    retriable: letter.error.retriable,
    attempts: letter.error.attempts,
    reason: letter.error.message,
    payloadBytes: letter.original.valueNull ? null : letter.value.length,
    redrivenFrom: letter.original.headers[redrivenFromHeader] ?? null,
    redriveCount: Number(letter.original.headers[redriveCountHeader] ?? 0),
  }
}

export const listHeader = 'DLQ\tDEAD-LETTERED AT\tORIGINAL\tGROUP\tCODE\tRETRIABLE\tBYTES\tREASON'

/** One tab-separated `list` line. */
export function listLine(record: DlqRecord): string {
  const at = `${record.partition}:${record.offset}`
  const { letter } = record
  if (letter === undefined)
    return `${at}\t-\t-\t-\t-\t-\t-\tnot a dead-letter envelope: ${oneLine(record.problem ?? '')}`
  const o = letter.original
  const redriven = o.headers[redrivenFromHeader]
  const reason = `${redriven === undefined ? '' : `[redriven from ${redriven}] `}${oneLine(letter.error.message)}`
  return [
    at,
    letter.deadLetteredAt,
    `${o.topic}/${o.partition}@${o.offset}`,
    letter.consumerGroup,
    letter.error.code,
    letter.error.retriable ? 'yes' : 'no',
    o.valueNull ? 'null' : String(letter.value.length),
    reason.length > reasonChars ? `${reason.slice(0, reasonChars - 1)}…` : reason,
  ].join('\t')
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ')
}

/** `show`: the whole envelope, the DLQ record's key, and the payload decoded as far as it goes. */
export function showDocument(record: DlqRecord): Record<string, unknown> {
  const { letter } = record
  const dlq = { partition: record.partition, offset: record.offset, key: keyText(record.key) }
  if (letter === undefined) return { dlq, undecodable: record.problem }
  const { value, ...envelope } = letter
  return {
    dlq,
    ...envelope,
    payload: letter.original.valueNull
      ? { encoding: 'null' }
      : decodePayload(Buffer.from(value.buffer, value.byteOffset, value.byteLength), letter.original.headers),
  }
}

function keyText(key: Buffer | null): unknown {
  if (key === null) return null
  const text = key.toString('utf8')
  return Buffer.from(text, 'utf8').equals(key) ? text : { hex: key.toString('hex') }
}

/**
 * JSON when the bytes parse as JSON; a tokenline frame's JSON header and a preview of its body;
 * otherwise a hex and base64 preview of the first `previewBytes` bytes.
 */
export function decodePayload(bytes: Buffer, headers: Record<string, string>): Record<string, unknown> {
  if (headers['content-type'] === frameContentType) {
    try {
      const { header, body } = decodeFrame(bytes)
      return { encoding: 'frame', bytes: bytes.length, header, body: preview(body) }
    } catch {
      // Not a frame after all (that may be why it was dead-lettered): fall through to the bytes.
    }
  }
  const text = bytes.toString('utf8')
  if (Buffer.from(text, 'utf8').equals(bytes)) {
    try {
      return { encoding: 'json', bytes: bytes.length, json: JSON.parse(text) }
    } catch {
      // Text that is not JSON: shown as bytes, like any other.
    }
  }
  return { encoding: 'bytes', ...preview(bytes) }
}

function preview(bytes: Buffer): Record<string, unknown> {
  const head = bytes.subarray(0, previewBytes)
  return {
    bytes: bytes.length,
    previewBytes: head.length,
    truncated: head.length < bytes.length,
    hex: head.toString('hex'),
    base64: head.toString('base64'),
  }
}
