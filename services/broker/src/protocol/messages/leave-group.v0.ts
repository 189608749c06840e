/**
 * LeaveGroup v0 and v1 (key 13): same request; v1 adds throttle_time_ms to the response
 * v2 has the v1 layout (it only changed throttling behaviour).
 * (encoded by the error-only encoders in heartbeat.v0.ts).
 *
 *   LeaveGroup Request (Version: 0..1) => group_id member_id
 *     group_id => STRING  member_id => STRING
 *
 *   LeaveGroup Response (Version: 0) => error_code
 *   LeaveGroup Response (Version: 1..2) => throttle_time_ms error_code
 */
import type { Reader } from '../reader.ts'

export type LeaveGroupRequest = { groupId: string; memberId: string }

export function decodeLeaveGroupRequestV0(r: Reader): LeaveGroupRequest {
  return { groupId: r.string(), memberId: r.string() }
}
