/**
 * Admission to the model for cases in flight, in two classes: real escalations and audit samples
 * (confident edge decisions escalated at random to estimate edge errors). Up to `capacity` cases
 * run at once; an audit is admitted only while no escalation is waiting, so under load audits
 * yield to real escalations and catch up when the load falls. Within a class, first come first served.
 */
export type Priority = 'escalation' | 'audit'

export class PriorityGate {
  private inFlight = 0
  private readonly waiting: Record<Priority, Array<() => void>> = { escalation: [], audit: [] }

  /** @param capacity cases admitted at once (≥ 1); use at least the model's max batch so batches can fill */
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`Expected capacity to be a positive integer but received ${capacity}`)
  }

  /** Resolves when the case may run; call the returned function exactly once when it is done. */
  async acquire(priority: Priority): Promise<() => void> {
    if (
      this.inFlight < this.capacity &&
      (priority === 'escalation' || this.waiting.escalation.length === 0)
    ) {
      this.inFlight++
    } else {
      await new Promise<void>((resolve) => this.waiting[priority].push(resolve))
    }
    let released = false
    return () => {
      if (released) return
      released = true
      this.inFlight--
      this.admit()
    }
  }

  /** Cases waiting, by class. */
  waitingCount(): Record<Priority, number> {
    return { escalation: this.waiting.escalation.length, audit: this.waiting.audit.length }
  }

  private admit(): void {
    while (this.inFlight < this.capacity) {
      const next = this.waiting.escalation.shift() ?? this.waiting.audit.shift()
      if (!next) return
      this.inFlight++
      next()
    }
  }
}
