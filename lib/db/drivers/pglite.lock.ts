import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { DbError } from '../errors.ts'

/**
 * PGlite is one process's database: two processes writing the same directory corrupt it.
 * A lock file `<dir>.lock` beside the data directory holds the owner's pid and role; a lock left by a dead
 * process is taken over.
 */
export type PgliteLock = { release: () => void }

/** Lock files this process holds; a file naming our own pid but absent here is left from a past life (pid reuse in containers). */
const heldHere = new Set<string>()

export function acquirePgliteLock(dir: string, owner: string): PgliteLock {
  mkdirSync(dirname(dir), { recursive: true })
  const path = `${dir}.lock`
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, JSON.stringify({ pid: process.pid, owner, since: new Date().toISOString() }))
      closeSync(fd)
      heldHere.add(path)
      return {
        release: () => {
          if (!heldHere.delete(path)) return
          if (readHolder(path)?.pid === process.pid) rmSync(path, { force: true })
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = readHolder(path)
      const self = holder?.pid === process.pid
      if (holder && ((self && heldHere.has(path)) || (!self && isAlive(holder.pid)))) {
        throw new DbError(
          'DB_LOCKED',
          `the embedded database at ${dir} is held by ${holder.owner} (pid ${holder.pid}) since ${holder.since}; ` +
            'stop that process first, or run everything against PostgreSQL with DATABASE_URL',
          true,
        )
      }
      rmSync(path, { force: true })
    }
  }
  throw new DbError('DB_LOCKED', `could not take the lock file ${path}`, true)
}

type Holder = { pid: number; owner: string; since: string }

function readHolder(path: string): Holder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Holder>
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, owner: parsed.owner ?? 'a process', since: parsed.since ?? '?' }
      : undefined
  } catch {
    return undefined
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
