/**
 * Heartbeat v0 and v1 (key 12): same request; v1 adds throttle_time_ms to the response.
 * v2 has the v1 layout (it only changed throttling behaviour).
 *
 *   Heartbeat Request (Version: 0..1) => group_id generation_id member_id
 *     group_id => STRING  generation_id => INT32  member_id => STRING
 *
 *   Heartbeat Response (Version: 0) => error_code
 *   Heartbeat Response (Version: 1..2) => throttle_time_ms error_code
 *     throttle_time_ms => INT32  error_code => INT16
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type HeartbeatRequest = { groupId: string; generationId: number; memberId: string }
export type ErrorOnlyResponse = { errorCode: number }

export function decodeHeartbeatRequestV0(r: Reader): HeartbeatRequest {
  return { groupId: r.string(), generationId: r.int32(), memberId: r.string() }
}

export function encodeErrorOnlyResponseV0(w: Writer, res: ErrorOnlyResponse): void {
  w.int16(res.errorCode)
}

export function encodeErrorOnlyResponseV1(w: Writer, res: ErrorOnlyResponse): void {
  w.int32(0).int16(res.errorCode)
}
