/**
 * Fetch v11 (key 1): rack_id in the request (KIP-392, ignored) and preferred_read_replica in the
 * response (always -1: read from the leader).
 *
 *   Fetch Request (Version: 11) => (as v9) rack_id
 *     rack_id => STRING
 *
 *   Fetch Response (Version: 11) => throttle_time_ms error_code session_id [responses]
 *     responses => topic [partitions]
 *       partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
 *                     [aborted_transactions] preferred_read_replica records
 *         preferred_read_replica => INT32   (others as v5)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { encodeFetchTopics } from './fetch.v0.ts'
import type { FetchRequest, FetchResponse } from './fetch.v4.ts'
import { decodeFetchRequestV9 } from './fetch.v9.ts'

export function decodeFetchRequestV11(r: Reader): FetchRequest {
  const req = decodeFetchRequestV9(r)
  r.string()
  return req
}

export function encodeFetchResponseV11(w: Writer, res: FetchResponse): void {
  w.int32(0).int16(0).int32(0)
  encodeFetchTopics(w, res, { lastStableOffset: true, logStartOffset: true, preferredReadReplica: true })
}
