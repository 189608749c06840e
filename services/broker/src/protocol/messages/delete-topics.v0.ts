/**
 * DeleteTopics v0 and v1 (key 20): same request; v1 adds throttle_time_ms first in the response.
 *
 *   DeleteTopics Request (Version: 0..1) => [topic_names] timeout_ms
 *     topic_names => STRING  timeout_ms => INT32
 *
 *   DeleteTopics Response (Version: 0) => [responses]
 *   DeleteTopics Response (Version: 1) => throttle_time_ms [responses]
 *     throttle_time_ms => INT32
 *     responses => name error_code   (STRING, INT16)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type DeleteTopicsRequest = { topics: string[]; timeoutMs: number }
export type DeleteTopicsResponse = { topics: { name: string; errorCode: number }[] }

export function decodeDeleteTopicsRequestV0(r: Reader): DeleteTopicsRequest {
  return { topics: r.array((r) => r.string()), timeoutMs: r.int32() }
}

export function encodeDeleteTopicsResponseV0(w: Writer, res: DeleteTopicsResponse): void {
  w.array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode))
}

export function encodeDeleteTopicsResponseV1(w: Writer, res: DeleteTopicsResponse): void {
  w.int32(0)
  encodeDeleteTopicsResponseV0(w, res)
}
