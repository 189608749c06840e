/**
 * Turns one line a child process wrote into a readable, prefixed line.
 * Children log pino JSON (`{"level":30,"time":…,"msg":…,…}`); those become
 * `gateway  18:02:11.042 INFO  listening port=4000 host="127.0.0.1"`. Anything else is
 * printed as it came, after the prefix.
 */
const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
}

const hidden = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'service', 'v'])

export function formatLogLine(prefix: string, line: string): string {
  const trimmed = line.trimEnd()
  if (!trimmed.startsWith('{')) return `${prefix} ${trimmed}`
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(trimmed) as Record<string, unknown>
  } catch {
    return `${prefix} ${trimmed}`
  }
  if (typeof entry.level !== 'number') return `${prefix} ${trimmed}`
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : ''
  const level = levelNames[entry.level] ?? String(entry.level)
  const fields = Object.entries(entry)
    .filter(([key]) => !hidden.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`)
  const message = typeof entry.msg === 'string' ? entry.msg : ''
  return [prefix, time, level, message, ...fields].filter((part) => part !== '').join(' ')
}

function formatValue(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'message' in value && 'type' in value) {
    const err = value as { type: unknown; message: unknown; code?: unknown }
    return JSON.stringify(`${String(err.code ?? err.type)}: ${String(err.message)}`)
  }
  return JSON.stringify(value) ?? String(value)
}

/** Splits a stream of chunks into whole lines; `flush` returns what is left without a newline. */
export class LineSplitter {
  private rest = ''

  push(chunk: string): string[] {
    const text = this.rest + chunk
    const lines = text.split('\n')
    this.rest = lines.pop() ?? ''
    return lines
  }

  flush(): string[] {
    const rest = this.rest
    this.rest = ''
    return rest === '' ? [] : [rest]
  }
}
