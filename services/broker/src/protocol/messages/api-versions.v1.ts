/**
 * ApiVersions v1 and v2 (key 18); both versions share this wire layout.
 *
 *   ApiVersions Request (Version: 1..2) =>
 *   ApiVersions Response (Version: 1..2) => error_code [api_keys] throttle_time_ms
 *     error_code => INT16
 *     api_keys => api_key min_version max_version  (INT16 each)
 *     throttle_time_ms => INT32
 */
import type { Writer } from '../writer.ts'
import { type ApiVersionsResponse, encodeApiVersionsResponseV0 } from './api-versions.v0.ts'

export function encodeApiVersionsResponseV1(w: Writer, res: ApiVersionsResponse): void {
  encodeApiVersionsResponseV0(w, res)
  w.int32(0)
}
