/**
 * JoinGroup v2, v3 and v4 (key 11): the request is the v1 layout (see join-group.v1.ts); the
 * response gains throttle_time_ms. From v4 a join with an empty member id is answered with
 * MEMBER_ID_REQUIRED (79) and the id the client must rejoin with (KIP-394).
 *
 *   JoinGroup Response (Version: 2..4) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *     throttle_time_ms => INT32  error_code => INT16  generation_id => INT32
 *     protocol_name => STRING  leader => STRING  member_id => STRING
 *     members => member_id metadata   (STRING, BYTES)
 */
import type { Writer } from '../writer.ts'
import { encodeJoinGroupResponseV0, type JoinGroupResponse } from './join-group.v0.ts'

export function encodeJoinGroupResponseV2(w: Writer, res: JoinGroupResponse): void {
  w.int32(0)
  encodeJoinGroupResponseV0(w, res)
}
