/**
 * The serving thread's side of the catalog worker: asks it to seal or to
 * rebuild, and keeps the signed bytes of every part it handed over, which
 * is what catalog parts are served from. A commit only nudges the worker
 * (publishes in a burst share seals); a reader that finds changes not yet
 * sealed waits for a seal that covers them.
 */
import { Worker } from 'node:worker_threads'
import type { CatalogPart } from './catalog-parts.js'
import type { CatalogReply, CatalogRequest, RebuildOptions } from './catalog-worker-protocol.js'
import { ReplacedPages } from './release-memory.js'
import { workerModule } from './worker-module.js'

const WORKER = workerModule('catalog-worker-thread', import.meta.url)

const BACKGROUND_SEAL_INTERVAL_MS = 1000
/**
 * A rebuild allocates short-lived objects by the gigabyte (every version's
 * actions parsed and serialized again); with V8's default young generation
 * the peak RSS of a rebuild into L was ~45 MiB higher, for a rebuild ~20%
 * faster (14.5 s against 17.3).
 */
const WORKER_YOUNG_GENERATION_MB = 4

interface Pending { resolve: (reply: CatalogReply) => void, reject: (err: Error) => void }

export class CatalogWorker {
  private worker: Worker | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly parts = new Map<string, CatalogPart>()
  private readonly replacedPages = new ReplacedPages('async')
  private nextId = 1
  private nudgeTimer: NodeJS.Timeout | null = null
  private lastNudge = -Infinity
  private closed = false

  /** `onWrite` runs after each seal or rebuild is written, before anyone waiting for it resumes. */
  constructor (private readonly dataDir: string, private readonly dbFile: string, private readonly onWrite: () => void) {}

  /** Seals every change committed so far to the given publishers (all when null). */
  async seal (publishers: readonly string[] | null): Promise<void> {
    await this.ask(id => ({ id, seal: publishers }))
  }

  /** A rebuild (or refresh) of the catalog and/or search index, in the worker; resolves with the publishers done. */
  async rebuild (opts: RebuildOptions): Promise<string[]> {
    const reply = await this.ask(id => ({ id, rebuild: opts }))
    return 'rebuilt' in reply ? reply.rebuilt : []
  }

  private async ask (request: (id: number) => CatalogRequest): Promise<CatalogReply> {
    if (this.closed) throw new Error('the repository is closed')
    const id = this.nextId++
    const done = new Promise<CatalogReply>((resolve, reject) => this.pending.set(id, { resolve, reject }))
    const worker = this.spawned()
    // Someone waits for this worker: the process must not exit under them. Idle, it holds nothing open.
    worker.ref()
    worker.postMessage(request(id))
    return await done
  }

  /**
   * Seals in the background after a commit, at most once a second: each
   * seal hashes the touched parts from their first changed page on (up to
   * 183 MB into a 229k-version catalog), so a burst of publishes shares a
   * few seals. A reader does not wait for this: it asks for its own seal.
   */
  nudge (): void {
    if (this.closed || this.nudgeTimer !== null) return
    const wait = Math.max(0, this.lastNudge + BACKGROUND_SEAL_INTERVAL_MS - performance.now())
    this.nudgeTimer = setTimeout(() => {
      this.nudgeTimer = null
      this.lastNudge = performance.now()
      // A failed background seal is tried again by the next reader (see Repository.catalogFile).
      this.seal(null).catch(() => {})
    }, wait)
    this.nudgeTimer.unref()
  }

  /** The last pages handed over for a part, whatever revision they are of. */
  part (publisher: string, name: string): CatalogPart | undefined {
    return this.parts.get(`${publisher}\0${name}`)
  }

  close (): void {
    this.closed = true
    if (this.nudgeTimer !== null) clearTimeout(this.nudgeTimer)
    void this.worker?.terminate()
    this.worker = null
    this.failAll(new Error('the repository is closed'))
  }

  private spawned (): Worker {
    if (this.worker) return this.worker
    const w = new Worker(WORKER.url, { execArgv: WORKER.execArgv, workerData: { dataDir: this.dataDir, dbFile: this.dbFile }, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } })
    w.on('message', (reply: CatalogReply) => this.settle(reply))
    w.on('error', err => { if (this.worker === w) this.worker = null; this.failAll(err) })
    w.on('exit', code => { if (this.worker === w) { this.worker = null; this.failAll(new Error(`the catalog worker stopped (exit ${code})`)) } })
    w.unref()
    this.worker = w
    return w
  }

  private settle (reply: CatalogReply): void {
    const p = this.pending.get(reply.id)
    this.pending.delete(reply.id)
    if (this.pending.size === 0) this.worker?.unref()
    if ('error' in reply) { p?.reject(new Error(`the catalog worker failed: ${reply.error}`)); return }
    for (const s of 'sealed' in reply ? reply.sealed : []) {
      for (const part of s.parts) {
        // Pages arrive as views of the worker's shared memory, not as Buffers.
        const chunks = part.chunks.map(c => Buffer.from(c.buffer, c.byteOffset, c.byteLength))
        this.parts.set(`${s.publisher}\0${part.name}`, { ...part, chunks })
      }
    }
    // Forgets the replaced pages (catalog files cached for the old generation) before they are counted for collection.
    this.onWrite()
    if ('sealed' in reply) this.replacedPages.add(reply.replacedBytes)
    p?.resolve(reply)
  }

  private failAll (err: Error): void {
    const all = [...this.pending.values()]
    this.pending.clear()
    for (const p of all) p.reject(err)
  }
}
