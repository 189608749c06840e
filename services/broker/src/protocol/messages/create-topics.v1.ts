/**
 * CreateTopics v1 (key 19): adds validate_only to the request and error_message to the response.
 *
 *   CreateTopics Request (Version: 1..2) => [topics] timeout_ms validate_only
 *     topics => as v0 (see create-topics.v0.ts)
 *     timeout_ms => INT32  validate_only => BOOLEAN
 *
 *   CreateTopics Response (Version: 1) => [topics]
 *     topics => name error_code error_message   (STRING, INT16, NULLABLE_STRING)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import {
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  decodeCreatableTopics,
} from './create-topics.v0.ts'

export function decodeCreateTopicsRequestV1(r: Reader): CreateTopicsRequest {
  return { topics: decodeCreatableTopics(r), timeoutMs: r.int32(), validateOnly: r.bool() }
}

export function encodeCreateTopicsResponseV1(w: Writer, res: CreateTopicsResponse): void {
  w.array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode).nullableString(t.errorMessage))
}
