/**
 * Shared by every worker_threads pool (inference, dataset generation).
 * Where a worker thread starts. Running from TypeScript sources (tsx, vitest) the entry is `.ts`,
 * so the thread boots through ts-worker.mjs, which registers tsx and then imports the entry
 * named in workerData.entry; compiled JavaScript starts the entry directly.
 */
export function workerLaunch(entry: URL): { url: URL; entry: string } {
  if (!entry.pathname.endsWith('.ts')) return { url: entry, entry: entry.href }
  return { url: new URL('./ts-worker.mjs', import.meta.url), entry: entry.href }
}
