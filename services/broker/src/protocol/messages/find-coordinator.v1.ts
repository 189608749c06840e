/**
 * FindCoordinator v1 and v2 (key 10); both share this layout.
 *
 *   FindCoordinator Request (Version: 1..2) => key key_type
 *     key => STRING  key_type => INT8   (0 group, 1 transaction)
 *
 *   FindCoordinator Response (Version: 1..2) => throttle_time_ms error_code error_message node_id host port
 *     throttle_time_ms => INT32  error_code => INT16  error_message => NULLABLE_STRING
 *     node_id => INT32  host => STRING  port => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from './find-coordinator.v0.ts'

export function decodeFindCoordinatorRequestV1(r: Reader): FindCoordinatorRequest {
  return { key: r.string(), keyType: r.int8() }
}

export function encodeFindCoordinatorResponseV1(w: Writer, res: FindCoordinatorResponse): void {
  w.int32(0).int16(res.errorCode).nullableString(res.errorMessage)
  w.int32(res.nodeId).string(res.host).int32(res.port)
}
