/**
 * Fetch v7 and v8 (key 1): incremental fetch sessions (KIP-227). This broker never creates a
 * session: it answers session_id 0, which tells the client to keep sending full fetch requests;
 * session fields and forgotten topics in the request are read and ignored.
 *
 *   Fetch Request (Version: 7..8) => replica_id max_wait_ms min_bytes max_bytes isolation_level
 *                                    session_id session_epoch [topics] [forgotten_topics_data]
 *     session_id => INT32  session_epoch => INT32
 *     topics => as v5
 *     forgotten_topics_data => topic [partitions]
 *       topic => STRING  partitions => INT32
 *
 *   Fetch Response (Version: 7..10) => throttle_time_ms error_code session_id [responses]
 *     throttle_time_ms => INT32  error_code => INT16  session_id => INT32
 *     responses => as v5
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { decodeFetchTopics, encodeFetchTopics, type FetchPartitionFields } from './fetch.v0.ts'
import type { FetchRequest, FetchResponse } from './fetch.v4.ts'

export function decodeSessionFetch(r: Reader, fields: FetchPartitionFields): FetchRequest {
  const replicaId = r.int32()
  const maxWaitMs = r.int32()
  const minBytes = r.int32()
  const maxBytes = r.int32()
  const isolationLevel = r.int8()
  r.int32()
  r.int32()
  const topics = decodeFetchTopics(r, fields)
  r.array((r) => {
    r.string()
    return r.array((r) => r.int32())
  })
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, topics }
}

export function decodeFetchRequestV7(r: Reader): FetchRequest {
  return decodeSessionFetch(r, { logStartOffset: true })
}

export function encodeFetchResponseV7(w: Writer, res: FetchResponse): void {
  w.int32(0).int16(0).int32(0)
  encodeFetchTopics(w, res, { lastStableOffset: true, logStartOffset: true })
}
