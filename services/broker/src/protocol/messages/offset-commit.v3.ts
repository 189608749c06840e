/**
 * OffsetCommit v3 and v4 (key 8): the response starts with throttle_time_ms; the request is the
 * v2 layout (see offset-commit.v2.ts); v4 only changed error semantics.
 *
 *   OffsetCommit Response (Version: 3..7) => throttle_time_ms [topics]
 *     throttle_time_ms => INT32
 *     topics => as v0 (name, partition_index error_code)
 */
import type { Writer } from '../writer.ts'
import { encodeOffsetCommitResponseV0, type OffsetCommitResponse } from './offset-commit.v1.ts'

export function encodeOffsetCommitResponseV3(w: Writer, res: OffsetCommitResponse): void {
  w.int32(0)
  encodeOffsetCommitResponseV0(w, res)
}
