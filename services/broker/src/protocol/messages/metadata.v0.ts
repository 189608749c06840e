/**
 * Metadata v0 (key 3), and the topic list writer the later versions share.
 *
 *   Metadata Request (Version: 0) => [topics]
 *     topics => name STRING   (an empty array means all topics; always allows auto-creation)
 *
 *   Metadata Response (Version: 0) => [brokers] [topics]
 *     brokers => node_id host port
 *       node_id => INT32  host => STRING  port => INT32
 *     topics => error_code name [partitions]
 *       error_code => INT16  name => STRING
 *       partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes]
 *         error_code => INT16  partition_index => INT32  leader_id => INT32
 *         replica_nodes => INT32  isr_nodes => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { MetadataRequest, MetadataResponse } from './metadata.v4.ts'

export function decodeMetadataRequestV0(r: Reader): MetadataRequest {
  const topics = r.array((r) => r.string())
  return { topics: topics.length === 0 ? null : topics, allowAutoTopicCreation: true }
}

/** Topics with or without the is_internal flag (v1+). */
export function encodeMetadataTopics(w: Writer, res: MetadataResponse, withInternal: boolean): void {
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name)
    if (withInternal) w.bool(false)
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.index).int32(p.leader)
      w.array(p.replicas, (w, n) => w.int32(n))
      w.array(p.isr, (w, n) => w.int32(n))
    })
  })
}

export function encodeMetadataResponseV0(w: Writer, res: MetadataResponse): void {
  w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port))
  encodeMetadataTopics(w, res, false)
}
