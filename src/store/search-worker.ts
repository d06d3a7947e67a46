/**
 * Runs searches off the main thread, on its own read-only connection, so a
 * pathological query can be stopped (the worker is ended) without stalling
 * anything else the depot is serving.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { QuerySpec } from '../ips/search-query.js'
import { DepotError } from '../errors.js'
import { openDatabase } from './db.js'
import { legacyResultLines, resultLines, type SearchLimits } from './search-engine.js'

export type SearchJob =
  | { id: number, kind: 'v1', publisher: string, specs: QuerySpec[] }
  | { id: number, kind: 'v0', publisher: string, token: string }

export type SearchReply = { id: number, lines: string[][] } | { id: number, error: { status: number, message: string, code: string } }
export type SearchMessage = SearchReply | { ready: true }

const { dbFile, limits } = workerData as { dbFile: string, limits: SearchLimits }
const db = openDatabase(dbFile, { readonly: true })

// A query's time budget starts when it reaches a worker that is ready, not while one boots.
parentPort!.postMessage({ ready: true } satisfies SearchMessage)

parentPort!.on('message', (job: SearchJob) => {
  let reply: SearchReply
  try {
    const lines = job.kind === 'v1'
      ? job.specs.map((spec, i) => resultLines(db, job.publisher, spec, i, limits))
      : [legacyResultLines(db, job.publisher, job.token, limits)]
    reply = { id: job.id, lines }
  } catch (err) {
    const e = err as DepotError
    reply = { id: job.id, error: err instanceof DepotError ? { status: e.status, message: e.message, code: e.code } : { status: 500, message: 'search failed', code: 'ERR_SEARCH' } }
  }
  parentPort!.postMessage(reply)
})
