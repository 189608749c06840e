/**
 * InitProducerId v0 and v1 (key 22); v1 changed only semantics, so both share this layout.
 *
 *   InitProducerId Request (Version: 0..1) => transactional_id transaction_timeout_ms
 *     transactional_id => NULLABLE_STRING  transaction_timeout_ms => INT32
 *
 *   InitProducerId Response (Version: 0..1) => throttle_time_ms error_code producer_id producer_epoch
 *     throttle_time_ms => INT32  error_code => INT16  producer_id => INT64  producer_epoch => INT16
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type InitProducerIdRequest = { transactionalId: string | null; transactionTimeoutMs: number }
export type InitProducerIdResponse = { errorCode: number; producerId: number; producerEpoch: number }

export function decodeInitProducerIdRequestV0(r: Reader): InitProducerIdRequest {
  return { transactionalId: r.nullableString(), transactionTimeoutMs: r.int32() }
}

export function encodeInitProducerIdResponseV0(w: Writer, res: InitProducerIdResponse): void {
  w.int32(0).int16(res.errorCode).int64(res.producerId).int16(res.producerEpoch)
}
