import { KafkaError } from '../protocol/error-codes.ts'
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/messages/list-offsets.v1.ts'
import type { RequestContext } from './context.ts'

const LATEST = -1
const EARLIEST = -2

/**
 * Latest (-1) and earliest (-2) answer the offset with timestamp -1. A timestamp (ms) answers the
 * first record whose timestamp is at or after it, with that record's timestamp; when every record
 * is older, offset and timestamp are both -1 (Kafka's semantics, KIP-79).
 */
export function handleListOffsets(req: ListOffsetsRequest, ctx: RequestContext): ListOffsetsResponse {
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = ctx.core.topics.partition(t.name, p.index)
        if (!log)
          return {
            index: p.index,
            errorCode: KafkaError.UNKNOWN_TOPIC_OR_PARTITION,
            timestamp: -1,
            offset: -1,
          }
        if (p.timestamp === LATEST)
          return { index: p.index, errorCode: 0, timestamp: -1, offset: log.nextOffset }
        if (p.timestamp === EARLIEST)
          return { index: p.index, errorCode: 0, timestamp: -1, offset: log.logStartOffset }
        const found = log.offsetForTimestamp(p.timestamp)
        return {
          index: p.index,
          errorCode: 0,
          timestamp: found?.timestamp ?? -1,
          offset: found?.offset ?? -1,
        }
      }),
    })),
  }
}
