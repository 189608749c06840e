/**
 * After recovery: does every inspection the edge accepted have exactly one final result?
 * Sources: the traffic's record of what the edge answered, the gateway's database (one row per
 * inspection id, by primary key) and the Kafka log itself (results and cloud verdicts, read
 * from the beginning), where a duplicate would show as a second record for one id.
 */
import { Kafka, logLevel } from 'kafkajs'
import pg from 'pg'
import { type MessageContract, resultV1, verdictV2 } from '../../../lib/messaging/index.ts'
import type { Attempt } from './traffic.ts'

export type PhaseCounts = {
  phase: string
  sent: number
  accepted: number
  /** Refusals by error code (EDGE_OUTBOX_FULL, EDGE_QUEUE_FULL, …): not accepted, not owed a result. */
  refused: Record<string, number>
  /** POSTs whose connection was refused or reset (the edge process was down or killed mid-request). */
  unreachable: number
  /** POSTs not answered within the client's timeout (an overloaded edge; it may still have decided them). */
  timedOut: number
  /** Accepted and escalated by the edge (its answer said `pending`). */
  escalated: number
  /** Final rows decided by the cloud / by the edge. */
  answeredByCloud: number
  decidedByEdge: number
  /** Accepted inspections with a final verdict in the gateway's database. */
  finalRows: number
  /** Escalated inspections without a cloud verdict in the database. */
  escalationsUnanswered: number
  /**
   * Accepted inspections with more than one row or more than one cloud verdict record: the cloud
   * answered twice. (The database holds one row per id by its primary key; counted anyway.)
   */
  duplicates: number
  /**
   * Accepted inspections whose edge result is on Kafka more than once: the outbox is
   * at-least-once (a kill -9 between the broker's ack and marking the row sent republishes it);
   * the gateway's upsert absorbs it. Reported, not a failure.
   */
  resultRepublished: number
  /** Accepted inspections without a final verdict in the database. */
  lost: number
}

export type AuditReport = {
  phases: PhaseCounts[]
  totals: PhaseCounts
  /** Database rows of the line that no accepted answer names: decided, but the answer never reached the client (a kill mid-request). */
  unacknowledgedRows: number
  resultRecords: number
  verdictRecords: number
  lostIds: string[]
  duplicateIds: string[]
  republishedIds: string[]
}

type Row = { id: string; verdict: string | null; decided_by: string | null; escalated: boolean }

export async function audit(options: {
  attempts: Attempt[]
  databaseUrl: string
  kafkaBrokers: string
  lineId: string
}): Promise<AuditReport> {
  const client = new pg.Client({ connectionString: options.databaseUrl })
  await client.connect()
  let rows: Row[]
  try {
    rows = (
      await client.query<Row>(
        'select id, verdict, decided_by, escalated from inspections where line_id = $1',
        [options.lineId],
      )
    ).rows
  } finally {
    await client.end()
  }
  const byId = new Map(rows.map((r) => [r.id, r]))
  const rowCount = new Map<string, number>()
  for (const r of rows) rowCount.set(r.id, (rowCount.get(r.id) ?? 0) + 1)
  const results = await recordCopies(options.kafkaBrokers, resultV1)
  const verdicts = await recordCopies(options.kafkaBrokers, verdictV2)

  const phases = new Map<string, PhaseCounts>()
  const totals = emptyCounts('all')
  const lostIds: string[] = []
  const duplicateIds: string[] = []
  const republishedIds: string[] = []
  const acknowledged = new Set<string>()
  for (const a of options.attempts) {
    let counts = phases.get(a.phase)
    if (!counts) {
      counts = emptyCounts(a.phase)
      phases.set(a.phase, counts)
    }
    for (const c of [counts, totals]) {
      c.sent++
      if (a.outcome === 'refused') c.refused[a.code ?? '?'] = (c.refused[a.code ?? '?'] ?? 0) + 1
      if (a.outcome === 'unreachable' || a.outcome === undefined) c.unreachable++
      if (a.outcome === 'timeout') c.timedOut++
    }
    if (a.outcome !== 'accepted' || !a.inspectionId) continue
    const id = a.inspectionId
    acknowledged.add(id)
    const row = byId.get(id)
    const duplicated = (rowCount.get(id) ?? 0) > 1 || (verdicts.get(id) ?? 0) > 1
    const republished = (results.get(id) ?? 0) > 1
    if (duplicated) duplicateIds.push(id)
    if (republished) republishedIds.push(id)
    if (!row?.verdict) lostIds.push(id)
    const escalated = a.edgeStatus === 'pending'
    for (const c of [counts, totals]) {
      c.accepted++
      if (escalated) c.escalated++
      if (row?.verdict) c.finalRows++
      else c.lost++
      if (row?.decided_by === 'cloud') c.answeredByCloud++
      if (row?.decided_by === 'edge') c.decidedByEdge++
      if (escalated && row?.decided_by !== 'cloud') c.escalationsUnanswered++
      if (duplicated) c.duplicates++
      if (republished) c.resultRepublished++
    }
  }
  return {
    phases: [...phases.values()],
    totals,
    unacknowledgedRows: rows.filter((r) => !acknowledged.has(r.id)).length,
    resultRecords: sum(results),
    verdictRecords: sum(verdicts),
    lostIds,
    duplicateIds,
    republishedIds,
  }
}

function emptyCounts(phase: string): PhaseCounts {
  return {
    phase,
    sent: 0,
    accepted: 0,
    refused: {},
    unreachable: 0,
    timedOut: 0,
    escalated: 0,
    answeredByCloud: 0,
    decidedByEdge: 0,
    finalRows: 0,
    escalationsUnanswered: 0,
    duplicates: 0,
    resultRepublished: 0,
    lost: 0,
  }
}

function sum(copies: Map<string, number>): number {
  let n = 0
  for (const c of copies.values()) n += c
  return n
}

/** Every record of the contract's topic, read from the start up to today's end offsets: inspection id → copies. */
async function recordCopies(
  brokers: string,
  contract: Pick<MessageContract<{ inspectionId: string }>, 'topic' | 'decode'>,
): Promise<Map<string, number>> {
  const kafka = new Kafka({
    brokers: brokers.split(','),
    clientId: 'tokenline-drill-audit',
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(contract.topic)
  await admin.disconnect()
  const remaining = new Map(
    ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]),
  )
  const copies = new Map<string, number>()
  if (remaining.size === 0) return copies
  const consumer = kafka.consumer({
    groupId: `tokenline-drill-audit-${Date.now()}-${Math.random()}`,
    maxWaitTimeInMs: 200,
  })
  await consumer.connect()
  await consumer.subscribe({ topics: [contract.topic], fromBeginning: true })
  let done!: () => void
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const end = remaining.get(partition)
      if (end === undefined || Number(message.offset) >= end) return
      const id = contract.decode(message.value, message.headers).inspectionId
      copies.set(id, (copies.get(id) ?? 0) + 1)
      if (Number(message.offset) >= end - 1) remaining.delete(partition)
      if (remaining.size === 0) done()
    },
  })
  const timeout = setTimeout(done, 120_000)
  await finished
  clearTimeout(timeout)
  await consumer.disconnect()
  if (remaining.size > 0) throw new Error(`could not read ${contract.topic} to its end within 120 s`)
  return copies
}
