/**
 * The whole platform as separate child processes, for the fault drill and the soak: the broker,
 * the gateway on PostgreSQL, two cloud instances in one consumer group and one edge node, each
 * `services/<name>/src/main.ts` on fixed ports so a service killed with SIGKILL can be started
 * again in place (same ports, same data folder). Every Kafka connection passes through a
 * {@link KafkaLinkProxy}, so the edge alone can be cut off the broker.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { join, resolve } from 'node:path'
import { ChildService } from '../child-service.ts'
import { freePort } from '../free-port.ts'
import { parseInspectorUrl } from './inspector-client.ts'
import { KafkaLinkProxy } from './kafka-link-proxy.ts'

const root = resolve(import.meta.dirname, '../../..')

export const drillPlant = 'plant-drill'
export const drillLine = 'line-drill'
export const adminKey = `tl_drill_admin_${'k'.repeat(32)}`

/** Services as the drill names them; the two cloud instances share one consumer group. */
export const systemServices = ['broker', 'gateway', 'cloud-a', 'cloud-b', 'edge'] as const
export type SystemService = (typeof systemServices)[number]

export type SystemOptions = {
  /** Folder for every service's data and the run's log; created if missing. */
  runDir: string
  /** PostgreSQL database the gateway owns for this run (an empty one). */
  databaseUrl: string
  /** Edge escalations wait this long for the cloud before the policy fallback applies (ms). */
  deadlineMs: number
  /** Edge confidence below which a case is escalated (0–1). */
  minConfidence: number
  /** Share of confident edge decisions escalated anyway as an audit (0–1). */
  auditRate: number
  /** Longest wait for one service to answer /readyz (ms). */
  readyTimeoutMs?: number
  /**
   * Start every service with `--inspect=127.0.0.1:0` (the soak: a GC and heap snapshots from
   * outside); the inspector's URL comes from the child's "Debugger listening on" line. Off by default.
   */
  inspect?: boolean
}

type Ports = {
  broker: number
  brokerHttp: number
  gateway: number
  cloudA: number
  cloudB: number
  edge: number
}

/**
 * Loopback address the broker advertises and the proxy listens on (same port as the broker,
 * which binds 127.0.0.1): Linux routes all of 127.0.0.0/8 to the loopback interface.
 */
const proxyHost = '127.0.0.2'
const host = '127.0.0.1'

export class TokenlineSystem {
  readonly proxy: KafkaLinkProxy
  private readonly children = new Map<SystemService, ChildService>()
  private readonly log: WriteStream
  /** Child exits nobody asked for: a service that died by itself. */
  readonly unexpectedExits: string[] = []
  private readonly expected = new Set<ChildService>()
  /** Inspector WebSocket URL of each service's current process (only with `inspect`). */
  private readonly inspectorUrls = new Map<SystemService, string>()
  /** Extra environment for the edge's next start (EDGE_OUTBOX_MAX_ROWS in the outbox phase). */
  edgeEnv: Record<string, string> = {}

  private constructor(
    readonly options: SystemOptions,
    readonly ports: Ports,
  ) {
    mkdirSync(options.runDir, { recursive: true })
    this.log = createWriteStream(join(options.runDir, 'services.log'), { flags: 'a' })
    this.proxy = new KafkaLinkProxy({
      listen: { host: proxyHost, port: ports.broker },
      upstream: { host, port: ports.broker },
    })
  }

  static async create(options: SystemOptions): Promise<TokenlineSystem> {
    const ports: Ports = {
      broker: await freePort(host),
      brokerHttp: await freePort(host),
      gateway: await freePort(host),
      cloudA: await freePort(host),
      cloudB: await freePort(host),
      edge: await freePort(host),
    }
    return new TokenlineSystem(options, ports)
  }

  get kafkaBrokers(): string {
    return `${proxyHost}:${this.ports.broker}`
  }

  get edgeUrl(): string {
    return `http://${host}:${this.ports.edge}`
  }

  get gatewayUrl(): string {
    return `http://${host}:${this.ports.gateway}`
  }

  get logFile(): string {
    return join(this.options.runDir, 'services.log')
  }

  /** Base URL of a service's /readyz and /metrics. */
  httpUrl(service: SystemService): string {
    const port = {
      broker: this.ports.brokerHttp,
      gateway: this.ports.gateway,
      'cloud-a': this.ports.cloudA,
      'cloud-b': this.ports.cloudB,
      edge: this.ports.edge,
    }[service]
    return `http://${host}:${port}`
  }

