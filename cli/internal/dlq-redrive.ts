import {
  dlqTopicV1,
  escalationV1,
  type MessageContract,
  platformTopics,
  policiesTopicV1,
  policiesTopicV2,
  resultV1,
  verdictV1,
  verdictV2,
} from '../../lib/messaging/index.ts'
import {
  redriveCountHeader,
  redrivenAtHeader,
  redrivenFromHeader,
  redriveOriginHeader,
} from './dlq-format.ts'
import type { DlqRecord } from './dlq-reader.ts'

/** A record ready for `MessageProducer.publishEncoded`. */
export type Redrive = {
  from: string
  topic: string
  key: Buffer | null
  value: Buffer
  headers: Record<string, string>
}

/** Contracts of the topics a redrive may write to, to warn when a payload would fail again. */
const contracts: readonly MessageContract<unknown>[] = [escalationV1, resultV1, verdictV1, verdictV2]

/** Why `record` must not be redriven, or undefined when it may. */
export function redriveRefusal(record: DlqRecord): string | undefined {
  const { letter } = record
  if (letter === undefined) return `not a dead-letter envelope (${record.problem})`
  const topic = letter.original.topic
  if (topic === policiesTopicV2 || topic === policiesTopicV1)
    return `its original topic ${topic} is compacted: an old policy version republished there would replace the line's current policy; change policies through the gateway's updatePolicy or rollbackPolicy`
  if (topic === dlqTopicV1) return `its original topic is the dead-letter topic itself`
  if (!platformTopics.some((t) => t.topic === topic))
    return `its original topic ${JSON.stringify(topic)} is not a platform topic (${platformTopics.map((t) => t.topic).join(', ')})`
  if (letter.original.valueNull) return 'its original value was null (a tombstone): nothing to redrive'
  return undefined
}

/** The original record a dead letter stands for: see `redriveOriginHeader`. */
export function originOf(record: DlqRecord): string {
  const original = record.letter!.original
  return original.headers[redriveOriginHeader] ?? `${original.topic}:${original.partition}:${original.offset}`
}

/**
 * One dead letter per original record, the last one read of each: a record that several consumer
 * groups dead-lettered, or that failed again after a redrive, is sent once, not once per dead
 * letter (which would double the copies at every redrive of a failing record).
 */
export function onePerOrigin(records: DlqRecord[]): { kept: DlqRecord[]; skipped: number } {
  const last = new Map<string, DlqRecord>()
  for (const r of records) {
    const origin = originOf(r)
    last.delete(origin)
    last.set(origin, r)
  }
  return { kept: [...last.values()], skipped: records.length - last.size }
}

/**
 * The record to publish for a redrivable dead letter: key and value byte for byte, the headers
 * the envelope kept, and the redrive markers (a record redriven before counts on from there).
 */
export function redriveOf(record: DlqRecord, now: Date): Redrive {
  const letter = record.letter!
  const previous = Number(letter.original.headers[redriveCountHeader] ?? 0)
  const from = `${dlqTopicV1}:${record.partition}:${record.offset}`
  return {
    from: `${record.partition}:${record.offset}`,
    topic: letter.original.topic,
    key: record.key,
    value: Buffer.from(letter.value.buffer, letter.value.byteOffset, letter.value.byteLength),
    headers: {
      ...letter.original.headers,
      [redriveOriginHeader]: originOf(record),
      [redrivenFromHeader]: from,
      [redrivenAtHeader]: now.toISOString(),
      [redriveCountHeader]: String((Number.isSafeInteger(previous) ? previous : 0) + 1),
    },
  }
}

/** What the topic's current contract says about the payload, when it would reject it again. */
export function contractProblem(redrive: Redrive): string | undefined {
  const contract = contracts.find((c) => c.topic === redrive.topic)
  if (contract === undefined) return undefined
  try {
    contract.decode(redrive.value, redrive.headers)
    return undefined
  } catch (err) {
    return (err as Error).message
  }
}
