/**
 * `npm run dlq` against the embedded broker over TCP: dead letters written by the real consumer
 * path (a handler's non-retriable error, records that fail their contract on the results and the
 * policies topic), then list with filters, show, redrive and its refusals, run as the CLI itself.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import type { IHeaders } from 'kafkajs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TokenlineError } from '../../../lib/errors/index.ts'
import { createLogger } from '../../../lib/log/index.ts'
import {
  contentTypeHeader,
  dlqTopicV1,
  headerText,
  policiesTopicV2,
  policyV2,
  type ResultV1,
  resultsTopicV1,
  resultV1,
  type Subscription,
  schemaHeader,
  schemaVersionHeader,
  subscribe,
} from '../../../lib/messaging/index.ts'
import { result } from '../../unit/lib/messaging/contracts/fixtures.ts'
import { type BrokerFixture, startBrokerFixture } from '../lib/messaging/broker-fixture.ts'

const exec = promisify(execFile)
const root = join(import.meta.dirname, '../../..')
const tsx = join(root, 'node_modules/.bin/tsx')
const logger = createLogger('dlq-cli-test', 'silent')

let fixture: BrokerFixture
let results: Subscription
let policies: Subscription
/** While true the results handler fails as a broken downstream store would (not retriable). */
let storeBroken = true
const handled: { message: ResultV1; headers: IHeaders; key: string | undefined }[] = []

type Run = { code: number; stdout: string; stderr: string }

async function dlq(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(tsx, [join(root, 'cli/dlq.ts'), ...args], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: fixture.broker.brokers.join(','), LOG_LEVEL: 'warn' },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

type Summary = {
  dlq: { partition: number; offset: string }
  original: { topic: string; key: string | null }
  consumerGroup: string
  code: string
  retriable: boolean
  payloadBytes: number
  redrivenFrom: string | null
  redriveCount: number
  undecodable?: string
}

async function listJson(...filters: string[]): Promise<Summary[]> {
  const run = await dlq('list', '--json', ...filters)
  expect(run.code, run.stderr).toBe(0)
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Summary)
}

async function highWater(topic: string): Promise<bigint[]> {
  const admin = fixture.kafka.admin()
  await admin.connect()
  try {
    const offsets = await admin.fetchTopicOffsets(topic)
    return offsets.sort((a, b) => a.partition - b.partition).map((o) => BigInt(o.high))
  } finally {
    await admin.disconnect()
  }
}

const total = (marks: bigint[]) => marks.reduce((a, b) => a + b, 0n)