  /** Starts everything in order, creates the drill's plant and line, sets its policy and waits for the edge to hold it. */
  async start(): Promise<void> {
    await this.proxy.start()
    for (const service of systemServices) await this.startService(service)
    await this.setUpLine()
  }

  async startService(service: SystemService): Promise<void> {
    const existing = this.children.get(service)
    if (existing && !existing.hasExited) throw new Error(`${service} is already running`)
    // Ready = its own "ready" log line as well as /readyz: on a shared machine another process can
    // take a port between freePort() and the service's listen, and answer /readyz for it.
    let saidReady!: () => void
    const readyLine = new Promise<void>((resolve) => {
      saidReady = resolve
    })
    this.inspectorUrls.delete(service)
    const child = new ChildService({
      name: service,
      nodeArgs: this.options.inspect ? ['--inspect=127.0.0.1:0'] : [],
      main: join('services', service.startsWith('cloud') ? 'cloud' : service, 'src', 'main.ts'),
      cwd: root,
      env: this.env(service),
      prefix: service.padEnd(8),
      print: (line) => {
        if (/ (edge|gateway|cloud) ready: | broker listening /.test(line)) saidReady()
        const inspectorUrl = this.options.inspect ? parseInspectorUrl(line) : null
        if (inspectorUrl) this.inspectorUrls.set(service, inspectorUrl)
        this.log.write(`${new Date().toISOString()} ${line}\n`)
      },
    })
    this.children.set(service, child)
    void child.exited.then((exit) => {
      if (this.expected.has(child)) return
      this.unexpectedExits.push(
        `${service} exited by itself (${exit.signal ?? `code ${exit.code}`}); last output:\n${child.lastOutput()}`,
      )
    })
    const timeoutMs = this.options.readyTimeoutMs ?? 90_000
    await child.waitReady(`${this.httpUrl(service)}/readyz`, timeoutMs)
    const timer = setTimeout(() => saidReady(), timeoutMs)
    await Promise.race([readyLine, child.exited])
    clearTimeout(timer)
    if (child.hasExited) throw child.exitedError('before it was ready')
    await child.waitReady(`${this.httpUrl(service)}/readyz`, timeoutMs)
  }

  /** `kill -9`: the process gets no chance to flush, commit or say goodbye. */
  async kill(service: SystemService): Promise<void> {
    const child = this.require(service)
    this.expected.add(child)
    if (child.pid !== undefined && !child.hasExited) process.kill(child.pid, 'SIGKILL')
    await child.exited
  }

  /** SIGTERM and wait: the service's own ordered shutdown. */
  async stop(service: SystemService, timeoutMs = 30_000): Promise<void> {
    const child = this.children.get(service)
    if (!child || child.hasExited) return
    this.expected.add(child)
    await child.stop(timeoutMs)
  }

  /** The service's inspector URL, when started with `inspect` and its process printed one. */
  inspectorUrl(service: SystemService): string | undefined {
    return this.inspectorUrls.get(service)
  }

  pid(service: SystemService): number | undefined {
    return this.children.get(service)?.pid
  }

  /** Stops the services in reverse order, then the proxy; a service that will not stop is killed. */
  async close(): Promise<void> {
    for (const service of [...systemServices].reverse()) {
      await this.stop(service, 20_000).catch(() => this.children.get(service)?.kill())
    }
    await this.proxy.close()
    await new Promise<void>((resolve) => this.log.end(() => resolve()))
  }

  /** Last resort when the drill itself is going away. */
  killAll(): void {
    for (const child of this.children.values()) {
      this.expected.add(child)
      child.kill()
    }
  }

