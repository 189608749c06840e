import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { extname, join } from 'node:path'
import type { Logger } from '../../../../lib/log/index.ts'
import { EdgeError } from '../errors.ts'
import { extensionTypes } from '../inspect/image-check.ts'
import type { Inspector } from '../inspect/inspector.ts'
import type { EdgeMetrics } from '../metrics.ts'
import type { WorkQueue } from './work-queue.ts'

/** A file is taken once it has not changed for this long (ms): a camera may still be writing it. */
const SETTLE_MS = 300

/**
 * A watched folder per line: `<root>/<lineId>/` takes image files (.png, .jpg, .jpeg, .webp).
 * Each one is inspected like a POST; then it moves to `done/` (with `<name>.json`, the answer)
 * or, when it can never succeed, to `failed/` with `<name>.reason.txt` (code and message).
 * When the failure may pass (queue or outbox full, no policy yet) the file stays and is tried
 * again on a later scan, so nothing is lost. Scans poll (fs.watch misses events on network
 * shares and after restarts).
 */
export class FolderWatcher {
  private timer: NodeJS.Timeout | undefined
  private scanning: Promise<void> | undefined
  private readonly inFlight = new Set<string>()
  private readonly tasks = new Set<Promise<void>>()
  private stopped = false

  constructor(
    private readonly root: string,
    private readonly lineIds: string[],
    private readonly inspector: Inspector,
    private readonly queue: WorkQueue,
    private readonly metrics: EdgeMetrics,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  async start(): Promise<void> {
    for (const line of this.lineIds) {
      for (const sub of ['', 'done', 'failed']) await mkdir(join(this.root, line, sub), { recursive: true })
    }
    const tick = () => {
      this.scanning = this.scan()
        .catch((err: unknown) => this.log.warn({ err }, 'watched folder scan failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs)
        })
    }
    tick()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.scanning
    await Promise.all(this.tasks)
  }

  private async scan(): Promise<void> {
    for (const line of this.lineIds) {
      const dir = join(this.root, line)
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        if (this.stopped) return
        if (!entry.isFile() || entry.name.startsWith('.')) continue
        const path = join(dir, entry.name)
        if (this.inFlight.has(path)) continue
        const info = await stat(path).catch(() => undefined)
        if (!info || Date.now() - info.mtimeMs < SETTLE_MS) continue
        if (this.queue.full) return
        this.inFlight.add(path)
        const task = this.take(line, dir, entry.name).finally(() => {
          this.inFlight.delete(path)
          this.tasks.delete(task)
        })
        this.tasks.add(task)
      }
    }
  }

  private async take(lineId: string, dir: string, name: string): Promise<void> {
    const path = join(dir, name)
    const contentType = extensionTypes[extname(name).toLowerCase()]
    try {
      if (!contentType)
        throw new EdgeError(
          'EDGE_UNSUPPORTED_TYPE',
          `expected a .png, .jpg, .jpeg or .webp file but received ${JSON.stringify(name)}`,
        )
      const bytes = await readFile(path)
      const answer = await this.queue.run(() =>
        this.inspector.inspect({ lineId, bytes, contentType, source: 'folder' }),
      )
      const target = await freeName(join(dir, 'done'), name)
      await writeFile(`${target}.json`, JSON.stringify(answer, null, 1))
      await rename(path, target)
    } catch (err) {
      if (err instanceof EdgeError && err.retriable) return
      const code = err instanceof EdgeError ? err.code : ((err as { code?: string }).code ?? 'INTERNAL')
      if (err instanceof EdgeError) this.metrics.rejected.inc({ code: err.code })
      const target = await freeName(join(dir, 'failed'), name)
      await writeFile(`${target}.reason.txt`, `${code}: ${(err as Error).message}\n`)
      await rename(path, target)
      this.log.warn({ file: name, lineId, code }, 'watched file failed; moved to failed/')
    }
  }
}

/** `dir/name`, or `dir/<stem>-<n><ext>` when that exists (a camera reusing file names). */
async function freeName(dir: string, name: string): Promise<string> {
  const ext = extname(name)
  const stem = name.slice(0, name.length - ext.length)
  for (let n = 0; ; n++) {
    const candidate = join(dir, n === 0 ? name : `${stem}-${n}${ext}`)
    if (!(await stat(candidate).catch(() => undefined))) return candidate
  }
}
