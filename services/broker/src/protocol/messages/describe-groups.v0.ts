/**
 * DescribeGroups v0 and v1 (key 15): same request; v1 adds throttle_time_ms first in the response.
 * v2 has the v1 layout (it only changed throttling behaviour).
 *
 *   DescribeGroups Request (Version: 0..1) => [groups]
 *     groups => STRING
 *
 *   DescribeGroups Response (Version: 0) => [groups]
 *   DescribeGroups Response (Version: 1..2) => throttle_time_ms [groups]
 *     throttle_time_ms => INT32
 *     groups => error_code group_id group_state protocol_type protocol_data [members]
 *       error_code => INT16  group_id => STRING  group_state => STRING
 *       protocol_type => STRING  protocol_data => STRING
 *       members => member_id client_id client_host member_metadata member_assignment
 *         member_id => STRING  client_id => STRING  client_host => STRING
 *         member_metadata => BYTES  member_assignment => BYTES
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type DescribeGroupsRequest = { groups: string[] }

export type DescribedGroup = {
  errorCode: number
  groupId: string
  state: string
  protocolType: string
  protocolData: string
  members: { memberId: string; clientId: string; clientHost: string; metadata: Buffer; assignment: Buffer }[]
}

export type DescribeGroupsResponse = { groups: DescribedGroup[] }

export function decodeDescribeGroupsRequestV0(r: Reader): DescribeGroupsRequest {
  return { groups: r.array((r) => r.string()) }
}

export function encodeDescribeGroupsResponseV0(w: Writer, res: DescribeGroupsResponse): void {
  w.array(res.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.state).string(g.protocolType).string(g.protocolData)
    w.array(g.members, (w, m) =>
      w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment),
    )
  })
}

export function encodeDescribeGroupsResponseV1(w: Writer, res: DescribeGroupsResponse): void {
  w.int32(0)
  encodeDescribeGroupsResponseV0(w, res)
}
