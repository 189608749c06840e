import { Counter, Histogram, type Registry } from 'prom-client'

/**
 * Prometheus series for a service's messaging, registered on the service's registry:
 *   tokenline_messages_published_total{topic}                 records acknowledged by the broker
 *   tokenline_messages_publish_failures_total{topic}          sends that were not acknowledged
 *   tokenline_messages_handled_total{topic,group,outcome}     outcome = done | dead-lettered
 *   tokenline_messages_handler_retries_total{topic,group}     retriable handler failures retried
 *   tokenline_messages_handler_seconds{topic,group}           handler time per message or batch (s)
 */
export class MessagingMetrics {
  readonly published: Counter<'topic'>
  readonly publishFailures: Counter<'topic'>
  readonly handled: Counter<'topic' | 'group' | 'outcome'>
  readonly retries: Counter<'topic' | 'group'>
  readonly handlerSeconds: Histogram<'topic' | 'group'>

  private static readonly byRegistry = new WeakMap<Registry, MessagingMetrics>()

  /** The series of `registry`, registered once: a service that reconnects reuses them. */
  static for(registry: Registry): MessagingMetrics {
    let metrics = MessagingMetrics.byRegistry.get(registry)
    if (metrics === undefined) {
      metrics = new MessagingMetrics(registry)
      MessagingMetrics.byRegistry.set(registry, metrics)
    }
    return metrics
  }

  constructor(registry: Registry) {
    const registers = [registry]
    this.published = new Counter({
      name: 'tokenline_messages_published_total',
      help: 'Records acknowledged by the broker (acks=all), by topic',
      labelNames: ['topic'],
      registers,
    })
    this.publishFailures = new Counter({
      name: 'tokenline_messages_publish_failures_total',
      help: 'Sends the broker did not acknowledge after retries, by topic',
      labelNames: ['topic'],
      registers,
    })
    this.handled = new Counter({
      name: 'tokenline_messages_handled_total',
      help: 'Consumed records by outcome (done | dead-lettered)',
      labelNames: ['topic', 'group', 'outcome'],
      registers,
    })
    this.retries = new Counter({
      name: 'tokenline_messages_handler_retries_total',
      help: 'Retriable handler failures that were retried',
      labelNames: ['topic', 'group'],
      registers,
    })
    this.handlerSeconds = new Histogram({
      name: 'tokenline_messages_handler_seconds',
      help: 'Handler time per message (subscribe) or per batch (subscribeBatches), seconds',
      labelNames: ['topic', 'group'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    })
  }
}
