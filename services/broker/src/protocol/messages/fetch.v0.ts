/**
 * Fetch v0 (key 1), and the field readers/writers the later versions add to. Fetch v0-v3 carry
 * legacy message sets (magic 0 for v0-v1, magic 1 for v2-v3): the handler down-converts.
 *
 *   Fetch Request (Version: 0..2) => replica_id max_wait_ms min_bytes [topics]
 *     replica_id => INT32  max_wait_ms => INT32  min_bytes => INT32
 *     topics => topic [partitions]
 *       topic => STRING
 *       partitions => partition fetch_offset partition_max_bytes
 *         partition => INT32  fetch_offset => INT64  partition_max_bytes => INT32
 *
 *   Fetch Response (Version: 0) => [responses]
 *     responses => topic [partitions]
 *       topic => STRING
 *       partitions => partition_index error_code high_watermark records
 *         partition_index => INT32  error_code => INT16  high_watermark => INT64
 *         records => NULLABLE_BYTES
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from './fetch.v4.ts'

/** Which optional per-partition fields a version carries, in wire order. */
export type FetchPartitionFields = { leaderEpoch?: boolean; logStartOffset?: boolean }

export function decodeFetchTopics(r: Reader, fields: FetchPartitionFields = {}): FetchRequest['topics'] {
  return r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32()
      if (fields.leaderEpoch) r.int32()
      const fetchOffset = r.int64()
      if (fields.logStartOffset) r.int64()
      return { index, fetchOffset, maxBytes: r.int32() }
    }),
  }))
}

export type FetchResponseFields = {
  lastStableOffset?: boolean
  logStartOffset?: boolean
  preferredReadReplica?: boolean
}

export function encodeFetchTopics(w: Writer, res: FetchResponse, fields: FetchResponseFields = {}): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p: FetchPartitionResponse) => {
      w.int32(p.index).int16(p.errorCode).int64(p.highWatermark)
      if (fields.lastStableOffset) {
        w.int64(p.lastStableOffset)
        if (fields.logStartOffset) w.int64(p.logStartOffset)
        w.int32(-1)
        if (fields.preferredReadReplica) w.int32(-1)
      }
      w.nullableBytes(p.records)
    })
  })
}

export function decodeFetchRequestV0(r: Reader): FetchRequest {
  return {
    replicaId: r.int32(),
    maxWaitMs: r.int32(),
    minBytes: r.int32(),
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    topics: decodeFetchTopics(r),
  }
}

export function encodeFetchResponseV0(w: Writer, res: FetchResponse): void {
  encodeFetchTopics(w, res)
}
