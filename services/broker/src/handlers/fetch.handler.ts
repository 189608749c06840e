import { Compression } from '../protocol/compression.ts'
import { KafkaError } from '../protocol/error-codes.ts'
import { batchesToMessageSet } from '../protocol/message-set.ts'
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from '../protocol/messages/fetch.v4.ts'
import { BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, compressionOf } from '../protocol/record-batch.ts'
import type { RequestContext } from './context.ts'

/** Fetch below v4 reads legacy message sets: magic 0 for v0-v1, magic 1 for v2-v3. */
const legacyMagic = (apiVersion: number): 0 | 1 | null => (apiVersion >= 4 ? null : apiVersion >= 2 ? 1 : 0)

function hasZstd(records: Buffer): boolean {
  for (
    let pos = 0;
    pos + BATCH_HEADER_SIZE <= records.length;
    pos += records.readInt32BE(pos + 8) + BATCH_LOG_OVERHEAD
  )
    if (compressionOf(records.readInt16BE(pos + 21)) === Compression.zstd) return true
  return false
}

function readOnce(
  req: FetchRequest,
  ctx: RequestContext,
): { res: FetchResponse; bytes: number; errors: number } {
  const { core } = ctx
  let remaining = Math.max(req.maxBytes, 1)
  let bytes = 0
  let errors = 0
  const res: FetchResponse = {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): FetchPartitionResponse => {
        const log = core.topics.partition(t.name, p.index)
        if (!log) {
          errors++
          return {
            index: p.index,
            errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
            highWatermark: -1,
            lastStableOffset: -1,
            logStartOffset: -1,
            records: null,
          }
        }
        const hw = log.nextOffset
        if (p.fetchOffset < log.logStartOffset || p.fetchOffset > hw) {
          errors++
          return {
            index: p.index,
            errorCode: KafkaError.OFFSET_OUT_OF_RANGE,
            highWatermark: hw,
            lastStableOffset: hw,
            logStartOffset: log.logStartOffset,
            records: null,
          }
        }
        let records: Buffer = Buffer.alloc(0)
        if (p.fetchOffset < hw && (remaining > 0 || bytes === 0)) {
          records = log.read(p.fetchOffset, Math.min(p.maxBytes, Math.max(remaining, 0)))
          remaining -= records.length
          bytes += records.length
        }
        const base = {
          index: p.index,
          highWatermark: hw,
          lastStableOffset: hw,
          logStartOffset: log.logStartOffset,
        }
        const magic = legacyMagic(ctx.apiVersion)
        if (magic !== null && records.length > 0) records = batchesToMessageSet(records, magic, p.fetchOffset)
        else if (ctx.apiVersion < 10 && hasZstd(records)) {
          errors++
          return { ...base, errorCode: KafkaError.UNSUPPORTED_COMPRESSION_TYPE, records: null }
        }
        return { ...base, errorCode: 0, records }
      }),
    })),
  }
  return { res, bytes, errors }
}

/** True when a partition is gone or has records past its fetch offset (enough for min_bytes <= 1). */
function hasNewData(req: FetchRequest, ctx: RequestContext): boolean {
  for (const t of req.topics) {
    for (const p of t.partitions) {
      const log = ctx.core.topics.partition(t.name, p.index)
      if (!log || log.nextOffset > p.fetchOffset) return true
    }
  }
  return false
}

function countOut(res: FetchResponse, ctx: RequestContext): void {
  const m = ctx.core.metrics
  if (!m) return
  for (const t of res.topics) {
    let records = 0
    let bytes = 0
    for (const p of t.partitions) {
      const buf = p.records
      if (!buf) continue
      bytes += buf.length
      if (ctx.apiVersion < 4) continue
      for (let pos = 0; pos + 61 <= buf.length; pos += buf.readInt32BE(pos + 8) + 12)
        records += buf.readInt32BE(pos + 57)
    }
    if (bytes > 0) {
      m.messagesOut.inc({ topic: t.name }, records)
      m.bytesOut.inc({ topic: t.name }, bytes)
    }
  }
}

/**
 * Serves stored record batches untouched. With fewer than min_bytes available the request is
 * parked until an append to one of its partitions or max_wait_ms, whichever comes first.
 */
export function handleFetch(req: FetchRequest, ctx: RequestContext): FetchResponse | Promise<FetchResponse> {
  const first = readOnce(req, ctx)
  if (first.bytes >= req.minBytes || first.errors > 0 || req.maxWaitMs <= 0) {
    countOut(first.res, ctx)
    return first.res
  }
  return new Promise((resolve) => {
    const keys = new Set<string>()
    for (const t of req.topics) for (const p of t.partitions) keys.add(`${t.name}\0${p.index}`)
    let done = false
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      remove()
      const again = readOnce(req, ctx)
      countOut(again.res, ctx)
      resolve(again.res)
    }
    const remove = ctx.core.addFetchWaiter(keys, () => {
      if (done) return
      if (req.minBytes <= 1) {
        if (hasNewData(req, ctx)) finish()
        return
      }
      const probe = readOnce(req, ctx)
      if (probe.bytes >= req.minBytes || probe.errors > 0) finish()
    })
    const timer = setTimeout(finish, req.maxWaitMs)
  })
}
