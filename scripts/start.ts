/**
 * `npm start`: the whole platform on one machine. Starts the embedded broker (unless
 * KAFKA_BROKERS is set), then the gateway (embedded PGlite unless DATABASE_URL is set), the
 * cloud and the edge, each as a child process, each only after the one before answers /readyz.
 * Services whose `services/<name>/src/main.ts` does not exist yet are reported, not faked.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { pino } from 'pino'
import { Lifecycle, runMain } from '../lib/lifecycle/index.ts'
import { ChildService } from './internal/child-service.ts'
import { freePort } from './internal/free-port.ts'
import { formatLogLine } from './internal/log-format.ts'
import { httpPortVars, planServices, type ServiceName } from './internal/services.ts'
import { loadStartConfig, type StartConfig } from './internal/start.config.ts'

const root = resolve(import.meta.dirname, '..')
const colors: Record<ServiceName | 'start', string> = {
  start: '1',
  broker: '35',
  gateway: '36',
  cloud: '34',
  edge: '32',
}

function prefix(name: ServiceName | 'start'): string {
  const label = `${name.padEnd(7)}|`
  return process.stdout.isTTY ? `\x1b[${colors[name]}m${label}\x1b[0m` : label
}

function print(line: string): void {
  process.stdout.write(`${line}\n`)
}

runMain('start', async () => {
  const config = loadStartConfig(process.env)
  const log = pino(
    { name: 'start', level: config.LOG_LEVEL },
    { write: (line: string) => print(formatLogLine(prefix('start'), line)) },
  )
  const startedAt = performance.now()
  const host = config.TOKENLINE_BIND_HOST
  const probeHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
  const ports = await resolvePorts(config, host)
  const plan = planServices(root, config)
  const dataDir = resolve(root, config.TOKENLINE_DATA_DIR)
  const kafkaBrokers = config.KAFKA_BROKERS?.join(',') ?? `${probeHost}:${ports.BROKER_PORT}`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOKENLINE_DATA_DIR: dataDir,
    TOKENLINE_BIND_HOST: host,
    KAFKA_BROKERS: kafkaBrokers,
    LOG_LEVEL: config.LOG_LEVEL,
    // The whole loop with no setup: a demo line with its first policy, fed by the demo camera.
    GATEWAY_DEMO: process.env.GATEWAY_DEMO || 'true',
    // A developer's machine: the schema browsable, suggestions in errors. Deployments leave it off.
    GATEWAY_INTROSPECTION: process.env.GATEWAY_INTROSPECTION || 'true',
    EDGE_DEMO_RATE: process.env.EDGE_DEMO_RATE || '2',
    // submitInspection forwards to the local edge for lines without their own edgeUrl.
    GATEWAY_EDGE_URL: process.env.GATEWAY_EDGE_URL || `http://${probeHost}:${ports.EDGE_PORT}`,
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
  }

  const running: ChildService[] = []
  let stopping = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stopping = true
    })
  }
  const lifecycle = new Lifecycle(log, config.START_STOP_TIMEOUT_MS * plan.length + 5000)
  lifecycle.handleSignals()
  process.on('exit', () => {
    for (const child of running) child.kill()
  })

  if (!config.KAFKA_BROKERS && plan.find((s) => s.name === 'broker')?.skipped) {
    log.warn(`no embedded broker and KAFKA_BROKERS is unset: services will look for Kafka at ${kafkaBrokers}`)
  }
  for (const service of plan) {
    if (stopping) return
    if (service.skipped) {
      log.info({ service: service.name }, `${service.name}: not started: ${service.skipped}`)
      continue
    }
    const port = ports[httpPortVars[service.name]]
    log.info({ main: service.main, port }, `starting ${service.name}`)
    const child = new ChildService({
      name: service.name,
      main: service.main,
      cwd: root,
      env,
      prefix: prefix(service.name),
      print,
    })
    running.push(child)
    lifecycle.add(service.name, () => child.stop(config.START_STOP_TIMEOUT_MS))
    try {
      const ms = await child.waitReady(`http://${probeHost}:${port}/readyz`, config.START_READY_TIMEOUT_MS)
      log.info({ ms: Math.round(ms) }, `${service.name} is ready`)
    } catch (err) {
      if (stopping) return
      stopping = true
      await lifecycle.close().catch(() => undefined)
      throw err
    }
    void child.exited.then(async () => {
      if (stopping) return
      log.error(child.exitedError('while running').message)
      stopping = true
      await lifecycle.close().catch(() => undefined)
      process.exit(1)
    })
  }

  if (running.length === 0) {
    throw new Error('no service to run: services/*/src/main.ts are all missing or replaced by KAFKA_BROKERS')
  }

  const lines = [
    `tokenline is up in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`,
    ...summary(plan, ports, probeHost, kafkaBrokers, dataDir, config, await hasDashboard(probeHost, ports)),
    'Ctrl-C (SIGINT) or SIGTERM stops every service in reverse order.',
  ]
  for (const line of lines) print(`${prefix('start')} ${line}`)
})

