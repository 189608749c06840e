/**
 * JoinGroup v1 (key 11): adds rebalance_timeout_ms. The response is the v0 layout.
 *
 *   JoinGroup Request (Version: 1..4) => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [protocols]
 *     group_id => STRING  session_timeout_ms => INT32  rebalance_timeout_ms => INT32
 *     member_id => STRING  protocol_type => STRING
 *     protocols => name metadata   (STRING, BYTES)
 */
import type { Reader } from '../reader.ts'
import { decodeJoinGroupProtocols, type JoinGroupRequest } from './join-group.v0.ts'

export function decodeJoinGroupRequestV1(r: Reader): JoinGroupRequest {
  return {
    groupId: r.string(),
    sessionTimeoutMs: r.int32(),
    rebalanceTimeoutMs: r.int32(),
    memberId: r.string(),
    protocolType: r.string(),
    protocols: decodeJoinGroupProtocols(r),
  }
}
