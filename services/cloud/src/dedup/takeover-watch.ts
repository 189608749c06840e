/**
 * Tells when a batch of a partition may hold cases another consumer already answered, so the
 * verdict log must be read before answering (see verdict-ledger.ts). That is the case when this
 * instance has not handled the offset just before the batch itself: the first batch of a
 * partition after a start or an assignment, a batch after a gap (another member had the
 * partition), or a batch after the partition was quiet for longer than `quietMs` (it may have
 * moved away and back with the same committed offset: a move takes a session timeout, so
 * `quietMs` must stay below the group's session timeout). Any other batch continues this
 * instance's own work, whose verdicts the ledger already holds.
 */
export class TakeoverWatch {
  private readonly last = new Map<number, { next: bigint; at: number }>()

  constructor(private readonly quietMs: number) {}

  mayBeRedelivery(partition: number, firstOffset: string, now: number): boolean {
    const seen = this.last.get(partition)
    return seen === undefined || seen.next !== BigInt(firstOffset) || now - seen.at > this.quietMs
  }

  handled(partition: number, lastOffset: string, now: number): void {
    this.last.set(partition, { next: BigInt(lastOffset) + 1n, at: now })
  }
}