async function until(condition: () => Promise<boolean> | boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const at = (s: Summary) => `${s.dlq.partition}:${s.dlq.offset}`
const resultHeaders = resultV1.encode(result()).headers
const policyHeaders = {
  [schemaHeader]: policyV2.schema,
  [schemaVersionHeader]: String(policyV2.version),
  [contentTypeHeader]: policyV2.contentType,
}
const sent = result({ inspectionId: '6a0e7c1d-9b1f-4a53-8a3e-2f4c5d6e7f80', lineId: 'line-dlq' })

beforeAll(async () => {
  fixture = await startBrokerFixture({ clientId: 'dlq-cli-test', logger })
  const common = {
    kafka: fixture.kafka,
    brokers: fixture.broker.brokers,
    logger,
    deadLetter: fixture.producer,
  }
  results = await subscribe({
    ...common,
    groupId: 'dlq-test-gateway-results',
    contract: resultV1,
    handler: async (message, context) => {
      if (storeBroken) throw new TokenlineError('TEST_STORE_DOWN', 'results store refused the write', false)
      handled.push({ message, headers: context.headers, key: context.key?.toString('utf8') })
    },
  })
  policies = await subscribe({
    ...common,
    groupId: 'dlq-test-edge-policies',
    contract: policyV2,
    handler: async () => undefined,
  })
  await Promise.all([results.joined, policies.joined])
  const deadLetters = async (count: bigint) =>
    until(async () => total(await highWater(dlqTopicV1)) >= count, `${count} dead letters`)
  // One at a time, so their DLQ offsets follow this order.
  await fixture.producer.publish(resultV1, 'line-dlq', sent, { 'x-trace': 'trace-1' })
  await deadLetters(1n)
  await fixture.producer.publishEncoded({ topic: resultsTopicV1 }, [
    { key: 'line-bad', value: Buffer.from('{"inspectionId":'), headers: resultHeaders },
  ])
  await deadLetters(2n)
  await fixture.producer.publishEncoded({ topic: policiesTopicV2 }, [
    { key: 'line-dlq', value: Buffer.from('{"version":1}'), headers: policyHeaders },
  ])
  await deadLetters(3n)
  // Not an envelope at all (someone's kcat): listed, never redriven.
  await fixture.producer.publishEncoded({ topic: dlqTopicV1 }, [
    { key: null, value: Buffer.from('hello'), headers: {} },
  ])
}, 60_000)

afterAll(async () => {
  await results?.close()
  await policies?.close()
  await fixture?.close()
})

describe('npm run dlq', () => {
  it('lists every dead letter up to the high-water mark, with filters, and leaves no group offsets', async () => {
    const all = await listJson()
    expect(all).toHaveLength(4)
    const [store, invalid, policy, junk] = all
    expect(store).toMatchObject({
      original: { topic: resultsTopicV1, key: 'line-dlq' },
      consumerGroup: 'dlq-test-gateway-results',
      code: 'TEST_STORE_DOWN',
      retriable: false,
      payloadBytes: resultV1.encode(sent).value.length,
      redrivenFrom: null,
    })
    expect(invalid).toMatchObject({ original: { topic: resultsTopicV1 }, code: 'MESSAGING_MESSAGE_INVALID' })
    expect(policy).toMatchObject({ original: { topic: policiesTopicV2 }, code: 'MESSAGING_MESSAGE_INVALID' })
    expect(junk?.undecodable).toMatch(/tokenline-schema/)

    expect((await listJson('--code', 'TEST_STORE_DOWN')).map(at)).toEqual([at(store!)])
    expect((await listJson('--topic', policiesTopicV2)).map(at)).toEqual([at(policy!)])
    expect(
      (await listJson('--topic', resultsTopicV1, '--code', 'MESSAGING_MESSAGE_INVALID')).map(at),
    ).toEqual([at(invalid!)])
    expect(await listJson('--since', new Date(Date.now() + 3_600_000).toISOString())).toEqual([])
    expect((await listJson('--limit', '2')).map(at)).toEqual([at(store!), at(invalid!)])

    const table = await dlq('list', '--code', 'TEST_STORE_DOWN')
    expect(table.code).toBe(0)
    const lines = table.stdout.trim().split('\n')
    expect(lines[0]).toMatch(/^DLQ\tDEAD-LETTERED AT\tORIGINAL/)
    expect(lines[1]).toMatch(
      new RegExp(
        `^${at(store!)}\\t\\S+\\t${resultsTopicV1.replaceAll('.', '\\.')}/\\d+@\\d+\\tdlq-test-gateway-results\\tTEST_STORE_DOWN\\tno\\t\\d+\\tresults store refused the write$`,
      ),
    )

    const admin = fixture.kafka.admin()
    await admin.connect()
    try {
      const readers = (await admin.listGroups()).groups.filter((g) =>
        g.groupId.startsWith('tokenline-dlq-cli-'),
      )
      expect(readers.length).toBeGreaterThan(0)
      for (const { groupId } of readers) {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [dlqTopicV1] })
        expect(offsets?.partitions.map((p) => p.offset)).toEqual(['-1'])
      }
    } finally {
      await admin.disconnect()
    }
  }, 120_000)

  it('shows one envelope with its payload decoded, or previewed when it is not JSON', async () => {
    const [store, invalid, , junk] = await listJson()
    const shown = await dlq('show', at(store!))
    expect(shown.code, shown.stderr).toBe(0)
    const doc = JSON.parse(shown.stdout)
    expect(doc).toMatchObject({
      dlq: { ...store!.dlq, key: 'line-dlq' },
      original: {
        topic: resultsTopicV1,
        key: 'line-dlq',
        headers: { 'x-trace': 'trace-1', ...resultHeaders },
      },
      error: { code: 'TEST_STORE_DOWN', retriable: false, attempts: 1 },
      payload: { encoding: 'json', json: { inspectionId: sent.inspectionId, lineId: 'line-dlq' } },
    })
    const bytes = JSON.parse((await dlq('show', at(invalid!))).stdout)
    expect(bytes.payload).toMatchObject({
      encoding: 'bytes',
      bytes: 16,
      truncated: false,
      hex: Buffer.from('{"inspectionId":').toString('hex'),
    })
    expect(JSON.parse((await dlq('show', at(junk!))).stdout).undecodable).toMatch(/tokenline-schema/)
  }, 60_000)

  it('refuses unknown offsets and partitions', async () => {
    const past = await dlq('show', '0:999')
    expect(past.code).toBe(1)
    expect(past.stderr).toMatch(/DLQ_OFFSET_UNKNOWN: .*0:999: partition 0 holds offsets 0–\d+/s)
    const partition = await dlq('redrive', '7:0')
    expect(partition.code).toBe(1)
    expect(partition.stderr).toMatch(/DLQ_OFFSET_UNKNOWN: .*tokenline\.dlq\.v1 has no partition 7/s)
  }, 60_000)

  it('refuses the policies topic, non-envelopes and a selection containing them, sending nothing', async () => {
    const [, , policy, junk] = await listJson()
    const before = { results: await highWater(resultsTopicV1), policies: await highWater(policiesTopicV2) }

    const one = await dlq('redrive', at(policy!))
    expect(one.code).toBe(1)
    expect(one.stderr).toMatch(/DLQ_REDRIVE_REFUSED: refused, nothing sent/)
    expect(one.stderr).toMatch(/tokenline\.policies\.v2 is compacted.*updatePolicy or rollbackPolicy/)

    const selection = await dlq('redrive', '--code', 'MESSAGING_MESSAGE_INVALID')
    expect(selection.code).toBe(1)
    expect(selection.stderr).toMatch(/1 of 2 selected/)
    expect(selection.stdout).not.toMatch(/sent/)

    const notEnvelope = await dlq('redrive', at(junk!))
    expect(notEnvelope.code).toBe(1)
    expect(notEnvelope.stderr).toMatch(/not a dead-letter envelope/)

    expect(await highWater(resultsTopicV1)).toEqual(before.results)
    expect(await highWater(policiesTopicV2)).toEqual(before.policies)
  }, 60_000)

  it('redrives a dead letter to its original topic with the redrive markers once the cause is fixed', async () => {
    const [store] = await listJson('--code', 'TEST_STORE_DOWN')
    const before = await highWater(resultsTopicV1)
    const dry = await dlq('redrive', at(store!), '--dry-run')
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.stdout).toMatch(
      new RegExp(`^would send ${at(store!)} → ${resultsTopicV1.replaceAll('.', '\\.')} key "line-dlq"`),
    )
    expect(await highWater(resultsTopicV1)).toEqual(before)

    storeBroken = false
    const run = await dlq('redrive', at(store!))
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/^sent .* → partition \d+ offset \d+$/m)
    await until(() => handled.length > 0, 'the redriven result')
    const [got] = handled
    expect(got!.message).toEqual(sent)
    expect(got!.key).toBe('line-dlq')
    expect(headerText(got!.headers, 'tokenline-redriven-from')).toBe(`${dlqTopicV1}:${at(store!)}`)
    expect(headerText(got!.headers, 'tokenline-redrive-count')).toBe('1')
    expect(headerText(got!.headers, 'x-trace')).toBe('trace-1')
    expect(total(await highWater(resultsTopicV1))).toBe(total(before) + 1n)
  }, 60_000)

  it('makes a redrive that fails again visible in the DLQ', async () => {
    const [invalid] = await listJson('--topic', resultsTopicV1, '--code', 'MESSAGING_MESSAGE_INVALID')
    const before = total(await highWater(dlqTopicV1))
    const run = await dlq('redrive', '--code', 'MESSAGING_MESSAGE_INVALID', '--topic', resultsTopicV1)
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/warning: .* still fails the current contract of tokenline\.results\.v1/)
    await until(async () => total(await highWater(dlqTopicV1)) > before, 'the second dead letter')
    const again = (await listJson('--topic', resultsTopicV1, '--code', 'MESSAGING_MESSAGE_INVALID')).filter(
      (s) => s.redrivenFrom !== null,
    )
    expect(again).toHaveLength(1)
    expect(again[0]).toMatchObject({ redrivenFrom: `${dlqTopicV1}:${at(invalid!)}`, redriveCount: 1 })
    const table = await dlq('list', '--topic', resultsTopicV1, '--code', 'MESSAGING_MESSAGE_INVALID')
    expect(table.stdout).toMatch(
      new RegExp(`\\[redriven from ${dlqTopicV1.replaceAll('.', '\\.')}:${at(invalid!)}\\]`),
    )
    // Tried: the same redrive again, the cause still not fixed. The original and its failed redrive
    // are two dead letters of one original record: one record is sent, not two (the copies would
    // double at every run: 1, 2, 4 …).
    const second = await dlq('redrive', '--code', 'MESSAGING_MESSAGE_INVALID', '--topic', resultsTopicV1)
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout.match(/^sent /gm)).toHaveLength(1)
    expect(second.stderr).toMatch(/1 selected dead letter\(s\) stand for the same original record/)
    const named = await dlq('redrive', at(invalid!), at(invalid!), '--dry-run')
    expect(named.stdout.match(/^would send /gm)).toHaveLength(1)
  }, 60_000)

  it('exits 2 with the problem named for bad arguments and a bad KAFKA_BROKERS', async () => {
    const bad = await dlq('show', 'zero:1')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/expected <partition>:<offset> .* but received "zero:1"/)
    const unknown = await dlq('purge')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/expected a command \(list, show or redrive\) but received "purge"/)
    const env = await exec(tsx, [join(root, 'cli/dlq.ts'), 'list'], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: 'no-port' },
    }).catch((e: { code: number; stderr: string }) => e)
    expect((env as { code: number }).code).toBe(2)
    expect((env as { stderr: string }).stderr).toMatch(/KAFKA_BROKERS(\.0)?: expected host:port/)
  }, 60_000)
})
