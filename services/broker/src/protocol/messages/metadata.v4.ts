/**
 * Metadata v4 (key 3).
 *
 *   Metadata Request (Version: 4) => [topics] allow_auto_topic_creation
 *     topics => name            (nullable array: null means all topics)
 *       name => STRING
 *     allow_auto_topic_creation => BOOLEAN
 *
 *   Metadata Response (Version: 4) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 *     throttle_time_ms => INT32
 *     brokers => node_id host port rack
 *       node_id => INT32  host => STRING  port => INT32  rack => NULLABLE_STRING
 *     cluster_id => NULLABLE_STRING
 *     controller_id => INT32
 *     topics => error_code name is_internal [partitions]
 *       error_code => INT16  name => STRING  is_internal => BOOLEAN
 *       partitions => error_code partition_index leader_id [replica_nodes] [isr_nodes]
 *         error_code => INT16  partition_index => INT32  leader_id => INT32
 *         replica_nodes => INT32  isr_nodes => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type MetadataRequest = { topics: string[] | null; allowAutoTopicCreation: boolean }

export type MetadataResponse = {
  brokers: { nodeId: number; host: string; port: number }[]
  clusterId: string
  controllerId: number
  topics: {
    errorCode: number
    name: string
    partitions: { errorCode: number; index: number; leader: number; replicas: number[]; isr: number[] }[]
  }[]
}

export function decodeMetadataRequestV4(r: Reader): MetadataRequest {
  return { topics: r.nullableArray((r) => r.string()), allowAutoTopicCreation: r.bool() }
}

export function encodeMetadataResponseV4(w: Writer, res: MetadataResponse): void {
  w.int32(0)
  w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port).nullableString(null))
  w.nullableString(res.clusterId).int32(res.controllerId)
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name).bool(false)
    w.array(t.partitions, (w, p) => {
      w.int16(p.errorCode).int32(p.index).int32(p.leader)
      w.array(p.replicas, (w, n) => w.int32(n))
      w.array(p.isr, (w, n) => w.int32(n))
    })
  })
}
