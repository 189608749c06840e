import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The edge's Prometheus series (next to process and `tokenline_messages_*` ones):
 *   tokenline_edge_images_in_total{line,source}            images accepted for inspection
 *   tokenline_edge_ingest_rejected_total{code}             refused ingests by error code
 *   tokenline_edge_decided_total{line,budget,action}       final decisions at the edge, by the rung that decided
 *   tokenline_edge_escalations_total{line,reason}          cases sent to the cloud, by reason
 *   tokenline_edge_audits_total{line}                      confident cases escalated as audits
 *   tokenline_edge_rungs_total{line,budget}                inferences run, per ladder rung
 *   tokenline_edge_inference_seconds{budget}               inference wall time per image (s)
 *   tokenline_edge_queue_depth                             images waiting for a slot
 *   tokenline_edge_outbox_depth / _bytes                   unsent outbox records and bytes
 *   tokenline_edge_outbox_oldest_age_seconds               age of the oldest unsent record (s)
 *   tokenline_edge_outbox_published_total{topic}           records the relay got acknowledged
 *   tokenline_edge_link_up                                 1 while connected to Kafka
 *   tokenline_edge_verdicts_settled_total{line}            cloud verdicts that settled a case
 *   tokenline_edge_deadline_fallbacks_total{line,fallback} cases past their deadline
 *   tokenline_edge_demo_dropped_total                      demo frames skipped (queue full)
 */
export class EdgeMetrics {
  readonly imagesIn: Counter<'line' | 'source'>
  readonly rejected: Counter<'code'>
  readonly decided: Counter<'line' | 'budget' | 'action'>
  readonly escalations: Counter<'line' | 'reason'>
  readonly audits: Counter<'line'>
  readonly rungs: Counter<'line' | 'budget'>
  readonly inferenceSeconds: Histogram<'budget'>
  readonly queueDepth: Gauge
  readonly outboxDepth: Gauge
  readonly outboxBytes: Gauge
  readonly outboxOldestAge: Gauge
  readonly outboxPublished: Counter<'topic'>
  readonly linkUp: Gauge
  readonly settled: Counter<'line'>
  readonly deadlineFallbacks: Counter<'line' | 'fallback'>
  readonly demoDropped: Counter

  /** `probes` are read at every scrape (gauges of state that lives elsewhere). */
  constructor(registry: Registry, probes: { queueDepth: () => number; linkUp: () => boolean }) {
    const registers = [registry]
    const p = 'tokenline_edge_'
    this.imagesIn = new Counter({
      name: `${p}images_in_total`,
      help: 'Images accepted for inspection',
      labelNames: ['line', 'source'],
      registers,
    })
    this.rejected = new Counter({
      name: `${p}ingest_rejected_total`,
      help: 'Refused ingests by error code',
      labelNames: ['code'],
      registers,
    })
    this.decided = new Counter({
      name: `${p}decided_total`,
      help: 'Final edge decisions by deciding rung and action',
      labelNames: ['line', 'budget', 'action'],
      registers,
    })
    this.escalations = new Counter({
      name: `${p}escalations_total`,
      help: 'Cases sent to the cloud by reason',
      labelNames: ['line', 'reason'],
      registers,
    })
    this.audits = new Counter({
      name: `${p}audits_total`,
      help: 'Confident cases escalated as audits',
      labelNames: ['line'],
      registers,
    })
    this.rungs = new Counter({
      name: `${p}rungs_total`,
      help: 'Inferences run per ladder rung',
      labelNames: ['line', 'budget'],
      registers,
    })
    this.inferenceSeconds = new Histogram({
      name: `${p}inference_seconds`,
      help: 'Inference wall time per image and rung (s)',
      labelNames: ['budget'],
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    })
    this.queueDepth = new Gauge({
      name: `${p}queue_depth`,
      help: 'Images waiting for an inspection slot',
      registers,
    })
    this.outboxDepth = new Gauge({ name: `${p}outbox_depth`, help: 'Unsent outbox records', registers })
    this.outboxBytes = new Gauge({
      name: `${p}outbox_bytes`,
      help: 'Bytes of unsent outbox records',
      registers,
    })
    this.outboxOldestAge = new Gauge({
      name: `${p}outbox_oldest_age_seconds`,
      help: 'Age of the oldest unsent outbox record (s)',
      registers,
    })
    this.outboxPublished = new Counter({
      name: `${p}outbox_published_total`,
      help: 'Outbox records acknowledged by Kafka',
      labelNames: ['topic'],
      registers,
    })
    this.linkUp = new Gauge({
      name: `${p}link_up`,
      help: '1 while connected to Kafka',
      registers,
      collect() {
        this.set(probes.linkUp() ? 1 : 0)
      },
    })
    this.settled = new Counter({
      name: `${p}verdicts_settled_total`,
      help: 'Cloud verdicts that settled a pending case',
      labelNames: ['line'],
      registers,
    })
    this.deadlineFallbacks = new Counter({
      name: `${p}deadline_fallbacks_total`,
      help: 'Cases past their deadline, by fallback',
      labelNames: ['line', 'fallback'],
      registers,
    })
    this.demoDropped = new Counter({
      name: `${p}demo_dropped_total`,
      help: 'Demo camera frames skipped because the queue was full',
      registers,
    })
  }
}
