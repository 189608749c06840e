/**
 * Produce v3 and v4 (key 0); v4 only changed error semantics, so both share this layout.
 * v3 is the first version that carries record batch v2 (see ../record-batch.ts).
 *
 *   Produce Request (Version: 3..7) => transactional_id acks timeout_ms [topic_data]
 *     transactional_id => NULLABLE_STRING
 *     acks => INT16
 *     timeout_ms => INT32
 *     topic_data => name [partition_data]
 *       name => STRING
 *       partition_data => index records
 *         index => INT32
 *         records => NULLABLE_BYTES
 *
 *   Produce Response (Version: 3..4) => [responses] throttle_time_ms
 *     responses => name [partition_responses]
 *       name => STRING
 *       partition_responses => index error_code base_offset log_append_time_ms
 *         index => INT32  error_code => INT16  base_offset => INT64  log_append_time_ms => INT64
 *     throttle_time_ms => INT32
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'

export type ProduceRequest = {
  transactionalId: string | null
  acks: number
  timeoutMs: number
  topics: { name: string; partitions: { index: number; records: Buffer | null }[] }[]
}

export type ProducePartitionResponse = {
  index: number
  errorCode: number
  baseOffset: number
  logAppendTime: number
  logStartOffset: number
}

export type ProduceResponse = { topics: { name: string; partitions: ProducePartitionResponse[] }[] }

export function decodeProduceRequestV3(r: Reader): ProduceRequest {
  return {
    transactionalId: r.nullableString(),
    acks: r.int16(),
    timeoutMs: r.int32(),
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    })),
  }
}

export function encodeProduceResponseV3(w: Writer, res: ProduceResponse): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) =>
      w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(p.logAppendTime),
    )
  })
  w.int32(0)
}
