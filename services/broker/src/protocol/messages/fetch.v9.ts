/**
 * Fetch v9 and v10 (key 1): current_leader_epoch per partition (KIP-320, read and ignored: one
 * broker, epoch 0); v10 allows zstd batches (KIP-110). Response as v7.
 *
 *   Fetch Request (Version: 9..10) => (as v7)
 *     topics => topic [partitions]
 *       partitions => partition current_leader_epoch fetch_offset log_start_offset partition_max_bytes
 *         current_leader_epoch => INT32   (others as v5)
 */
import type { Reader } from '../reader.ts'
import type { FetchRequest } from './fetch.v4.ts'
import { decodeSessionFetch } from './fetch.v7.ts'

export function decodeFetchRequestV9(r: Reader): FetchRequest {
  return decodeSessionFetch(r, { leaderEpoch: true, logStartOffset: true })
}
