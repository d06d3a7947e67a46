/**
 * Uploads are processed by worker threads (one core is left to the
 * serving thread): a 50 MB upload compressed at level 9 on the serving
 * thread once froze every read for five seconds. Workers start on first
 * use and are ended by close().
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { PayloadJob, PayloadOutcome } from './payload-processing.js'
import type { PayloadReply } from './payload-worker.js'
import { workerModule } from './worker-module.js'

const WORKER = workerModule('payload-worker', import.meta.url)

interface Slot { worker: Worker, busy: boolean }
interface Pending { job: PayloadJob, resolve: (o: PayloadOutcome) => void, reject: (e: Error) => void }

export class PayloadIntake {
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private readonly inFlight = new Map<number, Pending & { slot: Slot }>()
  private nextId = 1
  private closed = false

  constructor (private readonly size = Math.max(1, availableParallelism() - 1)) {}

  process (job: PayloadJob): Promise<PayloadOutcome> {
    if (this.closed) return Promise.reject(new Error('the payload workers are closed'))
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject })
      this.next()
    })
  }

  private next (): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find(s => !s.busy) ?? (this.slots.length < this.size ? this.spawn() : undefined)
      if (slot === undefined) return
      const p = this.queue.shift()!
      const id = this.nextId++
      slot.busy = true
      slot.worker.ref()
      this.inFlight.set(id, { ...p, slot })
      slot.worker.postMessage({ id, job: p.job })
    }
  }

  private spawn (): Slot {
    const slot: Slot = { worker: new Worker(WORKER.url, { execArgv: WORKER.execArgv }), busy: false }
    slot.worker.on('message', (reply: PayloadReply) => {
      const p = this.inFlight.get(reply.id)
      if (!p) return
      this.inFlight.delete(reply.id)
      this.release(slot)
      p.resolve(reply.outcome)
    })
    slot.worker.on('error', err => {
      // A worker that died takes its job with it; the next job gets a fresh worker.
      this.slots.splice(this.slots.indexOf(slot), 1)
      for (const [id, p] of this.inFlight) if (p.slot === slot) { this.inFlight.delete(id); p.reject(err) }
      this.next()
    })
    slot.worker.unref()
    this.slots.push(slot)
    return slot
  }

  private release (slot: Slot): void {
    slot.busy = false
    slot.worker.unref()
    this.next()
  }

  async close (): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(new Error('the payload workers are closed'))
    await Promise.all(this.slots.splice(0).map(async s => await s.worker.terminate()))
  }
}
