/**
 * Fetch v5 and v6 (key 1): log_start_offset per partition in request and response; v6 only
 * added KAFKA_STORAGE_ERROR as a possible error.
 *
 *   Fetch Request (Version: 5..6) => replica_id max_wait_ms min_bytes max_bytes isolation_level [topics]
 *     (header fields as v4)
 *     topics => topic [partitions]
 *       partitions => partition fetch_offset log_start_offset partition_max_bytes
 *         partition => INT32  fetch_offset => INT64  log_start_offset => INT64  partition_max_bytes => INT32
 *
 *   Fetch Response (Version: 5..6) => throttle_time_ms [responses]
 *     responses => topic [partitions]
 *       partitions => partition_index error_code high_watermark last_stable_offset log_start_offset
 *                     [aborted_transactions] records
 *         log_start_offset => INT64   (others as v4)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { decodeFetchTopics, encodeFetchTopics } from './fetch.v0.ts'
import type { FetchRequest, FetchResponse } from './fetch.v4.ts'

export function decodeFetchRequestV5(r: Reader): FetchRequest {
  return {
    replicaId: r.int32(),
    maxWaitMs: r.int32(),
    minBytes: r.int32(),
    maxBytes: r.int32(),
    isolationLevel: r.int8(),
    topics: decodeFetchTopics(r, { logStartOffset: true }),
  }
}

export function encodeFetchResponseV5(w: Writer, res: FetchResponse): void {
  w.int32(0)
  encodeFetchTopics(w, res, { lastStableOffset: true, logStartOffset: true })
}
