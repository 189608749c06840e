/**
 * The soak's inspector client against a real child Node process started with
 * `--inspect=127.0.0.1:0`, as the soak starts the services.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readHeapSnapshot } from '../../../../../scripts/internal/system/heap-snapshot.ts'
import {
  InspectorClient,
  parseInspectorUrl,
} from '../../../../../scripts/internal/system/inspector-client.ts'

// Holds 2,500 probes; a WeakRef to an object nothing else holds tells whether a full GC ran
// (an idle process allocates nothing, so nothing else collects it).
const program = `
class InspectorProbe { constructor(i) { this.i = i } }
globalThis.weak = new WeakRef({ payload: 'y'.repeat(1000) })
globalThis.kept = Array.from({ length: 2500 }, (_, i) => new InspectorProbe(i))
let garbage = Array.from({ length: 400 }, (_, i) => 'x'.repeat(100_000) + i)
garbage = null
setInterval(() => {}, 1000)
`

let child: ChildProcess
let client: InspectorClient
let dir: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokenline-inspector-'))
  child = spawn(process.execPath, ['--inspect=127.0.0.1:0', '-e', program], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    let text = ''
    child.stderr!.setEncoding('utf8')
    child.stderr!.on('data', (chunk: string) => {
      text += chunk
      const found = parseInspectorUrl(text)
      if (found) resolve(found)
    })
    child.once('exit', () => reject(new Error(`child exited; stderr: ${text}`)))
  })
  client = await InspectorClient.connect(url)
}, 30_000)

afterAll(async () => {
  await client?.close()
  child?.kill()
  rmSync(dir, { recursive: true, force: true })
})

describe('InspectorClient', () => {
  it('parses the URL Node prints for --inspect', () => {
    expect(parseInspectorUrl('Debugger listening on ws://127.0.0.1:9229/0f2c-ab')).toBe(
      'ws://127.0.0.1:9229/0f2c-ab',
    )
    expect(parseInspectorUrl('gateway  ready')).toBeNull()
  })

  it("reads the other process's memory after a full GC that really ran", async () => {
    const collected = async () =>
      (
        await client.call<{ result: { value: boolean } }>('Runtime.evaluate', {
          expression: 'weak.deref() === undefined',
          returnByValue: true,
        })
      ).result.value
    expect(await collected()).toBe(false)
    const usage = await client.memoryAfterGc()
    expect(await collected()).toBe(true)
    expect(usage.rss).toBeGreaterThan(usage.heapTotal)
    // 40 MB of strings were garbage; after a full GC the heap holds the probes and Node itself.
    expect(usage.heapUsed).toBeLessThan(20 * 1024 * 1024)
    expect(usage.heapUsed).toBeGreaterThan(1024 * 1024)
  })

  it('writes a heap snapshot of the other process that the reader counts', async () => {
    const file = join(dir, 'probe.heapsnapshot')
    const bytes = await client.takeHeapSnapshot(file)
    expect(bytes).toBeGreaterThan(100_000)
    expect(readHeapSnapshot(file).byConstructor.get('InspectorProbe')?.count).toBe(2500)
  })

  it('rejects with the protocol error code for an unknown method', async () => {
    await expect(client.call('HeapProfiler.noSuchMethod')).rejects.toMatchObject({
      code: 'INSPECTOR_CALL_FAILED',
    })
  })
})
