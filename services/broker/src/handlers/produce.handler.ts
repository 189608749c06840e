import { KafkaError } from '../protocol/error-codes.ts'
import { messageSetToBatch } from '../protocol/message-set.ts'
import type {
  ProducePartitionResponse,
  ProduceRequest,
  ProduceResponse,
} from '../protocol/messages/produce.v3.ts'
import { ProtocolDecodeError } from '../protocol/reader.ts'
import { isControl, isTransactional, splitAndValidate } from '../protocol/record-batch.ts'
import type { PartitionLog } from '../storage/partition-log.ts'
import type { RequestContext } from './context.ts'

/** Produce v0-v2 carry legacy message sets: one uncompressed record batch v2 replaces them. */
function upConvert(records: Buffer): { ok: true; batch: Buffer } | { ok: false; detail: string } {
  try {
    return { ok: true, batch: messageSetToBatch(records) }
  } catch (err) {
    if (err instanceof ProtocolDecodeError) return { ok: false, detail: err.message }
    throw err
  }
}

/**
 * Appends each partition's record batches after validating them (magic 2, CRC-32C, codec).
 * The bytes go to the segment file as received (any codec), with only baseOffset patched;
 * legacy message sets (Produce v0-v2) are stored up-converted. Returns null for
 * acks=0 (Kafka sends no response then). With BROKER_FSYNC=always the connection fsyncs before
 * it writes the response (see Connection.releaseHeld).
 */
export function handleProduce(req: ProduceRequest, ctx: RequestContext): ProduceResponse | null {
  const { core } = ctx
  const now = Date.now()
  const touched = new Map<string, PartitionLog>()
  const fail = (index: number, errorCode: number): ProducePartitionResponse => ({
    index,
    errorCode,
    baseOffset: -1,
    logAppendTime: -1,
    logStartOffset: -1,
  })
  const acksValid = req.acks === 0 || req.acks === 1 || req.acks === -1
  const res: ProduceResponse = {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (!acksValid) return fail(p.index, KafkaError.INVALID_REQUIRED_ACKS)
        if (req.transactionalId !== null) return fail(p.index, KafkaError.INVALID_REQUEST)
        const log = core.topics.partition(t.name, p.index)
        if (!log) return fail(p.index, KafkaError.UNKNOWN_TOPIC_OR_PARTITION)
        if (!p.records || p.records.length === 0) return fail(p.index, KafkaError.INVALID_RECORD)
        let payload = p.records
        if (ctx.apiVersion < 3) {
          const up = upConvert(payload)
          if (!up.ok) {
            core.log.warn(
              { topic: t.name, partition: p.index, client: ctx.clientId, detail: up.detail },
              'rejected produce',
            )
            return fail(p.index, KafkaError.CORRUPT_MESSAGE)
          }
          payload = up.batch
        }
        const split = splitAndValidate(payload, { allowZstd: ctx.apiVersion >= 7 })
        if (!split.ok) {
          core.log.warn(
            {
              topic: t.name,
              partition: p.index,
              client: ctx.clientId,
              problem: split.problem,
              detail: split.detail,
            },
            'rejected produce',
          )
          return fail(p.index, KafkaError[split.problem])
        }
        if (split.headers.some((h) => isTransactional(h.attributes) || isControl(h.attributes)))
          return fail(p.index, KafkaError.INVALID_REQUEST)
        const result = log.append(split.batches, split.headers, now)
        if (!result.ok) {
          core.log.warn(
            { topic: t.name, partition: p.index, client: ctx.clientId, detail: result.detail },
            'rejected produce',
          )
          return fail(p.index, result.errorCode)
        }
        touched.set(`${t.name}\0${p.index}`, log)
        if (core.metrics) {
          let records = 0
          for (const h of split.headers) records += h.recordCount
          core.metrics.messagesIn.inc({ topic: t.name }, records)
          core.metrics.bytesIn.inc({ topic: t.name }, p.records.length)
        }
        return {
          index: p.index,
          errorCode: 0,
          baseOffset: result.baseOffset,
          logAppendTime: result.logAppendTime,
          logStartOffset: log.logStartOffset,
        }
      }),
    })),
  }
  core.notifyAppend(touched.keys())
  return req.acks === 0 ? null : res
}
