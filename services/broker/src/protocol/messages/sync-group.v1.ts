/**
 * SyncGroup v1 (key 14): request as v0 (see sync-group.v0.ts), response gains throttle_time_ms.
 * v2 has the v1 layout (it only changed throttling behaviour).
 *
 *   SyncGroup Response (Version: 1..2) => throttle_time_ms error_code assignment
 *     throttle_time_ms => INT32  error_code => INT16  assignment => BYTES
 */
import type { Writer } from '../writer.ts'
import { encodeSyncGroupResponseV0, type SyncGroupResponse } from './sync-group.v0.ts'

export function encodeSyncGroupResponseV1(w: Writer, res: SyncGroupResponse): void {
  w.int32(0)
  encodeSyncGroupResponseV0(w, res)
}
