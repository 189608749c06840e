/**
 * Produce v2 (key 0): magic 1 messages in the request (layout as v0); the response adds
 * log_append_time_ms per partition (-1: CreateTime topics).
 *
 *   Produce Response (Version: 2) => [responses] throttle_time_ms
 *     responses => name [partition_responses]
 *       name => STRING
 *       partition_responses => index error_code base_offset log_append_time_ms
 *         index => INT32  error_code => INT16  base_offset => INT64  log_append_time_ms => INT64
 *     throttle_time_ms => INT32
 */
import type { Writer } from '../writer.ts'
import { encodeProduceTopics } from './produce.v0.ts'
import type { ProduceResponse } from './produce.v3.ts'

export function encodeProduceResponseV2(w: Writer, res: ProduceResponse): void {
  encodeProduceTopics(w, res, (w, p) =>
    w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTime),
  )
  w.int32(0)
}
