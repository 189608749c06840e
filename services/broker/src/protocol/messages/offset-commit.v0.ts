/**
 * OffsetCommit v0 (key 8): no generation or member (a "simple" commit, generation -1).
 *
 *   OffsetCommit Request (Version: 0) => group_id [topics]
 *     group_id => STRING
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index committed_offset committed_metadata
 *         partition_index => INT32  committed_offset => INT64  committed_metadata => NULLABLE_STRING
 *
 *   OffsetCommit Response (Version: 0): see offset-commit.v1.ts.
 */
import type { Reader } from '../reader.ts'
import type { OffsetCommitRequest } from './offset-commit.v1.ts'

export function decodeCommitTopics(r: Reader, withLeaderEpoch = false): OffsetCommitRequest['topics'] {
  return r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32()
      const offset = r.int64()
      if (withLeaderEpoch) r.int32()
      return { index, offset, metadata: r.nullableString() }
    }),
  }))
}

export function decodeOffsetCommitRequestV0(r: Reader): OffsetCommitRequest {
  return { groupId: r.string(), generationId: -1, memberId: '', topics: decodeCommitTopics(r) }
}
