import { setTimeout as sleep } from 'node:timers/promises'
import type { InferencePool, LoadedModel } from '../../../../lib/inference/index.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import {
  type BatchHandler,
  type EscalationV1,
  errorCodeOf,
  isRetriable,
  type VerdictV2,
} from '../../../../lib/messaging/index.ts'
import { tokenizeQuestion } from '../../../../lib/vision/index.ts'
import type { TakeoverWatch } from '../dedup/takeover-watch.ts'
import { CloudError } from '../errors.ts'
import { buildVerdict } from '../inference/verdict.builder.ts'
import type { CloudMetrics } from '../metrics/cloud.metrics.ts'
import { chooseBudget, escalationTokens } from '../preprocess/escalation-image.ts'
import type { PriceBook } from '../pricing/price-book.ts'
import type { PriorityGate } from '../scheduling/priority-gate.ts'

export type EscalationHandlerDeps = {
  pool: Pick<InferencePool, 'infer' | 'stats'>
  /** Served models by manifest name. */
  models: ReadonlyMap<string, LoadedModel>
  gate: PriorityGate
  ledger: { has(id: string): boolean; record(id: string): void; sync(): Promise<void> }
  watch: TakeoverWatch
  prices: PriceBook
  /** Publishes the batch's verdicts; resolves once the broker acknowledged all of them. */
  publish: (verdicts: VerdictV2[]) => Promise<void>
  metrics?: CloudMetrics
  logger: Logger
  instance: string
  /** Fault drill: wait this long between the verdicts' acknowledgement and the offset commit (ms). */
  commitDelayMs?: number
  now?: () => number
}

type Outcome = { index: number; verdict?: VerdictV2; error?: unknown }

/**
 * One batch of escalations (one partition, up to CLOUD_MAX_BATCH records): skip inspections that
 * already have a verdict, run the rest through the priority gate into the inference pool (which
 * joins cases of every partition into model runs), publish the verdicts, and only then return,
 * so lib/messaging commits the offsets after the verdicts are acknowledged.
 * A retriable failure of any case (a crashed worker, a full queue, the verdict log behind, a
 * publish not acknowledged) fails the whole batch before anything is published, and it is retried;
 * a case that can never succeed (undecodable image, unknown model) is dead-lettered alone.
 */
export function createEscalationHandler(deps: EscalationHandlerDeps): BatchHandler<EscalationV1> {
  const now = deps.now ?? Date.now
  const { logger, metrics } = deps

  async function runCase(e: EscalationV1, receivedAt: number): Promise<VerdictV2> {
    const loaded = deps.models.get(e.cloud.model)
    if (!loaded)
      throw new CloudError(
        'CLOUD_MODEL_UNKNOWN',
        `expected cloud.model to be one of ${[...deps.models.keys()].join(', ')} but received ${JSON.stringify(e.cloud.model)}`,
      )
    const manifest = loaded.manifest
    const budget = chooseBudget(manifest.budgets, e.cloud.budget)
    const tokens = await escalationTokens(e.image, manifest, budget)
    let question: BigInt64Array | undefined
    let questionTokens = 0
    if (e.question !== null && manifest.question && manifest.io.question) {
      question = tokenizeQuestion(e.question, manifest.question.vocab, manifest.question.maxLength)
      questionTokens = question.filter((id) => id !== 0n).length
    }
    const submittedAt = now()
    const release = await deps.gate.acquire(e.reason === 'audit' ? 'audit' : 'escalation')
    let result: Awaited<ReturnType<InferencePool['infer']>>
    try {
      result = await deps.pool.infer({ model: manifest.name, budget, tokens, question, transfer: true })
    } finally {
      release()
    }
    const decidedAt = now()
    return buildVerdict({
      escalation: e,
      model: {
        manifest,
        executionProvider: deps.pool.stats().executionProviders[manifest.name] ?? 'unknown',
      },
      budget,
      questionTokens,
      image: result.images[0]!,
      batchSize: result.batchRows,
      runMs: result.runMs,
      waitedMs: decidedAt - submittedAt,
      receivedAt,
      decidedAt,
      price: deps.prices.priceFor(e.lineId, e.policyVersion),
      instance: deps.instance,
    })
  }

  return async (items, attempt) => {
    const receivedAt = now()
    const firstByPartition = new Map<number, string>()
    const lastByPartition = new Map<number, string>()
    for (const { context } of items) {
      if (!firstByPartition.has(context.partition)) firstByPartition.set(context.partition, context.offset)
      lastByPartition.set(context.partition, context.offset)
    }
    const mayBeRedelivery =
      attempt > 1 ||
      [...firstByPartition].some(([p, offset]) => deps.watch.mayBeRedelivery(p, offset, receivedAt))
    if (mayBeRedelivery) await deps.ledger.sync()

    const seen = new Set<string>()
    const todo: { index: number; escalation: EscalationV1 }[] = []
    items.forEach(({ message, context }, index) => {
      if (deps.ledger.has(message.inspectionId) || seen.has(message.inspectionId)) {
        metrics?.duplicatesSkipped.inc()
        logger.info(
          { inspectionId: message.inspectionId, partition: context.partition, offset: context.offset },
          'verdict already published; not answering again',
        )
        return
      }
      seen.add(message.inspectionId)
      todo.push({ index, escalation: message })
    })
    // Audits are handed over last, so a full gate admits this batch's real escalations first.
    todo.sort((a, b) => Number(a.escalation.reason === 'audit') - Number(b.escalation.reason === 'audit'))

    const outcomes: Outcome[] = await Promise.all(
      todo.map(({ index, escalation }) =>
        runCase(escalation, receivedAt).then(
          (verdict) => ({ index, verdict }),
          (error: unknown) => ({ index, error }),
        ),
      ),
    )
    const retriable = outcomes.find((o) => o.error !== undefined && isRetriable(o.error))
    if (retriable) throw retriable.error

    const failed = outcomes
      .filter((o) => o.error !== undefined)
      .map((o) => ({ index: o.index, error: o.error }))
    for (const { index, error } of failed) {
      metrics?.deadLetters.inc({ code: errorCodeOf(error) })
      logger.warn(
        {
          inspectionId: items[index]!.message.inspectionId,
          code: errorCodeOf(error),
          err: (error as Error).message,
        },
        'case cannot be answered; dead-lettering it',
      )
    }
    const verdicts = outcomes.flatMap((o) => (o.verdict ? [o.verdict] : []))
    if (verdicts.length > 0) await deps.publish(verdicts)
    for (const v of verdicts) {
      deps.ledger.record(v.inspectionId)
      if (metrics) {
        metrics.verdicts.inc({ line: v.lineId, reason: v.reason, late: String(v.late) })
        metrics.batchSize.observe(v.batchSize)
        metrics.queueSeconds.observe(v.latency.queueMs / 1000)
        metrics.inferenceSeconds.observe(v.latency.inferenceMs / 1000)
        metrics.endToEndSeconds.observe(v.latency.totalMs / 1000)
        metrics.spend(v.lineId, Date.parse(v.decidedAt), v.tokens.vision, v.tokens.question, v.cost.amount)
      }
      logger.debug(
        { inspectionId: v.inspectionId, label: v.cloud.label, late: v.late, batchSize: v.batchSize },
        'verdict published',
      )
    }
    const done = now()
    for (const [p, offset] of lastByPartition) deps.watch.handled(p, offset, done)
    if (deps.commitDelayMs) await sleep(deps.commitDelayMs)
    return { failed }
  }
}
