/**
 * Produce v0 (key 0), and the request layout of v0-v2: no transactional_id, records are a legacy
 * message set (magic 0 for v0-v1, magic 1 for v2; see ../message-set.ts), up-converted to one
 * record batch v2 per partition before it is stored.
 *
 *   Produce Request (Version: 0..2) => acks timeout_ms [topic_data]
 *     acks => INT16  timeout_ms => INT32
 *     topic_data => name [partition_data]
 *       name => STRING
 *       partition_data => index records
 *         index => INT32  records => NULLABLE_BYTES
 *
 *   Produce Response (Version: 0) => [responses]
 *     responses => name [partition_responses]
 *       name => STRING
 *       partition_responses => index error_code base_offset
 *         index => INT32  error_code => INT16  base_offset => INT64
 */
import type { Reader } from '../reader.ts'
import type { Writer } from '../writer.ts'
import type { ProducePartitionResponse, ProduceRequest, ProduceResponse } from './produce.v3.ts'

export function decodeProduceRequestV0(r: Reader): ProduceRequest {
  return {
    transactionalId: null,
    acks: r.int16(),
    timeoutMs: r.int32(),
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    })),
  }
}

export function encodeProduceTopics(
  w: Writer,
  res: ProduceResponse,
  partition: (w: Writer, p: ProducePartitionResponse) => void,
): void {
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, partition)
  })
}

export function encodeProduceResponseV0(w: Writer, res: ProduceResponse): void {
  encodeProduceTopics(w, res, (w, p) => w.int32(p.index).int16(p.errorCode).int64(p.baseOffset))
}
