/**
 * ListGroups v0 and v1 (key 16): empty request; v1 adds throttle_time_ms first in the response.
 * v2 has the v1 layout (it only changed throttling behaviour).
 *
 *   ListGroups Request (Version: 0..1) =>
 *
 *   ListGroups Response (Version: 0) => error_code [groups]
 *   ListGroups Response (Version: 1..2) => throttle_time_ms error_code [groups]
 *     throttle_time_ms => INT32  error_code => INT16
 *     groups => group_id protocol_type   (STRING, STRING)
 */
import type { Writer } from '../writer.ts'

export type ListGroupsRequest = Record<string, never>
export type ListGroupsResponse = { errorCode: number; groups: { groupId: string; protocolType: string }[] }

export function decodeListGroupsRequestV0(): ListGroupsRequest {
  return {}
}

export function encodeListGroupsResponseV0(w: Writer, res: ListGroupsResponse): void {
  w.int16(res.errorCode)
  w.array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType))
}

export function encodeListGroupsResponseV1(w: Writer, res: ListGroupsResponse): void {
  w.int32(0)
  encodeListGroupsResponseV0(w, res)
}
