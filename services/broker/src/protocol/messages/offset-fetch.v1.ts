/**
 * OffsetFetch v1 (key 9).
 *
 *   OffsetFetch Request (Version: 1) => group_id [topics]
 *     group_id => STRING
 *     topics => name [partition_indexes]
 *       name => STRING  partition_indexes => INT32
 *
 *   OffsetFetch Response (Version: 1) => [topics]
 *     topics => name [partitions]
 *       name => STRING
 *       partitions => partition_index committed_offset metadata error_code
 *         partition_index => INT32  committed_offset => INT64 (-1 = none)
 *         metadata => NULLABLE_STRING  error_code => INT16
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type OffsetFetchRequest = { groupId: string; topics: { name: string; partitions: number[] }[] | null }

export type OffsetFetchResponse = {
  topics: {
    name: string
    partitions: { index: number; offset: number; metadata: string | null; errorCode: number }[]
  }[]
}

export function decodeOffsetFetchRequestV1(r: Reader): OffsetFetchRequest {
  return {
    groupId: r.string(),
    topics: r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) })),
  }
}

export function encodeOffsetFetchResponseV1(w: Writer, res: OffsetFetchResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) =>
      w.int32(p.index).int64(p.offset).nullableString(p.metadata).int16(p.errorCode),
    )
  })
}
