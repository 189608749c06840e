import { EventEmitter, on } from 'node:events'
import type { InspectionRow, PolicyRow } from '../../../../lib/db/index.ts'

/** A policy version with the plant of its line (subscriptions filter on both). */
export type PolicyEvent = { row: PolicyRow; plantId: string }

type EventMap = {
  /** An inspection's final verdict was settled or changed (edge result, cloud verdict, review). */
  inspectionDecided: [InspectionRow]
  /** A new policy version was stored (update or rollback). */
  policyChanged: [PolicyEvent]
  /** An API key was revoked (its id): cached verifications and open WebSockets of it end now. */
  apiKeyRevoked: [string]
}

/**
 * In-process fan-out from the writers (Kafka ingest, mutations) to GraphQL subscriptions. One per
 * gateway process: each gateway instance consumes every result itself, so its subscribers see
 * every decision without a shared pub/sub.
 */
export class GatewayEvents {
  private readonly emitter = new EventEmitter()

  constructor() {
    // Every open subscription is a listener; the default cap of 10 would warn at the 11th.
    this.emitter.setMaxListeners(0)
  }

  emit<K extends keyof EventMap>(event: K, ...args: EventMap[K]): void {
    this.emitter.emit(event, ...args)
  }

  /** Events from now on until `signal` aborts; the iterator's return() also stops it. */
  listen<K extends keyof EventMap>(event: K, signal?: AbortSignal): AsyncIterableIterator<EventMap[K]> {
    return on(this.emitter, event, { signal }) as AsyncIterableIterator<EventMap[K]>
  }

  listenerCount(event: keyof EventMap): number {
    return this.emitter.listenerCount(event)
  }
}
