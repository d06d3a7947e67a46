/**
 * Runs searches off the main thread, on its own read-only connection, so a
 * pathological query can be stopped (the worker is ended) without stalling
 * anything else the depot is serving. Result lines go back in batches as
 * they are printed, so the first ones reach the client before the last
 * ones are read.
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { QuerySpec } from '../ips/search-query.js'
import { DepotError } from '../errors.js'
import { openDatabase } from './db.js'
import { legacyResultLines, resultLines, type SearchLimits } from './search-engine.js'

export type SearchJob =
  | { id: number, kind: 'v1', publisher: string, specs: QuerySpec[] }
  | { id: number, kind: 'v0', publisher: string, token: string }

export type SearchReply =
  | { id: number, lines: string[] }
  | { id: number, done: true }
  | { id: number, error: { status: number, message: string, code: string, headers: Record<string, string> } }
export type SearchMessage = SearchReply | { ready: true }

const { dbFile, limits } = workerData as { dbFile: string, limits: SearchLimits }
const db = openDatabase(dbFile, { readonly: true })

// A query's time budget starts when it reaches a worker that is ready, not while one boots.
parentPort!.postMessage({ ready: true } satisfies SearchMessage)

function * batches (job: SearchJob): Generator<string[]> {
  if (job.kind === 'v0') { yield * legacyResultLines(db, job.publisher, job.token, limits); return }
  for (const [i, spec] of job.specs.entries()) yield * resultLines(db, job.publisher, spec, i, limits)
}

parentPort!.on('message', (job: SearchJob) => {
  try {
    for (const lines of batches(job)) parentPort!.postMessage({ id: job.id, lines } satisfies SearchReply)
    parentPort!.postMessage({ id: job.id, done: true } satisfies SearchReply)
  } catch (err) {
    const e = err as DepotError
    const error = err instanceof DepotError
      ? { status: e.status, message: e.message, code: e.code, headers: e.headers }
      : { status: 500, message: 'search failed', code: 'ERR_SEARCH', headers: {} }
    parentPort!.postMessage({ id: job.id, error } satisfies SearchReply)
  }
})
