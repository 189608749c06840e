import { KafkaError } from '../protocol/error-codes.ts'
import type { ListOffsetsRequest, ListOffsetsResponse } from '../protocol/messages/list-offsets.v1.ts'
import type { RequestContext } from './context.ts'

const LATEST = -1
const EARLIEST = -2

/** Latest (-1), earliest (-2) or the first offset at or after a timestamp (ms). */
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
        const offset =
          p.timestamp === LATEST
            ? log.nextOffset
            : p.timestamp === EARLIEST
              ? log.logStartOffset
              : log.offsetForTimestamp(p.timestamp)
        return { index: p.index, errorCode: 0, timestamp: -1, offset }
      }),
    })),
  }
}
