/**
 * Fetch v4 (key 1). Records are served as stored: whole record batches, bytes untouched.
 *
 *   Fetch Request (Version: 4) => replica_id max_wait_ms min_bytes max_bytes isolation_level [topics]
 *     replica_id => INT32  max_wait_ms => INT32  min_bytes => INT32  max_bytes => INT32
 *     isolation_level => INT8
 *     topics => topic [partitions]
 *       topic => STRING
 *       partitions => partition fetch_offset partition_max_bytes
 *         partition => INT32  fetch_offset => INT64  partition_max_bytes => INT32
 *
 *   Fetch Response (Version: 4) => throttle_time_ms [responses]
 *     throttle_time_ms => INT32
 *     responses => topic [partitions]
 *       topic => STRING
 *       partitions => partition_index error_code high_watermark last_stable_offset [aborted_transactions] records
 *         partition_index => INT32  error_code => INT16  high_watermark => INT64
 *         last_stable_offset => INT64
 *         aborted_transactions => producer_id first_offset  (nullable array; INT64 each)
 *         records => NULLABLE_BYTES
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { decodeFetchTopics, encodeFetchTopics } from './fetch.v0.ts'

export type FetchRequest = {
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolationLevel: number
  topics: { name: string; partitions: { index: number; fetchOffset: number; maxBytes: number }[] }[]
}

export type FetchPartitionResponse = {
  index: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  /** Sent from v5. */
  logStartOffset: number
  records: Buffer | null
}

export type FetchResponse = { topics: { name: string; partitions: FetchPartitionResponse[] }[] }

export function decodeFetchRequestV4(r: Reader): FetchRequest {
  return {
    replicaId: r.int32(),
    maxWaitMs: r.int32(),
    minBytes: r.int32(),
    maxBytes: r.int32(),
    isolationLevel: r.int8(),
    topics: decodeFetchTopics(r),
  }
}

export function encodeFetchResponseV4(w: Writer, res: FetchResponse): void {
  w.int32(0)
  encodeFetchTopics(w, res, { lastStableOffset: true })
}
