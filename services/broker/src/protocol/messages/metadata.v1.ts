/**
 * Metadata v1 (key 3): null topics means all (an empty array now means none); brokers gain
 * rack, the response gains controller_id and is_internal per topic.
 *
 *   Metadata Request (Version: 1..3) => [topics]
 *     topics => name STRING   (nullable array; auto-creation allowed)
 *
 *   Metadata Response (Version: 1) => [brokers] controller_id [topics]
 *     brokers => node_id host port rack
 *       node_id => INT32  host => STRING  port => INT32  rack => NULLABLE_STRING
 *     controller_id => INT32
 *     topics => error_code name is_internal [partitions]
 *       is_internal => BOOLEAN   (others as v0)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import { encodeMetadataTopics } from './metadata.v0.ts'
import type { MetadataRequest, MetadataResponse } from './metadata.v4.ts'

export function decodeMetadataRequestV1(r: Reader): MetadataRequest {
  return { topics: r.nullableArray((r) => r.string()), allowAutoTopicCreation: true }
}

export function encodeMetadataBrokers(w: Writer, res: MetadataResponse): void {
  w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port).nullableString(null))
}

export function encodeMetadataResponseV1(w: Writer, res: MetadataResponse): void {
  encodeMetadataBrokers(w, res)
  w.int32(res.controllerId)
  encodeMetadataTopics(w, res, true)
}
