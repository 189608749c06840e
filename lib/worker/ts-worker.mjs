// Starts a TypeScript worker entry (workerData.entry, a file URL) under tsx: a worker thread does
// not inherit the loader of a parent started by tsx or vitest.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
