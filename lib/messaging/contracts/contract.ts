/**
 * A message contract binds one topic to one versioned payload schema and its wire encoding
 * (plain JSON, or the binary frame of `frame.ts` when the message carries bytes). Producers
 * encode through it and consumers decode through it, so both sides validate the same schema.
 */
import type { z } from 'zod'
import { MessagingError } from '../errors.ts'
import { decodeFrame, encodeFrame, frameContentType, jsonContentType, parseJson } from './frame.ts'

/** Kafka header names every tokenline record carries. */
export const schemaHeader = 'tokenline-schema'
export const schemaVersionHeader = 'tokenline-schema-version'
export const contentTypeHeader = 'content-type'

/** Record headers as kafkajs hands them to consumers. */
export type IncomingHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>

export type EncodedMessage = { value: Buffer; headers: Record<string, string> }

export type MessageContract<T> = {
  /** Kafka topic, e.g. `tokenline.escalations.v1`. */
  readonly topic: string
  /** Schema name carried in the `tokenline-schema` header, e.g. `tokenline.escalation`. */
  readonly schema: string
  readonly version: number
  readonly contentType: string
  /** Validates and encodes; throws `MESSAGING_MESSAGE_INVALID` naming every bad field. */
  encode(message: T): EncodedMessage
  /** Checks headers, decodes and validates; throws `MESSAGING_MESSAGE_INVALID` (not retriable). */
  decode(value: Buffer | null, headers: IncomingHeaders | undefined): T
}

/** The message type a contract carries. */
export type MessageOf<C> = C extends MessageContract<infer T> ? T : never

type Identity = { topic: string; schema: string; version: number }

/** A contract whose record value is the UTF-8 JSON of the schema's output. */
export function defineJsonContract<S extends z.ZodType>(
  identity: Identity & { payload: S },
): MessageContract<z.output<S>> {
  const { payload } = identity
  return {
    topic: identity.topic,
    schema: identity.schema,
    version: identity.version,
    contentType: jsonContentType,
    encode(message) {
      const valid = validate(payload, message, identity, 'encode')
      return {
        value: Buffer.from(JSON.stringify(valid), 'utf8'),
        headers: headersFor(identity, jsonContentType),
      }
    },
    decode(value, headers) {
      checkHeaders(identity, jsonContentType, headers)
      const parsed = parseJson(requireValue(identity, value), `${identity.schema} v${identity.version}`)
      return validate(payload, parsed, identity, 'decode')
    },
  }
}

/**
 * A contract whose record value is a frame: the JSON `header` schema plus raw `body` bytes.
 * `split` takes a message apart for the wire; `join` puts it back together after validation.
 */
export function defineFramedContract<H extends z.ZodType, T>(
  identity: Identity & {
    header: H
    split: (message: T) => { header: z.input<H>; body: Uint8Array }
    join: (header: z.output<H>, body: Buffer) => T
    /** Cross-checks header against body (e.g. declared length); returns a problem or undefined. */
    checkBody?: (header: z.output<H>, body: Uint8Array) => string | undefined
  },
): MessageContract<T> {
  const check = (header: z.output<H>, body: Uint8Array, side: 'encode' | 'decode') => {
    const problem = identity.checkBody?.(header, body)
    if (problem !== undefined) {
      throw new MessagingError(
        'MESSAGING_MESSAGE_INVALID',
        `${identity.schema} v${identity.version} (${side}): ${problem}`,
      )
    }
  }
  return {
    topic: identity.topic,
    schema: identity.schema,
    version: identity.version,
    contentType: frameContentType,
    encode(message) {
      const { header, body } = identity.split(message)
      if (!(body instanceof Uint8Array)) {
        throw new MessagingError(
          'MESSAGING_MESSAGE_INVALID',
          `${identity.schema} v${identity.version} (encode): expected the body as a Buffer or Uint8Array but received ${typeof body}`,
        )
      }
      const valid = validate(identity.header, header, identity, 'encode')
      check(valid, body, 'encode')
      return { value: encodeFrame(valid, body), headers: headersFor(identity, frameContentType) }
    },
    decode(value, headers) {
      checkHeaders(identity, frameContentType, headers)
      const frame = decodeFrame(requireValue(identity, value))
      const valid = validate(identity.header, frame.header, identity, 'decode')
      check(valid, frame.body, 'decode')
      return identity.join(valid, frame.body)
    },
  }
}

function headersFor(identity: Identity, contentType: string): Record<string, string> {
  return {
    [schemaHeader]: identity.schema,
    [schemaVersionHeader]: String(identity.version),
    [contentTypeHeader]: contentType,
  }
}

/** The last value of a header as text, or undefined. */
export function headerText(headers: IncomingHeaders | undefined, name: string): string | undefined {
  const raw = headers?.[name]
  const last = Array.isArray(raw) ? raw[raw.length - 1] : raw
  return last === undefined ? undefined : Buffer.isBuffer(last) ? last.toString('utf8') : last
}

function checkHeaders(identity: Identity, contentType: string, headers: IncomingHeaders | undefined): void {
  const expected: [string, string][] = [
    [schemaHeader, identity.schema],
    [schemaVersionHeader, String(identity.version)],
    [contentTypeHeader, contentType],
  ]
  const problems = expected.flatMap(([name, want]) => {
    const got = headerText(headers, name)
    return got === want
      ? []
      : [
          `header ${name}: expected ${JSON.stringify(want)} but received ${got === undefined ? 'nothing' : JSON.stringify(got)}`,
        ]
  })
  if (problems.length > 0) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `${identity.schema} v${identity.version} on ${identity.topic}: ${problems.join('; ')}`,
    )
  }
}

function requireValue(identity: Identity, value: Buffer | null): Buffer {
  if (value === null) {
    throw new MessagingError(
      'MESSAGING_MESSAGE_INVALID',
      `${identity.schema} v${identity.version} on ${identity.topic}: expected a record value but received a null (tombstone)`,
    )
  }
  return value
}

function validate<S extends z.ZodType>(
  schema: S,
  data: unknown,
  identity: Identity,
  side: 'encode' | 'decode',
): z.output<S> {
  const result = schema.safeParse(data)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(message)'
    return `${path}: ${issue.message}; received ${describeAt(data, issue.path)}`
  })
  throw new MessagingError(
    'MESSAGING_MESSAGE_INVALID',
    `${identity.schema} v${identity.version} (${side}) is invalid:\n  - ${problems.join('\n  - ')}`,
  )
}

function describeAt(data: unknown, path: PropertyKey[]): string {
  let node: unknown = data
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return 'nothing'
    node = (node as Record<PropertyKey, unknown>)[key]
  }
  if (node === undefined) return 'nothing'
  const text = JSON.stringify(node)
  if (text === undefined) return typeof node
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}
