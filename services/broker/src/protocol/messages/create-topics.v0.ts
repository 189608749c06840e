/**
 * CreateTopics v0 (key 19).
 *
 *   CreateTopics Request (Version: 0) => [topics] timeout_ms
 *     topics => name num_partitions replication_factor [assignments] [configs]
 *       name => STRING  num_partitions => INT32 (-1 = broker default)
 *       replication_factor => INT16 (-1 = broker default)
 *       assignments => partition_index [broker_ids]   (INT32, INT32)
 *       configs => name value   (STRING, NULLABLE_STRING)
 *     timeout_ms => INT32
 *
 *   CreateTopics Response (Version: 0) => [topics]
 *     topics => name error_code   (STRING, INT16)
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type CreateTopicsRequest = {
  topics: {
    name: string
    numPartitions: number
    replicationFactor: number
    assignments: { index: number; brokerIds: number[] }[]
    configs: { name: string; value: string | null }[]
  }[]
  timeoutMs: number
  validateOnly: boolean
}

export type CreateTopicsResponse = {
  topics: { name: string; errorCode: number; errorMessage: string | null }[]
}

export function decodeCreatableTopics(r: Reader): CreateTopicsRequest['topics'] {
  return r.array((r) => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((r) => ({ index: r.int32(), brokerIds: r.array((r) => r.int32()) })),
    configs: r.array((r) => ({ name: r.string(), value: r.nullableString() })),
  }))
}

export function decodeCreateTopicsRequestV0(r: Reader): CreateTopicsRequest {
  return { topics: decodeCreatableTopics(r), timeoutMs: r.int32(), validateOnly: false }
}

export function encodeCreateTopicsResponseV0(w: Writer, res: CreateTopicsResponse): void {
  w.array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode))
}