type Ports = Record<(typeof httpPortVars)[ServiceName] | 'BROKER_PORT', number>

/** Port 0 means "any free port": reserve one now so every service is told the same number. */
async function resolvePorts(config: StartConfig, host: string): Promise<Ports> {
  const ports = {
    BROKER_PORT: config.BROKER_PORT,
    BROKER_HTTP_PORT: config.BROKER_HTTP_PORT,
    GATEWAY_PORT: config.GATEWAY_PORT,
    CLOUD_PORT: config.CLOUD_PORT,
    EDGE_PORT: config.EDGE_PORT,
  }
  for (const name of Object.keys(ports) as (keyof Ports)[]) {
    if (ports[name] === 0) ports[name] = await freePort(host)
  }
  return ports
}

function summary(
  plan: ReturnType<typeof planServices>,
  ports: Ports,
  host: string,
  kafkaBrokers: string,
  dataDir: string,
  config: StartConfig,
  dashboard: boolean,
): string[] {
  const http = (port: number) => `http://${host}:${port}`
  return plan.flatMap((service) => {
    const name = service.name.padEnd(8)
    if (service.skipped) {
      return service.name === 'broker'
        ? `  ${name} not started: using Kafka at ${kafkaBrokers}`
        : `  ${name} not started: ${service.skipped}`
    }
    switch (service.name) {
      case 'broker':
        return `  ${name} Kafka protocol at ${kafkaBrokers}, health ${http(ports.BROKER_HTTP_PORT)}/healthz, log under ${join(dataDir, 'broker')}`
      case 'gateway': {
        const keyFile = join(dataDir, 'gateway-admin.key')
        const line = `  ${name} ${dashboard ? `dashboard ${http(ports.GATEWAY_PORT)}/  ` : ''}GraphQL ${http(ports.GATEWAY_PORT)}/graphql  database ${config.DATABASE_URL ? redact(config.DATABASE_URL) : `embedded PGlite under ${join(dataDir, 'pglite')}`}`
        if (!existsSync(keyFile)) return line
        return [line, `  ${' '.repeat(9)}admin API key (send as "authorization: Bearer <key>") in ${keyFile}`]
      }
      case 'cloud':
        return `  ${name} health and metrics ${http(ports.CLOUD_PORT)}/healthz`
      case 'edge':
        return `  ${name} ingest ${http(ports.EDGE_PORT)}/v1/inspections  health ${http(ports.EDGE_PORT)}/healthz`
      default: {
        const unreachable: never = service.name
        return unreachable
      }
    }
  })
}

/** The dashboard is listed only when the gateway serves one at `/`. */
async function hasDashboard(host: string, ports: Ports): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}:${ports.GATEWAY_PORT}/`, { signal: AbortSignal.timeout(2000) })
    await res.body?.cancel()
    return res.status === 200 && (res.headers.get('content-type') ?? '').includes('text/html')
  } catch {
    return false
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@')
}
