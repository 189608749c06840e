/**
 * CreateTopics v2 (key 19): request as v1 (see create-topics.v1.ts); response gains throttle_time_ms.
 *
 *   CreateTopics Response (Version: 2) => throttle_time_ms [topics]
 *     throttle_time_ms => INT32
 *     topics => name error_code error_message   (STRING, INT16, NULLABLE_STRING)
 */
import type { Writer } from '../writer.ts'
import type { CreateTopicsResponse } from './create-topics.v0.ts'
import { encodeCreateTopicsResponseV1 } from './create-topics.v1.ts'

export function encodeCreateTopicsResponseV2(w: Writer, res: CreateTopicsResponse): void {
  w.int32(0)
  encodeCreateTopicsResponseV1(w, res)
}