  async graphql<T = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown> = {},
  ): Promise<T> {
    const res = await fetch(`${this.gatewayUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(30_000),
    })
    const body = (await res.json()) as { data?: T; errors?: { message: string }[] }
    if (body.errors?.length || !body.data) throw new Error(`GraphQL: ${JSON.stringify(body.errors)}`)
    return body.data
  }

  /** The edge's view of itself: Kafka link, unsent outbox rows. */
  async edgeHealth(): Promise<{ kafka: 'up' | 'down'; outbox: { rows: number; bytes: number } }> {
    const res = await fetch(`${this.edgeUrl}/v1/health`, { signal: AbortSignal.timeout(5000) })
    return (await res.json()) as { kafka: 'up' | 'down'; outbox: { rows: number; bytes: number } }
  }

  private require(service: SystemService): ChildService {
    const child = this.children.get(service)
    if (!child) throw new Error(`${service} was never started`)
    return child
  }

  private env(service: SystemService): NodeJS.ProcessEnv {
    const common = {
      ...process.env,
      TOKENLINE_BIND_HOST: host,
      TOKENLINE_MODELS_DIR: join(root, 'models'),
      KAFKA_BROKERS: this.kafkaBrokers,
      LOG_LEVEL: 'info',
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
    }
    const dataDir = (name: string) => join(this.options.runDir, name)
    switch (service) {
      case 'broker':
        return {
          ...common,
          TOKENLINE_DATA_DIR: dataDir('broker-data'),
          BROKER_PORT: String(this.ports.broker),
          BROKER_HTTP_PORT: String(this.ports.brokerHttp),
          BROKER_ADVERTISED_HOST: proxyHost,
          // Lets tests and drills shorten consumer sessions below Kafka's 6 s minimum.
          BROKER_GROUP_MIN_SESSION_TIMEOUT_MS: '1000',
        }
      case 'gateway':
        return {
          ...common,
          TOKENLINE_DATA_DIR: dataDir('gateway-data'),
          GATEWAY_PORT: String(this.ports.gateway),
          DATABASE_URL: this.options.databaseUrl,
          GATEWAY_ADMIN_KEY: adminKey,
          GATEWAY_EDGE_URL: this.edgeUrl,
        }
      case 'cloud-a':
      case 'cloud-b':
        return {
          ...common,
          TOKENLINE_DATA_DIR: dataDir(`${service}-data`),
          CLOUD_PORT: String(service === 'cloud-a' ? this.ports.cloudA : this.ports.cloudB),
          CLOUD_INSTANCE_ID: service,
          CLOUD_MODELS: 'cloud-vit-m',
          // A killed instance's partitions move to the other one after this long (ms).
          CLOUD_SESSION_TIMEOUT_MS: '6000',
          INFERENCE_EXECUTION_PROVIDERS: 'cpu',
        }
      case 'edge':
        return {
          ...common,
          TOKENLINE_DATA_DIR: dataDir('edge-data'),
          EDGE_PORT: String(this.ports.edge),
          EDGE_LINES: `${drillPlant}/${drillLine}`,
          EDGE_RELAY_MAX_BACKOFF_MS: '1000',
          ...this.edgeEnv,
        }
      default: {
        const unreachable: never = service
        return unreachable
      }
    }
  }

  private async setUpLine(): Promise<void> {
    await this.graphql('mutation($i: CreatePlantInput!) { createPlant(input: $i) { id } }', {
      i: { id: drillPlant, name: 'Fault drill plant' },
    })
    await this.graphql('mutation($i: CreateLineInput!) { createLine(input: $i) { id } }', {
      i: { id: drillLine, plantId: drillPlant, name: 'Fault drill line', edgeUrl: this.edgeUrl },
    })
    const { minConfidence, auditRate, deadlineMs } = this.options
    await this.graphql(
      'mutation($l: ID!, $p: PolicyInput!, $r: String!) { updatePolicy(lineId: $l, policy: $p, reason: $r) { version } }',
      {
        l: drillLine,
        r: 'fault drill: escalate a good share',
        p: {
          edge: { model: 'edge-vit-s', budget: 16, ladder: [] },
          cloud: { model: 'cloud-vit-m', budget: 256 },
          escalation: { thresholds: { minConfidence }, perClass: [], alwaysEscalate: [], auditRate },
          cloudTokenCapPerHour: null,
          atCap: 'EDGE_VERDICT',
          deadlineMs,
          pastDeadline: 'EDGE_VERDICT',
          question: null,
          costPer1kTokens: { edge: 0.001, cloud: 0.02 },
          egress: { mode: 'WHOLE', regionMarginPatches: 1 },
        },
      },
    )
    const deadline = Date.now() + 60_000
    for (;;) {
      const lines = (await (await fetch(`${this.edgeUrl}/v1/lines`)).json()) as {
        lines: { lineId: string; policyVersion: number | null }[]
      }
      if (lines.lines.find((l) => l.lineId === drillLine)?.policyVersion != null) return
      if (Date.now() > deadline) throw new Error('the edge did not receive the drill policy within 60 s')
      await new Promise((r) => setTimeout(r, 200))
    }
  }
}
