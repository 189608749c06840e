import { Counter, Gauge, type Registry } from 'prom-client'

/** Prometheus metrics of the broker, prefixed `tokenline_broker_`. */
export class BrokerMetrics {
  readonly messagesIn: Counter<'topic'>
  readonly bytesIn: Counter<'topic'>
  readonly messagesOut: Counter<'topic'>
  readonly bytesOut: Counter<'topic'>
  readonly requests: Counter<'api' | 'version'>
  readonly protocolErrors: Counter<'reason'>
  readonly connections: Gauge
  readonly partitions: Gauge
  readonly groupLag: Gauge<'group' | 'topic' | 'partition'>

  constructor(
    registry: Registry,
    collectPartitions: () => number,
    collectLag: (set: (group: string, topic: string, partition: number, lag: number) => void) => void,
  ) {
    const p = 'tokenline_broker_'
    this.messagesIn = new Counter({
      name: `${p}messages_in_total`,
      help: 'Records appended',
      labelNames: ['topic'],
      registers: [registry],
    })
    this.bytesIn = new Counter({
      name: `${p}bytes_in_total`,
      help: 'Record batch bytes appended',
      labelNames: ['topic'],
      registers: [registry],
    })
    this.messagesOut = new Counter({
      name: `${p}messages_out_total`,
      help: 'Records served by Fetch (whole batches)',
      labelNames: ['topic'],
      registers: [registry],
    })
    this.bytesOut = new Counter({
      name: `${p}bytes_out_total`,
      help: 'Record batch bytes served by Fetch',
      labelNames: ['topic'],
      registers: [registry],
    })
    this.requests = new Counter({
      name: `${p}requests_total`,
      help: 'Requests handled by API and version',
      labelNames: ['api', 'version'],
      registers: [registry],
    })
    this.protocolErrors = new Counter({
      name: `${p}protocol_errors_total`,
      help: 'Connections closed or requests refused for bad input',
      labelNames: ['reason'],
      registers: [registry],
    })
    this.connections = new Gauge({
      name: `${p}connections`,
      help: 'Open client connections',
      registers: [registry],
    })
    this.partitions = new Gauge({
      name: `${p}partitions`,
      help: 'Partitions hosted',
      registers: [registry],
      collect() {
        this.set(collectPartitions())
      },
    })
    this.groupLag = new Gauge({
      name: `${p}group_lag`,
      help: 'Log end offset minus committed offset per group and partition (records)',
      labelNames: ['group', 'topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset()
        collectLag((group, topic, partition, lag) =>
          this.set({ group, topic, partition: String(partition) }, lag),
        )
      },
    })
  }
}
