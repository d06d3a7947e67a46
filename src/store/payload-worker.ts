/** The payload worker: hashing, decompressing and compressing uploads, off the serving thread. */
import { parentPort } from 'node:worker_threads'
import { type PayloadJob, type PayloadOutcome, processPayload } from './payload-processing.js'

export interface PayloadRequest { readonly id: number, readonly job: PayloadJob }
export interface PayloadReply { readonly id: number, readonly outcome: PayloadOutcome }

parentPort!.on('message', (req: PayloadRequest) => {
  void processPayload(req.job).then(outcome => { parentPort!.postMessage({ id: req.id, outcome } satisfies PayloadReply) })
})
