/**
 * ListOffsets v1 (key 2).
 *
 *   ListOffsets Request (Version: 1) => replica_id [topics]
 *     replica_id => INT32
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index timestamp
 *         partition_index => INT32  timestamp => INT64   (-1 latest, -2 earliest)
 *
 *   ListOffsets Response (Version: 1) => [topics]
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index error_code timestamp offset
 *         partition_index => INT32  error_code => INT16  timestamp => INT64  offset => INT64
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type ListOffsetsRequest = {
  isolationLevel: number
  topics: { name: string; partitions: { index: number; timestamp: number }[] }[]
}

export type ListOffsetsResponse = {
  topics: {
    name: string
    partitions: { index: number; errorCode: number; timestamp: number; offset: number }[]
  }[]
}

export function decodeListOffsetsTopics(r: Reader): ListOffsetsRequest['topics'] {
  return r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ index: r.int32(), timestamp: r.int64() })),
  }))
}

export function decodeListOffsetsRequestV1(r: Reader): ListOffsetsRequest {
  r.int32()
  return { isolationLevel: 0, topics: decodeListOffsetsTopics(r) }
}

export function encodeListOffsetsResponseV1(w: Writer, res: ListOffsetsResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => w.int32(p.index).int16(p.errorCode).int64(p.timestamp).int64(p.offset))
  })
}
