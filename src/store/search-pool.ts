/**
 * Search workers, one per core, each running one query at a time with a
 * wall-clock budget: a query that runs over is ended with its worker,
 * answered 503, and a fresh worker takes the next one. The main thread
 * never runs a search.
 *
 * Fair to every client: each client (an address) has a queue of its own
 * and at most `perClient` searches active, from the moment one reaches a
 * worker until its answer has been handed over (so a client that does
 * not read its answers holds its own slot, not the depot's memory).
 * Workers take the next query from the clients in turn, so one client's
 * hundred queries wait behind each other, not in front of another
 * client's one. A client with `perClientQueue` queries waiting is
 * answered 429; a query that waited `maxWaitMs` for a worker, 503.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { DepotError, ServiceUnavailableError, TooManyRequestsError } from '../errors.js'
import type { QuerySpec } from '../ips/search-query.js'
import { QUERY_TOO_LONG, type SearchLimits } from './search-engine.js'
import type { SearchJob, SearchMessage, SearchReply } from './search-worker.js'
import { workerModule } from './worker-module.js'

/** Why searches were refused, for the metrics. */
export type RefusalReason = 'too_broad' | 'too_long' | 'waited' | 'client_queue' | 'shutdown'

type Job = { kind: 'v1', publisher: string, specs: QuerySpec[] } | { kind: 'v0', publisher: string, token: string }

/** One search: queued, then on a worker, then handed over batch by batch. */
class Pending implements AsyncIterator<string[]> {
  readonly job: SearchJob
  private readonly batches: string[][] = []
  private ended = false
  private failure: Error | null = null
  private wake: (() => void) | null = null
  /** The consumer is gone or has everything: the client's slot is given back once. */
  private released = false
  /** The consumer went away before the end: a search still waiting never runs. */
  private abandoned = false
  waiting: NodeJS.Timeout | null = null
  /** It has counted against its client's active searches. */
  active = false

  constructor (job: SearchJob, readonly client: Client, private readonly onRelease: (p: Pending) => void) { this.job = job }

  push (lines: string[]): void { if (!this.released) { this.batches.push(lines); this.notify() } }
  end (): void { this.ended = true; this.notify() }
  fail (err: Error): void { this.failure = err; this.ended = true; this.notify() }
  private notify (): void { const w = this.wake; this.wake = null; w?.() }

