/**
 * Metadata v2 and v3 (key 3): the response adds cluster_id after the brokers; v3 also starts
 * with throttle_time_ms. Request as v1.
 *
 *   Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topics]
 *   Metadata Response (Version: 3) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 *     throttle_time_ms => INT32  cluster_id => NULLABLE_STRING   (others as v1)
 */
import type { Writer } from '../writer.ts'
import { encodeMetadataTopics } from './metadata.v0.ts'
import { encodeMetadataBrokers } from './metadata.v1.ts'
import type { MetadataResponse } from './metadata.v4.ts'

export function encodeMetadataResponseV2(w: Writer, res: MetadataResponse): void {
  encodeMetadataBrokers(w, res)
  w.nullableString(res.clusterId).int32(res.controllerId)
  encodeMetadataTopics(w, res, true)
}

export function encodeMetadataResponseV3(w: Writer, res: MetadataResponse): void {
  w.int32(0)
  encodeMetadataResponseV2(w, res)
}
