/**
 * Reads test/fixtures/bad-input/corpus.json and turns its cases into bytes: image files, Kafka
 * records mutated from a real record of their topic, GraphQL request bodies, policy inputs.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

export const corpusDir = resolve(import.meta.dirname, '../../fixtures/bad-input')

export type ImageCase = {
  id: string
  file: string
  contentType: string
  tries: string
  /** Edge HTTP only: the `line` parameter instead of the test's line (null: none). */
  line?: string | null
  /** Edge HTTP only: a `question` parameter; `{ "$repeat": s, "times": n }` expands to s × n. */
  question?: unknown
  /** Edge HTTP only: zero bytes appended to the file up to this many bytes. */
  padTo?: number
  expect: {
    edge: { status: number; code?: string }
    /** `done`, or the code the reason file of failed/ starts with; absent: not tried there. */
    folder?: string
    gateway?: 'accepted' | { code: string; edgeCode?: string }
  }
}

export type KafkaTopicAlias = 'results' | 'escalations' | 'verdicts' | 'policies'

export type KafkaCase = {
  id: string
  topic: KafkaTopicAlias
  tries: string
  mutate: {
    headers?: Record<string, string>
    dropHeaders?: boolean
    delete?: string[]
    set?: Record<string, unknown>
    pad?: { path: string; bytes: number }
    /** `short`: a body of 10 bytes whatever the header declares (framed records). */
    body?: 'short'
    valueFile?: string
    valueText?: string
    valueHex?: string
    tombstone?: boolean
  }
  /**
   * `dlq`: the code every consumer of the topic (or only `groups`) dead-letters it with, or a code
   * per consumer (`{ "cloud": …, "gateway": … }`); `produce`: the broker refuses it; `stored`:
   * accepted, the gateway stores the inspection.
   */
  expect:
    | { dlq: string | Record<string, string>; groups?: string[] }
    | { produce: 'refused' }
    | { stored: true }
}

export type GraphqlCase = {
  id: string
  tries: string
  query?: string
  operationName?: string
  variables?: Record<string, unknown>
  /** Replaces `@@` in the query (or a variable equal to "@@") with `unit` × `times`; `{i}` in unit is the index. */
  expand?: { unit: string; times: number }
  rawBody?: string
  /** `ws`: the code of the first error, `accepted`, or `closed:<close code>`; absent: not tried over WebSocket. */
  expect: { http: { status: number; code?: string }; ws?: string }
}

export type PolicyCase = {
  id: string
  tries: string
  /** Dotted paths into the valid policy input; `{ "$repeat": s, "times": n }` expands to s × n. */
  set: Record<string, unknown>
  reason?: string
  lineId?: string
  expect: 'accepted' | { code: string; field?: string }
}

export type Corpus = {
  images: ImageCase[]
  kafka: KafkaCase[]
  graphql: GraphqlCase[]
  policies: PolicyCase[]
}

export function loadCorpus(): Corpus {
  return JSON.parse(readFileSync(join(corpusDir, 'corpus.json'), 'utf8')) as Corpus
}

export function corpusFile(name: string): Buffer {
  return readFileSync(join(corpusDir, name))
}

/** Every data file under the corpus folder (not the index or the generator), relative to it. */
export function corpusFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? walk(path) : [relative(corpusDir, path)]
    })
  return walk(corpusDir).filter((f) => f !== 'corpus.json' && f !== 'make-corpus.ts')
}

function expanded(c: GraphqlCase): string {
  const { unit, times } = c.expand!
  return Array.from({ length: times }, (_, i) => unit.replaceAll('{i}', String(i))).join('')
}

