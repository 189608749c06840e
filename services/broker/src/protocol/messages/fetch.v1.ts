/**
 * Fetch v1 and v2 (key 1): the response adds throttle_time_ms; v2 only raised the message
 * format to magic 1. The request is the v0 layout.
 *
 *   Fetch Request (Version: 1..2) => as v0
 *
 *   Fetch Response (Version: 1..3) => throttle_time_ms [responses]
 *     throttle_time_ms => INT32
 *     responses => as v0 (topic, partition_index error_code high_watermark records)
 */
import type { Writer } from '../writer.ts'
import { encodeFetchTopics } from './fetch.v0.ts'
import type { FetchResponse } from './fetch.v4.ts'

export function encodeFetchResponseV1(w: Writer, res: FetchResponse): void {
  w.int32(0)
  encodeFetchTopics(w, res)
}
