/**
 * Collects the keys asked for in one tick and fetches them with one call, so a page of 100
 * inspections asking for their line costs one query, not 100. One loader per request: results
 * are cached for the request's lifetime only.
 */
export class BatchLoader<K, V> {
  private readonly cache = new Map<K, Promise<V>>()
  private queue: { key: K; resolve: (v: V) => void; reject: (e: unknown) => void }[] = []

  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly missing: (key: K) => V,
  ) {}

  load(key: K): Promise<V> {
    let promise = this.cache.get(key)
    if (!promise) {
      promise = new Promise<V>((resolve, reject) => {
        if (this.queue.length === 0) process.nextTick(() => this.flush())
        this.queue.push({ key, resolve, reject })
      })
      this.cache.set(key, promise)
    }
    return promise
  }

  private flush(): void {
    const batch = this.queue
    this.queue = []
    this.fetch(batch.map((b) => b.key)).then(
      (found) => {
        for (const b of batch) b.resolve(found.has(b.key) ? found.get(b.key)! : this.missing(b.key))
      },
      (err: unknown) => {
        for (const b of batch) b.reject(err)
      },
    )
  }
}
