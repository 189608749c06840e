/**
 * Produce v5, v6 and v7 (key 0); the request is the v3 layout (see produce.v3.ts), the response
 * adds log_start_offset. v6 and v7 changed only semantics (v7: zstd batches allowed).
 *
 *   Produce Response (Version: 5..7) => [responses] throttle_time_ms
 *     responses => name [partition_responses]
 *       name => STRING
 *       partition_responses => index error_code base_offset log_append_time_ms log_start_offset
 *         index => INT32  error_code => INT16  base_offset => INT64
 *         log_append_time_ms => INT64  log_start_offset => INT64
 *     throttle_time_ms => INT32
 */
import type { Writer } from '../writer.ts'
import type { ProduceResponse } from './produce.v3.ts'

export function encodeProduceResponseV5(w: Writer, res: ProduceResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) =>
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTime).int64(p.logStartOffset),
    )
  })
  w.int32(0)
}
