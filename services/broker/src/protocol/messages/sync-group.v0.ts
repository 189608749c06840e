/**
 * SyncGroup v0 (key 14).
 *
 *   SyncGroup Request (Version: 0..1) => group_id generation_id member_id [assignments]
 *     group_id => STRING  generation_id => INT32  member_id => STRING
 *     assignments => member_id assignment   (STRING, BYTES)
 *
 *   SyncGroup Response (Version: 0) => error_code assignment
 *     error_code => INT16  assignment => BYTES
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type SyncGroupRequest = {
  groupId: string
  generationId: number
  memberId: string
  assignments: { memberId: string; assignment: Buffer }[]
}

export type SyncGroupResponse = { errorCode: number; assignment: Buffer }

export function decodeSyncGroupRequestV0(r: Reader): SyncGroupRequest {
  return {
    groupId: r.string(),
    generationId: r.int32(),
    memberId: r.string(),
    assignments: r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) })),
  }
}

export function encodeSyncGroupResponseV0(w: Writer, res: SyncGroupResponse): void {
  w.int16(res.errorCode).bytes(res.assignment)
}
