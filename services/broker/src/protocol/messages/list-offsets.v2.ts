/**
 * ListOffsets v2 and v3 (key 2): adds isolation_level to the request and throttle_time_ms to the
 * response; v3 only changed error semantics, so both share this layout.
 *
 *   ListOffsets Request (Version: 2) => replica_id isolation_level [topics]
 *     replica_id => INT32  isolation_level => INT8
 *     topics => name [partitions]   (as v1: partition_index INT32, timestamp INT64)
 *
 *   ListOffsets Response (Version: 2) => throttle_time_ms [topics]
 *     throttle_time_ms => INT32
 *     topics => name [partitions]   (as v1: partition_index error_code timestamp offset)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import {
  decodeListOffsetsTopics,
  encodeListOffsetsResponseV1,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
} from './list-offsets.v1.ts'

export function decodeListOffsetsRequestV2(r: Reader): ListOffsetsRequest {
  r.int32()
  const isolationLevel = r.int8()
  return { isolationLevel, topics: decodeListOffsetsTopics(r) }
}

export function encodeListOffsetsResponseV2(w: Writer, res: ListOffsetsResponse): void {
  w.int32(0)
  encodeListOffsetsResponseV1(w, res)
}
