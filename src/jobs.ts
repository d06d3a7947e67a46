/**
 * Background repository jobs (admin/0 rebuild and refresh): answered at
 * once, run one at a time, with a bounded queue; pkg5 answers 503 when its
 * queue is full, and so does this.
 */
import { randomUUID } from 'node:crypto'
import { ServiceUnavailableError } from './errors.js'

export type JobState = 'queued' | 'running' | 'done' | 'failed'

export interface Job {
  readonly id: string
  readonly kind: string
  readonly publisher: string | null
  state: JobState
  readonly queuedAt: string
  finishedAt?: string
  error?: string
}

const MAX_PENDING = 10
const MAX_REMEMBERED = 100

export class JobQueue {
  private readonly jobs = new Map<string, Job>()
  private readonly pending: Array<{ job: Job, run: () => Promise<unknown> }> = []
  private running = false
  /** Jobs accepted since start. */
  submitted = 0

  /** `onFailed` hears of every job that fails (the depot logs it at warn). */
  constructor (private readonly onFailed: (job: Job, err: Error) => void = () => {}) {}

  submit (kind: string, publisher: string | null, run: () => Promise<unknown>): Job {
    if (this.pending.length + (this.running ? 1 : 0) >= MAX_PENDING) {
      throw new ServiceUnavailableError('Another operation is already in progress; try again later.', 5)
    }
    const job: Job = { id: randomUUID(), kind, publisher, state: 'queued', queuedAt: new Date().toISOString() }
    this.jobs.set(job.id, job)
    this.submitted++
    for (const id of this.jobs.keys()) { if (this.jobs.size <= MAX_REMEMBERED) break; this.jobs.delete(id) }
    this.pending.push({ job, run })
    setImmediate(() => this.next())
    return job
  }

  get (id: string): Job | undefined { return this.jobs.get(id) }

  /** Resolves when nothing is queued or running (tests, shutdown). */
  async idle (): Promise<void> {
    while (this.running || this.pending.length > 0) await new Promise(resolve => setTimeout(resolve, 5))
  }

  private next (): void {
    if (this.running) return
    const item = this.pending.shift()
    if (!item) return
    this.running = true
    item.job.state = 'running'
    void item.run().then(() => { item.job.state = 'done' }, (err: Error) => {
      item.job.state = 'failed'
      item.job.error = err.message
      this.onFailed(item.job, err)
    }).finally(() => {
      item.job.finishedAt = new Date().toISOString()
      this.running = false
      setImmediate(() => this.next())
    })
  }
}
