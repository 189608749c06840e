/**
 * ListOffsets v4 and v5 (key 2): adds the leader epoch (KIP-320); v5 only changed error
 * semantics (OFFSET_NOT_AVAILABLE), so both share this layout.
 *
 *   ListOffsets Request (Version: 4..5) => replica_id isolation_level [topics]
 *     replica_id => INT32  isolation_level => INT8
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index current_leader_epoch timestamp
 *         partition_index => INT32  current_leader_epoch => INT32  timestamp => INT64
 *
 *   ListOffsets Response (Version: 4..5) => throttle_time_ms [topics]
 *     throttle_time_ms => INT32
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index error_code timestamp offset leader_epoch
 *         partition_index => INT32  error_code => INT16  timestamp => INT64  offset => INT64
 *         leader_epoch => INT32   (always 0: one broker, one epoch)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { ListOffsetsRequest, ListOffsetsResponse } from './list-offsets.v1.ts'

export function decodeListOffsetsRequestV4(r: Reader): ListOffsetsRequest {
  r.int32()
  const isolationLevel = r.int8()
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32()
      r.int32()
      return { index, timestamp: r.int64() }
    }),
  }))
  return { isolationLevel, topics }
}

export function encodeListOffsetsResponseV4(w: Writer, res: ListOffsetsResponse): void {
  w.int32(0)
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) =>
      w.int32(p.index).int16(p.errorCode).int64(p.timestamp).int64(p.offset).int32(0),
    )
  })
}
