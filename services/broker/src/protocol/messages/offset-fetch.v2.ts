/**
 * OffsetFetch v2 to v5 (key 9). The request keeps the v1 layout (a null topic array now means
 * every committed partition). The response adds a top-level error_code (v2), throttle_time_ms in
 * front (v3; v4 the same), and committed_leader_epoch per partition (v5, always -1).
 *
 *   OffsetFetch Response (Version: 2) => [topics] error_code
 *   OffsetFetch Response (Version: 3..4) => throttle_time_ms [topics] error_code
 *     throttle_time_ms => INT32  error_code => INT16  (topics as v1)
 *   OffsetFetch Response (Version: 5) => throttle_time_ms [topics] error_code
 *     topics => name [partitions]
 *       partitions => partition_index committed_offset committed_leader_epoch metadata error_code
 *         committed_leader_epoch => INT32
 */
import type { Writer } from '../writer.ts'
import { encodeOffsetFetchResponseV1, type OffsetFetchResponse } from './offset-fetch.v1.ts'

export function encodeOffsetFetchResponseV2(w: Writer, res: OffsetFetchResponse): void {
  encodeOffsetFetchResponseV1(w, res)
  w.int16(0)
}

export function encodeOffsetFetchResponseV3(w: Writer, res: OffsetFetchResponse): void {
  w.int32(0)
  encodeOffsetFetchResponseV2(w, res)
}

export function encodeOffsetFetchResponseV5(w: Writer, res: OffsetFetchResponse): void {
  w.int32(0)
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) =>
      w.int32(p.index).int64(p.offset).int32(-1).nullableString(p.metadata).int16(p.errorCode),
    )
  })
  w.int16(0)
}
