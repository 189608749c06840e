/**
 * Produce v1 (key 0): the response adds throttle_time_ms at its end. Request as v0.
 *
 *   Produce Response (Version: 1) => [responses] throttle_time_ms
 *     responses => as v0 (name, index error_code base_offset)
 *     throttle_time_ms => INT32
 */
import type { Writer } from '../writer.ts'
import { encodeProduceResponseV0 } from './produce.v0.ts'
import type { ProduceResponse } from './produce.v3.ts'

export function encodeProduceResponseV1(w: Writer, res: ProduceResponse): void {
  encodeProduceResponseV0(w, res)
  w.int32(0)
}
