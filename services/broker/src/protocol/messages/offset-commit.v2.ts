/**
 * OffsetCommit v2 (key 8): the per-partition commit timestamp is replaced by a group-level
 * retention time (ignored here: offsets are kept until the topic is deleted).
 *
 *   OffsetCommit Request (Version: 2) => group_id generation_id member_id retention_time_ms [topics]
 *     group_id => STRING  generation_id => INT32  member_id => STRING  retention_time_ms => INT64
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index committed_offset committed_metadata
 *         partition_index => INT32  committed_offset => INT64  committed_metadata => NULLABLE_STRING
 *
 *   OffsetCommit Response (Version: 2): as v0/v1 (see offset-commit.v1.ts).
 */
import type { Reader } from '../reader.ts'
import type { OffsetCommitRequest } from './offset-commit.v1.ts'

export function decodeOffsetCommitRequestV2(r: Reader): OffsetCommitRequest {
  const groupId = r.string()
  const generationId = r.int32()
  const memberId = r.string()
  r.int64()
  return {
    groupId,
    generationId,
    memberId,
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    })),
  }
}
