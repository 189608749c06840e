/**
 * ListOffsets v0 (key 2), the pre-KIP-79 "offsets before" lookup.
 *
 *   ListOffsets Request (Version: 0) => replica_id [topics]
 *     replica_id => INT32
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index timestamp max_num_offsets
 *         partition_index => INT32  timestamp => INT64  max_num_offsets => INT32
 *
 *   ListOffsets Response (Version: 0) => [topics]
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index error_code [old_style_offsets]
 *         partition_index => INT32  error_code => INT16  old_style_offsets => INT64
 *
 * Answered with at most one offset: the one v1 would return (Kafka lists segment base offsets
 * here; clients ask for max_num_offsets = 1 with -1 or -2).
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { ListOffsetsRequest, ListOffsetsResponse } from './list-offsets.v1.ts'

export function decodeListOffsetsRequestV0(r: Reader): ListOffsetsRequest {
  r.int32()
  return {
    isolationLevel: 0,
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const p = { index: r.int32(), timestamp: r.int64() }
        r.int32()
        return p
      }),
    })),
  }
}

export function encodeListOffsetsResponseV0(w: Writer, res: ListOffsetsResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      w.int32(p.index).int16(p.errorCode)
      w.array(p.offset >= 0 ? [p.offset] : [], (w, o) => w.int64(o))
    })
  })
}
