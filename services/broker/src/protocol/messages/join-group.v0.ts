/**
 * JoinGroup v0 (key 11).
 *
 *   JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
 *     group_id => STRING  session_timeout_ms => INT32  member_id => STRING  protocol_type => STRING
 *     protocols => name metadata
 *       name => STRING  metadata => BYTES
 *
 *   JoinGroup Response (Version: 0..1) => error_code generation_id protocol_name leader member_id [members]
 *     error_code => INT16  generation_id => INT32  protocol_name => STRING
 *     leader => STRING  member_id => STRING
 *     members => member_id metadata
 *       member_id => STRING  metadata => BYTES
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type JoinGroupRequest = {
  groupId: string
  sessionTimeoutMs: number
  /** v0 has no rebalance timeout; Kafka uses the session timeout in its place. */
  rebalanceTimeoutMs: number
  memberId: string
  protocolType: string
  protocols: { name: string; metadata: Buffer }[]
}

export type JoinGroupResponse = {
  errorCode: number
  generationId: number
  protocolName: string
  leader: string
  memberId: string
  members: { memberId: string; metadata: Buffer }[]
}

export function decodeJoinGroupProtocols(r: Reader): JoinGroupRequest['protocols'] {
  return r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) }))
}

export function decodeJoinGroupRequestV0(r: Reader): JoinGroupRequest {
  const groupId = r.string()
  const sessionTimeoutMs = r.int32()
  const memberId = r.string()
  const protocolType = r.string()
  return {
    groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs: sessionTimeoutMs,
    memberId,
    protocolType,
    protocols: decodeJoinGroupProtocols(r),
  }
}

export function encodeJoinGroupResponseV0(w: Writer, res: JoinGroupResponse): void {
  w.int16(res.errorCode)
    .int32(res.generationId)
    .string(res.protocolName)
    .string(res.leader)
    .string(res.memberId)
  w.array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata))
}