/** The JSON body of a GraphQL case (raw bodies are sent as they are). */
export function graphqlPayload(c: GraphqlCase): {
  query: string
  operationName?: string
  variables?: Record<string, unknown>
} {
  const fill = c.expand ? expanded(c) : ''
  const query = (c.query ?? '').replace('@@', fill)
  const variables = c.variables
    ? Object.fromEntries(Object.entries(c.variables).map(([k, v]) => [k, v === '@@' ? fill : v]))
    : undefined
  return {
    query,
    ...(c.operationName ? { operationName: c.operationName } : {}),
    ...(variables ? { variables } : {}),
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let at: Record<string, unknown> = target
  for (const part of parts.slice(0, -1)) {
    if (typeof at[part] !== 'object' || at[part] === null) at[part] = {}
    at = at[part] as Record<string, unknown>
  }
  at[parts[parts.length - 1]!] = value
}

function deletePath(target: Record<string, unknown>, path: string): void {
  const parts = path.split('.')
  let at: Record<string, unknown> | undefined = target
  for (const part of parts.slice(0, -1)) at = at?.[part] as Record<string, unknown> | undefined
  if (at) delete at[parts[parts.length - 1]!]
}

export function repeatValue(value: unknown): unknown {
  const r = value as { $repeat?: unknown; times?: unknown } | null
  return r && typeof r === 'object' && typeof r.$repeat === 'string' && typeof r.times === 'number'
    ? r.$repeat.repeat(r.times)
    : value
}

/** The valid policy input with the case's paths set. */
export function policyWith(base: Record<string, unknown>, c: PolicyCase): Record<string, unknown> {
  const policy = structuredClone(base)
  for (const [path, value] of Object.entries(c.set)) setPath(policy, path, repeatValue(value))
  return policy
}

/** A record of a topic as consumed: the value and headers as text. */
export type RawRecord = { value: Buffer | null; headers: Record<string, string> }

/** Whether a record's value is a tokenline frame (`[u32 header length][JSON header][body]`). */
function isFramed(r: RawRecord): boolean {
  return r.headers['content-type'] === 'application/vnd.tokenline.frame.v1'
}

function split(r: RawRecord): { json: Record<string, unknown>; body: Buffer | undefined } {
  const value = r.value!
  if (!isFramed(r)) return { json: JSON.parse(value.toString('utf8')), body: undefined }
  const length = value.readUInt32BE(0)
  return {
    json: JSON.parse(value.subarray(4, 4 + length).toString('utf8')),
    body: value.subarray(4 + length),
  }
}

function join2(json: Record<string, unknown>, body: Buffer | undefined): Buffer {
  const text = Buffer.from(JSON.stringify(json), 'utf8')
  if (body === undefined) return text
  const length = Buffer.alloc(4)
  length.writeUInt32BE(text.length)
  return Buffer.concat([length, text, body])
}

/**
 * A copy of `template` (a valid record of the topic) with a fresh inspection id, `overrides`
 * set (e.g. the line), then the case's mutations applied; `undefined` mutation = a valid control.
 */
export function kafkaRecord(
  template: RawRecord,
  mutate: KafkaCase['mutate'] | undefined,
  overrides: Record<string, unknown> = {},
): RawRecord & { inspectionId: string | undefined } {
  const { json, body } = split(template)
  const inspectionId = 'inspectionId' in json ? randomUUID() : undefined
  if (inspectionId) json.inspectionId = inspectionId
  for (const [path, value] of Object.entries(overrides)) setPath(json, path, value)
  let headers = { ...template.headers }
  let outBody = body
  const m = mutate ?? {}
  for (const path of m.delete ?? []) deletePath(json, path)
  for (const [path, value] of Object.entries(m.set ?? {})) setPath(json, path, value)
  if (m.pad) setPath(json, m.pad.path, 'x'.repeat(m.pad.bytes))
  if (m.body === 'short') outBody = Buffer.alloc(10, 7)
  if (m.headers) headers = { ...headers, ...m.headers }
  if (m.dropHeaders) headers = {}
  let value: Buffer | null = join2(json, outBody)
  if (m.valueFile !== undefined) value = corpusFile(m.valueFile)
  if (m.valueText !== undefined) value = Buffer.from(m.valueText, 'utf8')
  if (m.valueHex !== undefined) value = Buffer.from(m.valueHex, 'hex')
  if (m.tombstone) value = null
  return { value, headers, inspectionId }
}
