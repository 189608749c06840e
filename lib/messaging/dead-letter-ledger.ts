import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { KafkaMessage } from 'kafkajs'
import { writeFileAtomic } from '../fs/write-file-atomic.ts'
import type { Logger } from '../log/index.ts'

/**
 * The records a consumer has already dead-lettered, so a record delivered again is not
 * dead-lettered again: a compacted state topic replayed from the start at every group join
 * (`replayFromStart`) meets its bad records every time, and a commit lost to a rebalance
 * redelivers one. A record is added only after the dead-letter topic acknowledged it, so a
 * crash in between dead-letters it twice, never zero times.
 */
export interface DeadLetterLedger {
  has(key: string): boolean
  add(key: string): Promise<void>
}

/**
 * Names one record: group, topic, partition, offset and a hash of its value. The hash keeps the
 * key sound when a topic is deleted and recreated (offsets start again at 0): a different record
 * at a remembered offset is a different key, so it is dead-lettered.
 */
export function deadLetterKey(
  groupId: string,
  record: { topic: string; partition: number; message: Pick<KafkaMessage, 'offset' | 'value'> },
): string {
  const value = record.message.value
  const digest = value === null ? 'null' : createHash('sha256').update(value).digest('base64url').slice(0, 16)
  return `${groupId}|${record.topic}|${record.partition}|${record.message.offset}|${digest}`
}

/** Default size of a ledger: the most recent keys kept (older ones are forgotten first). */
const defaultCapacity = 10_000

/** In this process only (the default of every subscription): lost at restart. */
export class MemoryDeadLetterLedger implements DeadLetterLedger {
  protected readonly keys = new Set<string>()

  constructor(protected readonly capacity = defaultCapacity) {}

  has(key: string): boolean {
    return this.keys.has(key)
  }

  async add(key: string): Promise<void> {
    this.keys.add(key)
    for (const oldest of this.keys) {
      if (this.keys.size <= this.capacity) break
      this.keys.delete(oldest)
    }
  }
}

/**
 * Kept in a JSON file (temp file + rename, writes serialised), so a restarted process does not
 * dead-letter again what it already did. Written only when something is dead-lettered (rare), read
 * once at open. A missing or unreadable file is an empty ledger: the worst case is a repeated
 * dead letter, never a skipped one.
 */
export class FileDeadLetterLedger extends MemoryDeadLetterLedger {
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    private readonly file: string,
    capacity: number,
  ) {
    super(capacity)
  }

  static async open(file: string, log: Logger, capacity = 1000): Promise<FileDeadLetterLedger> {
    const ledger = new FileDeadLetterLedger(file, capacity)
    let text: string | undefined
    try {
      text = await readFile(file, 'utf8')
    } catch {
      return ledger
    }
    try {
      const keys: unknown = JSON.parse(text)
      for (const key of Array.isArray(keys) ? keys.slice(-capacity) : [])
        if (typeof key === 'string') ledger.keys.add(key)
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'dead-letter ledger is not JSON; starting empty')
    }
    return ledger
  }

  override async add(key: string): Promise<void> {
    await super.add(key)
    const snapshot = JSON.stringify([...this.keys])
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await writeFileAtomic(this.file, snapshot)
      })
    return this.writing
  }
}
