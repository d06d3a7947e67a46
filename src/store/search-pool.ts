/**
 * Search workers, one per core, each running one query at a time with a
 * wall-clock budget: a query that runs over is ended with its worker,
 * answered 503, and a fresh worker takes the next one. The main thread
 * never runs a search.
 *
 * Every client is answered unless its query waited longer than a time
 * budget (`maxWaitMs`) for a worker: under load, searches get slower, as
 * with pkg.depotd, instead of being shed by queue length (which once
 * refused 98% of 100 concurrent clients while the workers sat idle).
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DepotError, ServiceUnavailableError } from '../errors.js'
import type { QuerySpec } from '../ips/search-query.js'
import { QUERY_TOO_LONG, type SearchLimits } from './search-engine.js'
import type { SearchJob, SearchMessage, SearchReply } from './search-worker.js'
import { workerModule } from './worker-module.js'

interface Pending {
  readonly job: SearchJob
  readonly resolve: (lines: string[][]) => void
  readonly reject: (err: Error) => void
  waiting?: NodeJS.Timeout
}

interface Slot {
  worker: Worker | null
  /** The worker has opened its database: its start does not count against a query's budget. */
  ready: boolean
  current: Pending | null
  timer: NodeJS.Timeout | null
}

export interface SearchPoolOptions extends SearchLimits {
  /** How long a query may wait for a worker before it is answered 503. */
  readonly maxWaitMs: number
  /** Workers; one per core unless given. */
  readonly workers?: number
}

const WORKER = workerModule('search-worker', import.meta.url)

export class SearchPool {
  private readonly slots: Slot[]
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false

  constructor (private readonly dbFile: string, private readonly opts: SearchPoolOptions) {
    this.slots = Array.from({ length: opts.workers ?? availableParallelism() }, () => ({ worker: null, ready: false, current: null, timer: null }))
  }

  /** Starts every worker and resolves when all are ready, so that no search waits for one to start (serve does this before listening). */
  async warm (): Promise<void> {
    for (const slot of this.slots) slot.worker ??= this.spawn(slot)
    await Promise.all(this.slots.map(async slot => { while (!slot.ready && slot.worker !== null && !this.closed) await new Promise(resolve => setTimeout(resolve, 5)) }))
  }

  /** Queries waiting for a worker. */
  get waiting (): number { return this.queue.length }
  /** Searches ended for taking too long, and searches that waited too long for a worker (metrics). */
  readonly stats = { timeouts: 0, shed: 0 }

  private spawn (slot: Slot): Worker {
    const limits: SearchLimits = { maxRows: this.opts.maxRows, timeBudgetMs: this.opts.timeBudgetMs }
    const w = new Worker(WORKER.url, { execArgv: WORKER.execArgv, workerData: { dbFile: this.dbFile, limits } })
    slot.ready = false
    w.on('message', (reply: SearchMessage) => {
      if ('ready' in reply) { slot.ready = true; this.next(); return }
      this.settle(slot, reply)
    })
    w.on('error', err => { this.fail(slot, w, err) })
    w.unref()
    return w
  }

  private settle (slot: Slot, reply: SearchReply): void {
    const p = slot.current
    if (!p || reply.id !== p.job.id) return
    this.free(slot)
    if ('lines' in reply) p.resolve(reply.lines)
    else p.reject(new DepotError(reply.error.code, reply.error.status, reply.error.message))
  }

  private fail (slot: Slot, worker: Worker, err: Error): void {
    if (slot.worker !== worker) return
    const p = slot.current
    slot.worker = null
    this.free(slot)
    p?.reject(err)
  }

  private free (slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = null
    slot.current = null
    setImmediate(() => { this.next() })
  }

  private next (): void {
    if (this.closed) return
    for (const slot of this.slots) {
      if (this.queue.length === 0) return
      slot.worker ??= this.spawn(slot)
      if (slot.current !== null || !slot.ready) continue
      const p = this.queue.shift()!
      if (p.waiting) clearTimeout(p.waiting)
      slot.current = p
      slot.worker.postMessage(p.job)
      slot.timer = setTimeout(() => {
        void slot.worker?.terminate()
        slot.worker = null
        this.free(slot)
        this.stats.timeouts++
        p.reject(new ServiceUnavailableError(QUERY_TOO_LONG, 1))
      }, this.opts.timeBudgetMs)
    }
  }

  private submit (job: { kind: 'v1', publisher: string, specs: QuerySpec[] } | { kind: 'v0', publisher: string, token: string }): Promise<string[][]> {
    if (this.closed) return Promise.reject(new ServiceUnavailableError('The depot is shutting down.'))
    return new Promise((resolve, reject) => {
      const p: Pending = { job: { ...job, id: this.nextId++ } as SearchJob, resolve, reject }
      p.waiting = setTimeout(() => {
        const i = this.queue.indexOf(p)
        if (i === -1) return
        this.queue.splice(i, 1)
        this.stats.shed++
        reject(new ServiceUnavailableError(`The depot is busy: this search waited more than ${this.opts.maxWaitMs} ms for a worker; try again shortly.`, Math.max(1, Math.ceil(this.opts.maxWaitMs / 1000))))
      }, this.opts.maxWaitMs)
      this.queue.push(p)
      this.next()
    })
  }

  search (publisher: string, specs: QuerySpec[]): Promise<string[][]> {
    return this.submit({ kind: 'v1', publisher, specs })
  }

  legacy (publisher: string, token: string): Promise<string[]> {
    return this.submit({ kind: 'v0', publisher, token }).then(l => l[0]!)
  }

  async close (): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) {
      if (p.waiting) clearTimeout(p.waiting)
      p.reject(new ServiceUnavailableError('The depot is shutting down.'))
    }
    await Promise.all(this.slots.map(async s => {
      if (s.timer) clearTimeout(s.timer)
      await s.worker?.terminate()
    }))
  }
}
