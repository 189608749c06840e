/**
 * Where a worker thread starts: a `.ts` entry (tsx, vitest) boots through ts-worker.mjs, which
 * registers tsx and imports workerData.entry; compiled JavaScript starts the entry directly.
 */
export function workerLaunch(entry: URL): { url: URL; entry: string } {
  if (!entry.pathname.endsWith('.ts')) return { url: entry, entry: entry.href }
  return { url: new URL('./ts-worker.mjs', import.meta.url), entry: entry.href }
}
