import { parentPort, workerData } from 'node:worker_threads'
import { type GenerateWorkerMessage, type SeedRange, writeSeedRange } from './write-dataset.ts'

const { range } = workerData as { range: Omit<SeedRange, 'onProgress'> }
const post = (msg: GenerateWorkerMessage) => parentPort!.postMessage(msg)
const lines = await writeSeedRange({
  ...range,
  onProgress: (done) => {
    if (done % 25 === 0) post({ type: 'progress', done })
  },
})
post({ type: 'progress', done: range.count })
post({ type: 'done', lines })
