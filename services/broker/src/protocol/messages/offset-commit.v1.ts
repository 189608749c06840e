/**
 * OffsetCommit v1 (key 8).
 *
 *   OffsetCommit Request (Version: 1) => group_id generation_id member_id [topics]
 *     group_id => STRING  generation_id => INT32  member_id => STRING
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index committed_offset commit_timestamp committed_metadata
 *         partition_index => INT32  committed_offset => INT64  commit_timestamp => INT64
 *         committed_metadata => NULLABLE_STRING
 *
 *   OffsetCommit Response (Version: 0..2) => [topics]
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index error_code   (INT32, INT16)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type OffsetCommitRequest = {
  groupId: string
  generationId: number
  memberId: string
  topics: { name: string; partitions: { index: number; offset: number; metadata: string | null }[] }[]
}

export type OffsetCommitResponse = {
  topics: { name: string; partitions: { index: number; errorCode: number }[] }[]
}

export function decodeOffsetCommitRequestV1(r: Reader): OffsetCommitRequest {
  return {
    groupId: r.string(),
    generationId: r.int32(),
    memberId: r.string(),
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const index = r.int32()
        const offset = r.int64()
        r.int64()
        return { index, offset, metadata: r.nullableString() }
      }),
    })),
  }
}

export function encodeOffsetCommitResponseV0(w: Writer, res: OffsetCommitResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => w.int32(p.index).int16(p.errorCode))
  })
}
