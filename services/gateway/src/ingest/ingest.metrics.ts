import { Counter, Gauge, type Registry } from 'prom-client'

/**
 * Prometheus series of the gateway's Kafka ingest (on the gateway's registry):
 *   tokenline_gateway_ingest_records_total{topic,outcome}   outcome = stored | rejected
 *     (records that failed their contract are counted by tokenline_messages_handled_total{outcome="dead-lettered"})
 *   tokenline_gateway_ingest_decided_total{topic}           writes that set or changed a final verdict
 *   tokenline_gateway_ingest_lag_seconds{topic}             now − the record timestamp of the last stored record
 */
export class IngestMetrics {
  readonly records: Counter<'topic' | 'outcome'>
  readonly decided: Counter<'topic'>
  readonly lagSeconds: Gauge<'topic'>

  private static readonly byRegistry = new WeakMap<Registry, IngestMetrics>()

  /** One set per registry: a gateway that restarts its consumers reuses them. */
  static for(registry: Registry): IngestMetrics {
    let metrics = IngestMetrics.byRegistry.get(registry)
    if (!metrics) {
      metrics = new IngestMetrics(registry)
      IngestMetrics.byRegistry.set(registry, metrics)
    }
    return metrics
  }

  private constructor(registry: Registry) {
    const registers = [registry]
    this.records = new Counter({
      name: 'tokenline_gateway_ingest_records_total',
      help: 'Kafka records handled by the gateway ingest, by topic and outcome (stored | rejected)',
      labelNames: ['topic', 'outcome'],
      registers,
    })
    this.decided = new Counter({
      name: 'tokenline_gateway_ingest_decided_total',
      help: 'Ingested writes that set or changed an inspection final verdict',
      labelNames: ['topic'],
      registers,
    })
    this.lagSeconds = new Gauge({
      name: 'tokenline_gateway_ingest_lag_seconds',
      help: 'Seconds between the last stored record timestamp and its storing, by topic',
      labelNames: ['topic'],
      registers,
    })
  }
}
