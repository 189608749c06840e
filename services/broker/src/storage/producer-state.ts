import { KafkaError } from '../protocol/error-codes.ts'
import type { BatchHeader } from '../protocol/record-batch.ts'

type RecentBatch = { firstSeq: number; lastSeq: number; baseOffset: number }
type ProducerEntry = { epoch: number; lastSeq: number; recent: RecentBatch[] }

/** How many recent batches per producer are remembered to spot a retried duplicate (Kafka keeps 5). */
const RECENT_BATCHES = 5

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; errorCode: number; detail: string }

/**
 * Idempotent-producer bookkeeping for one partition: the last sequence per producer id and the
 * last few batches, so a batch retried after a lost ack is answered with its original offset
 * instead of being written twice. Rebuilt from the active segment's batch headers at startup.
 */
export class ProducerState {
  private readonly producers = new Map<number, ProducerEntry>()

  check(h: BatchHeader): SequenceCheck {
    if (h.producerId < 0) return { kind: 'append' }
    const entry = this.producers.get(h.producerId)
    if (!entry) return { kind: 'append' }
    if (h.producerEpoch < entry.epoch)
      return {
        kind: 'error',
        errorCode: KafkaError.INVALID_PRODUCER_EPOCH,
        detail: `producer ${h.producerId} epoch ${h.producerEpoch} is older than ${entry.epoch}`,
      }
    if (h.producerEpoch > entry.epoch) return { kind: 'append' }
    const lastSeq = h.baseSequence + h.lastOffsetDelta
    for (const b of entry.recent)
      if (b.firstSeq === h.baseSequence && b.lastSeq === lastSeq)
        return { kind: 'duplicate', baseOffset: b.baseOffset }
    if (h.baseSequence !== entry.lastSeq + 1)
      return {
        kind: 'error',
        errorCode: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
        detail: `producer ${h.producerId} expected sequence ${entry.lastSeq + 1}, received ${h.baseSequence}`,
      }
    return { kind: 'append' }
  }

  record(
    producerId: number,
    epoch: number,
    baseSequence: number,
    lastOffsetDelta: number,
    baseOffset: number,
  ): void {
    if (producerId < 0) return
    let entry = this.producers.get(producerId)
    if (!entry || epoch > entry.epoch) {
      entry = { epoch, lastSeq: -1, recent: [] }
      this.producers.set(producerId, entry)
    }
    const lastSeq = baseSequence + lastOffsetDelta
    entry.lastSeq = lastSeq
    entry.recent.push({ firstSeq: baseSequence, lastSeq, baseOffset })
    if (entry.recent.length > RECENT_BATCHES) entry.recent.shift()
  }

  /** Largest producer id seen, so ids handed out after a restart never collide. */
  maxProducerId(): number {
    let max = -1
    for (const id of this.producers.keys()) max = Math.max(max, id)
    return max
  }
}
