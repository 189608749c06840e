/**
 * Fetch v3 (key 1): the request adds a response-wide max_bytes (KIP-74). Response as v1.
 *
 *   Fetch Request (Version: 3) => replica_id max_wait_ms min_bytes max_bytes [topics]
 *     replica_id => INT32  max_wait_ms => INT32  min_bytes => INT32  max_bytes => INT32
 *     topics => as v0 (topic, partition fetch_offset partition_max_bytes)
 */
import type { Reader } from '../reader.ts'
import { decodeFetchTopics } from './fetch.v0.ts'
import type { FetchRequest } from './fetch.v4.ts'

export function decodeFetchRequestV3(r: Reader): FetchRequest {
  return {
    replicaId: r.int32(),
    maxWaitMs: r.int32(),
    minBytes: r.int32(),
    maxBytes: r.int32(),
    isolationLevel: 0,
    topics: decodeFetchTopics(r),
  }
}
