/**
 * ApiVersions v0 (key 18).
 *
 *   ApiVersions Request (Version: 0) =>
 *   ApiVersions Response (Version: 0) => error_code [api_keys]
 *     error_code => INT16
 *     api_keys => api_key min_version max_version
 *       api_key => INT16  min_version => INT16  max_version => INT16
 *
 * Also the shape of the answer to an ApiVersions version we do not support (error 35), so the
 * client can read our range and retry lower, as Apache Kafka does.
 */
import type { Writer } from '../writer.ts'

export type ApiVersionRange = { apiKey: number; minVersion: number; maxVersion: number }
export type ApiVersionsRequest = Record<string, never>
export type ApiVersionsResponse = { errorCode: number; apiKeys: ApiVersionRange[] }

export function decodeApiVersionsRequestV0(): ApiVersionsRequest {
  return {}
}

export function encodeApiVersionsResponseV0(w: Writer, res: ApiVersionsResponse): void {
  w.int16(res.errorCode)
  w.array(res.apiKeys, (w, k) => w.int16(k.apiKey).int16(k.minVersion).int16(k.maxVersion))
}
