import { createHash } from 'node:crypto'
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
        const task = this.take(line, dir, entry.name)
          .catch((err: unknown) =>
            this.log.error({ err, file: entry.name, lineId: line }, 'watched file handling failed'),
          )
          .finally(() => {
            this.inFlight.delete(path)
            this.tasks.delete(task)
          })
        this.tasks.add(task)
      }
    }
  }

  private async take(lineId: string, dir: string, name: string): Promise<void> {
    const path = join(dir, name)
    const info = await stat(path).catch(() => undefined)
    if (!info) return
    const contentType = extensionTypes[extname(name).toLowerCase()]
    let answer: unknown
    try {
      if (!contentType)
        throw new EdgeError(
          'EDGE_UNSUPPORTED_TYPE',
          `expected a .png, .jpg, .jpeg or .webp file but received ${JSON.stringify(name)}`,
        )
      const bytes = await readFile(path)
      const inspectionId = fileInspectionId(lineId, name, info.size, info.mtimeMs)
      answer = await this.queue.run(() =>
        this.inspector.inspect({ lineId, bytes, contentType, source: 'folder', inspectionId }),
      )
    } catch (err) {
      // Anything that may pass (queue or outbox full, no policy yet, the database or a worker
      // failing) leaves the file where it is for a later scan; only a refusal of the image itself
      // moves it to failed/.
      if (!(err instanceof EdgeError) || err.retriable) {
        if (!(err instanceof EdgeError))
          this.log.warn({ err, file: name, lineId }, 'watched file not inspected; will retry')
        return
      }
      this.metrics.rejected.inc({ code: err.code })
      try {
        const target = await freeName(join(dir, 'failed'), name)
        await writeFile(`${target}.reason.txt`, `${err.code}: ${err.message}\n`)
        await rename(path, target)
        this.log.warn({ file: name, lineId, code: err.code }, 'watched file failed; moved to failed/')
      } catch (moveErr) {
        this.log.error({ err: moveErr, file: name, lineId }, 'could not move a refused file to failed/')
      }
      return
    }
    try {
      const target = await freeName(join(dir, 'done'), name)
      await writeFile(`${target}.json`, JSON.stringify(answer, null, 1))
      await rename(path, target)
    } catch (err) {
      // Committed already: a later scan inspects it again under the same id, which adds nothing.
      this.log.error(
        { err, file: name, lineId },
        'inspected, but could not move the file to done/; will retry',
      )
    }
  }
}

/**
 * The inspection id of a watched file: a UUID (version 4 layout) from sha256 of line, name, size
 * and modification time, so a file inspected again after a crash commits nothing new.
 */
export function fileInspectionId(lineId: string, name: string, size: number, mtimeMs: number): string {
  const h = createHash('sha256').update(`${lineId}\0${name}\0${size}\0${mtimeMs}`).digest('hex')
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
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
