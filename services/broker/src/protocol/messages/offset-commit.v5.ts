/**
 * OffsetCommit v5 to v7 (key 8): v5 drops retention_time_ms (KIP-211), v6 adds
 * committed_leader_epoch per partition (ignored), v7 adds group_instance_id (static membership,
 * accepted and ignored). Response as v3.
 *
 *   OffsetCommit Request (Version: 5) => group_id generation_id member_id [topics]
 *     group_id => STRING  generation_id => INT32  member_id => STRING
 *     topics => name [partitions]
 *       partitions => partition_index committed_offset committed_metadata
 *   OffsetCommit Request (Version: 6) => as v5, partitions =>
 *       partition_index committed_offset committed_leader_epoch committed_metadata
 *         committed_leader_epoch => INT32
 *   OffsetCommit Request (Version: 7) => group_id generation_id member_id group_instance_id [topics]
 *     group_instance_id => NULLABLE_STRING   (topics as v6)
 */
import type { Reader } from '../reader.ts'
import { decodeCommitTopics } from './offset-commit.v0.ts'
import type { OffsetCommitRequest } from './offset-commit.v1.ts'

function decode(r: Reader, leaderEpoch: boolean, instanceId: boolean): OffsetCommitRequest {
  const groupId = r.string()
  const generationId = r.int32()
  const memberId = r.string()
  if (instanceId) r.nullableString()
  return { groupId, generationId, memberId, topics: decodeCommitTopics(r, leaderEpoch) }
}

export const decodeOffsetCommitRequestV5 = (r: Reader) => decode(r, false, false)
export const decodeOffsetCommitRequestV6 = (r: Reader) => decode(r, true, false)
export const decodeOffsetCommitRequestV7 = (r: Reader) => decode(r, true, true)