  async next (): Promise<IteratorResult<string[]>> {
    for (;;) {
      if (this.abandoned) throw new ServiceUnavailableError('The client went away.')
      const batch = this.batches.shift()
      if (batch !== undefined) return { done: false, value: batch }
      if (this.failure !== null) { this.release(); throw this.failure }
      if (this.ended) { this.release(); return { done: true, value: undefined } }
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  async return (): Promise<IteratorResult<string[]>> {
    this.batches.length = 0
    if (!this.ended) this.abandoned = true
    this.release()
    this.notify()
    return { done: true, value: undefined }
  }

  release (): void {
    if (this.released) return
    this.released = true
    this.onRelease(this)
  }

  [Symbol.asyncIterator] (): AsyncIterator<string[]> { return this }
}

interface Client {
  readonly key: string
  readonly queue: Pending[]
  /** Searches on a worker or still being handed over. */
  active: number
  /** When it was last served (a count of dispatches): the client served longest ago goes next. */
  served: number
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
  /** Searches one client may have active at once. */
  readonly perClient: number
  /** Searches one client may have waiting; one more is answered 429. */
  readonly perClientQueue: number
  /** Workers; one per core unless given. */
  readonly workers?: number
}

const WORKER = workerModule('search-worker', import.meta.url)

export class SearchPool {
  private readonly slots: Slot[]
  /** Clients with a search waiting or active; a client with neither is forgotten. */
  private readonly clients = new Map<string, Client>()
  private nextId = 1
  private dispatched = 0
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
  get waiting (): number { let n = 0; for (const c of this.clients.values()) n += c.queue.length; return n }
  /** Searches ended for taking too long, and searches that waited too long for a worker (metrics). */
  readonly stats = { timeouts: 0, shed: 0 }
  /** Searches refused, by reason (metrics). */
  readonly refusals: Record<RefusalReason, number> = { too_broad: 0, too_long: 0, waited: 0, client_queue: 0, shutdown: 0 }

  private spawn (slot: Slot): Worker {
    const limits: SearchLimits = { maxWork: this.opts.maxWork, timeBudgetMs: this.opts.timeBudgetMs }
    const w = new Worker(WORKER.url, { execArgv: WORKER.execArgv, workerData: { dbFile: this.dbFile, limits } })
    slot.ready = false
    w.on('message', (reply: SearchMessage) => {
      if ('ready' in reply) { slot.ready = true; this.next(); return }
      this.receive(slot, reply)
    })
    w.on('error', err => { this.fail(slot, w, err) })
    w.unref()
    return w
  }

  private receive (slot: Slot, reply: SearchReply): void {
    const p = slot.current
    if (!p || reply.id !== p.job.id) return
    if ('lines' in reply) { p.push(reply.lines); return }
    this.free(slot)
    if ('done' in reply) { p.end(); return }
    const { code, status, message, headers } = reply.error
    if (code === 'ERR_QUERY_TOO_BROAD') this.refusals.too_broad++
    if (message === QUERY_TOO_LONG) this.refusals.too_long++
    p.fail(new DepotError(code, status, message, headers))
  }

  private fail (slot: Slot, worker: Worker, err: Error): void {
    if (slot.worker !== worker) return
    const p = slot.current
    slot.worker = null
    this.free(slot)
    p?.fail(err)
  }

  private free (slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer)
    slot.timer = null
    slot.current = null
    setImmediate(() => { this.next() })
  }

  /** The next query to run: of the clients with one waiting and a slot of their own free, the one served longest ago. */
  private take (): Pending | null {
    let client: Client | null = null
    for (const c of this.clients.values()) {
      if (c.queue.length > 0 && c.active < this.opts.perClient && (client === null || c.served < client.served)) client = c
    }
    if (client === null) return null
    const p = client.queue.shift()!
    client.served = ++this.dispatched
    if (p.waiting) clearTimeout(p.waiting)
    p.waiting = null
    p.active = true
    client.active++
    return p
  }

  private next (): void {
    if (this.closed) return
    for (const slot of this.slots) {
      if (this.waiting === 0) return
      slot.worker ??= this.spawn(slot)
      if (slot.current !== null || !slot.ready) continue
      const p = this.take()
      if (p === null) return
      slot.current = p
      slot.worker.postMessage(p.job)
      slot.timer = setTimeout(() => {
        void slot.worker?.terminate()
        slot.worker = null
        this.free(slot)
        this.stats.timeouts++
        this.refusals.too_long++
        p.fail(new ServiceUnavailableError(QUERY_TOO_LONG, 1))
      }, this.opts.timeBudgetMs)
    }
  }

  private released (p: Pending): void {
    const c = p.client
    // Refused, or given up before it ran (the client went away): it leaves the queue.
    if (!p.active) { this.unqueue(p); return }
    c.active--
    this.forget(c)
    this.next()
  }

  /** Takes a search that has not run out of its client's queue; false if it was not there. */
  private unqueue (p: Pending): boolean {
    if (p.waiting !== null) clearTimeout(p.waiting)
    p.waiting = null
    const q = p.client.queue
    const i = q.indexOf(p)
    if (i !== -1) q.splice(i, 1)
    this.forget(p.client)
    return i !== -1
  }

  private forget (c: Client): void {
    if (c.active === 0 && c.queue.length === 0) this.clients.delete(c.key)
  }

  /** Runs a search for a client (an address); its result lines arrive in batches. Errors (refusals included) come from the first next(). */
  private submit (client: string, job: Job): AsyncIterable<string[]> {
    let c = this.clients.get(client)
    if (c === undefined) { c = { key: client, queue: [], active: 0, served: 0 }; this.clients.set(client, c) }
    const p = new Pending({ ...job, id: this.nextId++ } as SearchJob, c, x => { this.released(x) })
    if (this.closed) {
      this.refusals.shutdown++
      p.fail(new ServiceUnavailableError('The depot is shutting down.'))
      return p
    }
    if (c.queue.length >= this.opts.perClientQueue) {
      this.refusals.client_queue++
      this.forget(c)
      p.fail(new TooManyRequestsError(`This client has ${c.queue.length} searches waiting already (search.per_client_queue); wait for their answers.`, 1))
      return p
    }
    p.waiting = setTimeout(() => {
      if (!this.unqueue(p)) return
      this.stats.shed++
      this.refusals.waited++
      p.fail(new ServiceUnavailableError(`The depot is busy: this search waited more than ${this.opts.maxWaitMs} ms for a worker; try again shortly.`, Math.max(1, Math.ceil(this.opts.maxWaitMs / 1000))))
    }, this.opts.maxWaitMs)
    c.queue.push(p)
    this.next()
    return p
  }

  search (client: string, publisher: string, specs: QuerySpec[]): AsyncIterable<string[]> {
    return this.submit(client, { kind: 'v1', publisher, specs })
  }

  legacy (client: string, publisher: string, token: string): AsyncIterable<string[]> {
    return this.submit(client, { kind: 'v0', publisher, token })
  }

  async close (): Promise<void> {
    this.closed = true
    for (const c of this.clients.values()) {
      for (const p of c.queue.splice(0)) {
        if (p.waiting) clearTimeout(p.waiting)
        p.fail(new ServiceUnavailableError('The depot is shutting down.'))
      }
    }
    await Promise.all(this.slots.map(async s => {
      if (s.timer) clearTimeout(s.timer)
      await s.worker?.terminate()
    }))
  }
}

/** Every batch of a search, gathered (for callers that need the whole answer, such as the web pages). */
export async function allLines (batches: AsyncIterable<string[]>): Promise<string[]> {
  const out: string[] = []
  for await (const lines of batches) for (const l of lines) out.push(l)
  return out
}
