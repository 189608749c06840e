import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/**
 * The cloud's own Prometheus series (next to lib/messaging's tokenline_messages_* ones):
 *   tokenline_cloud_batch_size_images            micro-batch size each case ran in (histogram, per case)
 *   tokenline_cloud_queue_seconds                handed to the model → its batch started
 *   tokenline_cloud_inference_seconds            model run of the batch each case ran in
 *   tokenline_cloud_end_to_end_seconds           escalatedAt (edge clock) → verdict decided
 *   tokenline_cloud_verdicts_total{line,reason,late}
 *   tokenline_cloud_dead_letters_total{code}     cases the handler dead-lettered (bad image, unknown model)
 *   tokenline_cloud_duplicates_skipped_total     cases skipped because a verdict already exists
 *   tokenline_cloud_tokens_total{line,kind}      kind = vision | question
 *   tokenline_cloud_cost_total{line}             currency units at the line's price
 *   tokenline_cloud_line_hour_tokens{line,hour}  vision tokens in the UTC hour (current and previous), vs the policy cap
 *   tokenline_cloud_line_hour_cost{line,hour}    cost in the UTC hour (current and previous)
 *   tokenline_cloud_consumer_lag{partition}      end offset − committed offset of the group, per partition (at scrape)
 *   tokenline_cloud_execution_provider{model,provider}  1 for the provider running each model
 */
export class CloudMetrics {
  readonly batchSize: Histogram
  readonly queueSeconds: Histogram
  readonly inferenceSeconds: Histogram
  readonly endToEndSeconds: Histogram
  readonly verdicts: Counter<'line' | 'reason' | 'late'>
  readonly deadLetters: Counter<'code'>
  readonly duplicatesSkipped: Counter
  readonly tokens: Counter<'line' | 'kind'>
  readonly cost: Counter<'line'>
  private readonly hourTokens: Gauge<'line' | 'hour'>
  private readonly hourCost: Gauge<'line' | 'hour'>
  private readonly hours = new Map<string, Map<string, { tokens: number; cost: number }>>()

  constructor(
    registry: Registry,
    sources: {
      lag: () => Promise<Map<number, number>>
      providers: () => Record<string, string>
    },
  ) {
    const registers = [registry]
    this.batchSize = new Histogram({
      name: 'tokenline_cloud_batch_size_images',
      help: 'Micro-batch size each case was inferred in (observed once per case)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    })
    const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    this.queueSeconds = new Histogram({
      name: 'tokenline_cloud_queue_seconds',
      help: 'Case handed to the model until its batch started, seconds',
      buckets: secondsBuckets,
      registers,
    })
    this.inferenceSeconds = new Histogram({
      name: 'tokenline_cloud_inference_seconds',
      help: 'Model run of the batch each case ran in, seconds',
      buckets: secondsBuckets,
      registers,
    })
    this.endToEndSeconds = new Histogram({
      name: 'tokenline_cloud_end_to_end_seconds',
      help: 'escalatedAt (edge clock) until the verdict was decided, seconds',
      buckets: secondsBuckets,
      registers,
    })
    this.verdicts = new Counter({
      name: 'tokenline_cloud_verdicts_total',
      help: 'Verdicts published, by line, escalation reason and lateness',
      labelNames: ['line', 'reason', 'late'],
      registers,
    })
    this.deadLetters = new Counter({
      name: 'tokenline_cloud_dead_letters_total',
      help: 'Cases the cloud dead-lettered, by error code (contract failures count in tokenline_messages_handled_total)',
      labelNames: ['code'],
      registers,
    })
    this.duplicatesSkipped = new Counter({
      name: 'tokenline_cloud_duplicates_skipped_total',
      help: 'Cases not answered again because a verdict for the inspection already exists',
      registers,
    })
    this.tokens = new Counter({
      name: 'tokenline_cloud_tokens_total',
      help: 'Tokens the cloud spent, by line and kind (vision | question)',
      labelNames: ['line', 'kind'],
      registers,
    })
    this.cost = new Counter({
      name: 'tokenline_cloud_cost_total',
      help: 'Cost of the cloud tokens at the line price, currency units',
      labelNames: ['line'],
      registers,
    })
    this.hourTokens = new Gauge({
      name: 'tokenline_cloud_line_hour_tokens',
      help: 'Vision tokens spent per line in the UTC hour (label hour = YYYY-MM-DDTHH), current and previous hour',
      labelNames: ['line', 'hour'],
      registers,
    })
    this.hourCost = new Gauge({
      name: 'tokenline_cloud_line_hour_cost',
      help: 'Cost per line in the UTC hour (label hour = YYYY-MM-DDTHH), current and previous hour',
      labelNames: ['line', 'hour'],
      registers,
    })
    new Gauge({
      name: 'tokenline_cloud_consumer_lag',
      help: 'Escalations not yet committed by the group, per partition (end offset - committed offset)',
      labelNames: ['partition'],
      registers,
      async collect() {
        this.reset()
        const lag = await sources.lag().catch(() => new Map<number, number>())
        for (const [partition, value] of lag) this.set({ partition: String(partition) }, value)
      },
    })
    new Gauge({
      name: 'tokenline_cloud_execution_provider',
      help: 'onnxruntime execution provider running each model (value 1)',
      labelNames: ['model', 'provider'],
      registers,
      collect() {
        this.reset()
        for (const [model, provider] of Object.entries(sources.providers())) this.set({ model, provider }, 1)
      },
    })
  }

  /** Adds a verdict's spend to the per-line counters and to its UTC hour's gauges. */
  spend(line: string, at: number, visionTokens: number, questionTokens: number, cost: number): void {
    this.tokens.inc({ line, kind: 'vision' }, visionTokens)
    if (questionTokens > 0) this.tokens.inc({ line, kind: 'question' }, questionTokens)
    this.cost.inc({ line }, cost)
    const hour = new Date(at).toISOString().slice(0, 13)
    let hours = this.hours.get(line)
    if (!hours) {
      hours = new Map()
      this.hours.set(line, hours)
    }
    const slot = hours.get(hour) ?? { tokens: 0, cost: 0 }
    slot.tokens += visionTokens
    slot.cost += cost
    hours.set(hour, slot)
    this.hourTokens.set({ line, hour }, slot.tokens)
    this.hourCost.set({ line, hour }, slot.cost)
    const keep = new Set([hour, new Date(at - 3_600_000).toISOString().slice(0, 13)])
    for (const old of [...hours.keys()].filter((h) => !keep.has(h))) {
      hours.delete(old)
      this.hourTokens.remove({ line, hour: old })
      this.hourCost.remove({ line, hour: old })
    }
  }
}
