import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../../../../lib/fs/write-file-atomic.ts'
import type { Logger } from '../../../../lib/log/index.ts'
import { type PolicyV2, policyPayloadV2 } from '../../../../lib/messaging/index.ts'
import type { ServedLine } from '../config.ts'

/** Why a policy was not applied; the line keeps the one it had. */
export type PolicyProblem = (policy: PolicyV2) => string | undefined

export type PolicyChangeListener = (policy: PolicyV2, previous: PolicyV2 | undefined) => void

/**
 * What `apply` did: `ignored` is a record for a line this node does not serve, another plant's
 * line, or a version not newer than the one held (replays repeat old ones); `refused` is a newer
 * version this node cannot run (`problem` says why), the line keeping its previous policy.
 */
export type PolicyOutcome = { kind: 'applied' } | { kind: 'ignored' } | { kind: 'refused'; problem: string }

/**
 * The current policy of every served line. Fed by the compacted policies topic; the last known
 * policies are kept in a JSON file so a restart with the broker down still decides. A record is
 * applied only when its version is higher than the one held (compaction and replays repeat old
 * ones) and `check` finds nothing wrong with it (a model this node does not have, a budget the
 * model does not support): a bad policy is refused, never half-applied, and logged once per line
 * and version in this process, however often a replay of the compacted topic brings it back.
 */
export class PolicyStore {
  private readonly current = new Map<string, PolicyV2>()
  private readonly served: Map<string, ServedLine>
  private readonly listeners: PolicyChangeListener[] = []
  private writing: Promise<void> = Promise.resolve()
  /**
   * The file lags memory: set when a write is queued, cleared when the last queued write lands. A
   * failed write (disk full) leaves it set, so the next record — the consumer's retry of the same
   * version, which `accept` ignores as not newer — writes the file again instead of leaving it behind.
   */
  private unsaved = false
  private writes = 0
  /**
   * Versions refused and logged, per line. Only a version above the line's current one reaches the
   * check again, so those at or below an applied version are dropped: what is kept is the refused
   * versions newer than what each line runs (a handful).
   */
  private readonly refusalsLogged = new Map<string, Set<number>>()

  constructor(
    lines: ServedLine[],
    private readonly file: string,
    private readonly check: PolicyProblem,
    private readonly log: Logger,
  ) {
    this.served = new Map(lines.map((l) => [l.lineId, l]))
  }

  /** Reads the last known policies from disk; a missing file is an empty start, a corrupt one is logged and ignored. */
  async load(): Promise<number> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch {
      return 0
    }
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch (err) {
      this.log.error({ file: this.file, err }, 'last known policies file is not JSON; ignoring it')
      return 0
    }
    let loaded = 0
    for (const item of Array.isArray(raw) ? raw : []) {
      const parsed = policyPayloadV2.safeParse(item)
      if (parsed.success && this.accept(parsed.data, 'disk').kind === 'applied') loaded++
    }
    return loaded
  }

  isServed(lineId: string): boolean {
    return this.served.has(lineId)
  }

  servedLines(): ServedLine[] {
    return [...this.served.values()]
  }

  get(lineId: string): PolicyV2 | undefined {
    return this.current.get(lineId)
  }

  onChange(listener: PolicyChangeListener): void {
    this.listeners.push(listener)
  }

  /** Applies `policy` when it is for a served line, newer than the one held and passes `check`; persists it. */
  async apply(policy: PolicyV2): Promise<PolicyOutcome> {
    const outcome = this.accept(policy, 'topic')
    if (outcome.kind === 'applied' || this.unsaved) await this.persist()
    return outcome
  }

  private accept(policy: PolicyV2, from: 'disk' | 'topic'): PolicyOutcome {
    const line = this.served.get(policy.lineId)
    if (!line) return { kind: 'ignored' }
    if (line.plantId !== policy.plantId) {
      this.log.warn(
        { lineId: policy.lineId, plantId: policy.plantId, served: line.plantId },
        'policy for a line of another plant; ignored',
      )
      return { kind: 'ignored' }
    }
    const previous = this.current.get(policy.lineId)
    if (previous && previous.version >= policy.version) return { kind: 'ignored' }
    const problem = this.check(policy)
    if (problem !== undefined) {
      const refused = this.refusalsLogged.get(policy.lineId) ?? new Set<number>()
      if (!refused.has(policy.version)) {
        refused.add(policy.version)
        this.refusalsLogged.set(policy.lineId, refused)
        this.log.error(
          { lineId: policy.lineId, version: policy.version, problem, from },
          'policy refused; the line keeps its previous policy',
        )
      }
      return { kind: 'refused', problem }
    }
    const logged = this.refusalsLogged.get(policy.lineId)
    for (const version of logged ?? []) if (version <= policy.version) logged?.delete(version)
    if (logged?.size === 0) this.refusalsLogged.delete(policy.lineId)
    this.current.set(policy.lineId, policy)
    this.log.info(
      { lineId: policy.lineId, version: policy.version, previous: previous?.version ?? null, from },
      'policy applied',
    )
    for (const listener of this.listeners) listener(policy, previous)
    return { kind: 'applied' }
  }

  /**
   * Writes the file atomically (temp file + rename); writes are serialised, and one that failed
   * does not stop the ones queued after it (each writes the whole current state).
   */
  private persist(): Promise<void> {
    const snapshot = JSON.stringify([...this.current.values()], null, 1)
    const write = ++this.writes
    this.unsaved = true
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await writeFileAtomic(this.file, snapshot)
        if (write === this.writes) this.unsaved = false
      })
    return this.writing
  }
}
