/**
 * The search worker, one query at a time, with a wall-clock budget: a query
 * that runs over is ended with its worker, answered 503, and a fresh worker
 * takes the next one. The main thread never runs a search.
 */
import { Worker } from 'node:worker_threads'
import { DepotError, ServiceUnavailableError } from '../errors.js'
import type { QuerySpec } from '../ips/search-query.js'
import type { SearchLimits } from './search-engine.js'
import type { SearchJob, SearchReply } from './search-worker.js'

type Pending = { job: SearchJob, resolve: (lines: string[][]) => void, reject: (err: Error) => void }

const WORKER_URL = new URL(`./search-worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url)

export class SearchPool {
  private worker: Worker | null = null
  private readonly queue: Pending[] = []
  private current: Pending | null = null
  private timer: NodeJS.Timeout | null = null
  private nextId = 1
  private closed = false

  constructor (private readonly dbFile: string, private readonly limits: SearchLimits, private readonly maxQueued = 64) {}

  private spawn (): Worker {
    const w = new Worker(WORKER_URL, { workerData: { dbFile: this.dbFile, limits: this.limits } })
    w.on('message', (reply: SearchReply) => this.settle(reply))
    w.on('error', err => this.fail(err))
    w.unref()
    return w
  }

  private settle (reply: SearchReply): void {
    const p = this.current
    if (!p || reply.id !== p.job.id) return
    this.finish()
    if ('lines' in reply) p.resolve(reply.lines)
    else p.reject(new DepotError(reply.error.code, reply.error.status, reply.error.message))
  }

  private fail (err: Error): void {
    const p = this.current
    this.worker = null
    this.finish()
    p?.reject(err)
  }

  private finish (): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.current = null
    setImmediate(() => this.next())
  }

  private next (): void {
    if (this.current || this.closed) return
    const p = this.queue.shift()
    if (!p) return
    this.current = p
    this.worker ??= this.spawn()
    this.worker.postMessage(p.job)
    this.timer = setTimeout(() => {
      void this.worker?.terminate()
      this.worker = null
      const stuck = this.current
      this.finish()
      stuck?.reject(new ServiceUnavailableError('The query took too long and was stopped; narrow it down.', 1))
    }, this.limits.timeBudgetMs)
  }

  private submit (job: { kind: 'v1', publisher: string, specs: QuerySpec[] } | { kind: 'v0', publisher: string, token: string }): Promise<string[][]> {
    if (this.queue.length >= this.maxQueued) return Promise.reject(new ServiceUnavailableError('Too many searches are waiting; try again shortly.', 1))
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...job, id: this.nextId++ } as SearchJob, resolve, reject })
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
    for (const p of this.queue.splice(0)) p.reject(new ServiceUnavailableError('The depot is shutting down.'))
    await this.worker?.terminate()
  }
}
