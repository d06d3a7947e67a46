/**
 * Liveness and readiness for load balancers and orchestrators:
 * /healthz (the process answers), /readyz (reads can be served: database,
 * sealed catalogs, payload store) and /readyz/write (publishing can work:
 * the database takes a write lock, each issuer's keys can be had). Each
 * answers 200 or 503 with the checks, and the reason of a failed one.
 *
 * They are anonymous, so none may cost the depot: the write lock is tried
 * without waiting (another writer holding it is the answer, not a reason
 * to block the thread that serves everyone), and each answer is worked out
 * at most once a second, however many probes ask.
 */
import type { FastifyInstance } from 'fastify'
import type { Db } from '../store/db.js'

/** How long an answer stands: probes come every few seconds; a flood of them gets the same answer. */
const ANSWER_MS = 1000

type Checks = Record<string, string>

async function check (name: string, checks: Checks, fn: () => unknown): Promise<void> {
  try {
    await fn()
    checks[name] = 'ok'
  } catch (err) {
    checks[name] = (err as Error).message
  }
}

/** Takes the write lock and gives it back at once, without waiting for another writer to let go of it. */
function tryWriteLock (db: Db): void {
  const wait = db.pragma('busy_timeout', { simple: true }) as number
  db.pragma('busy_timeout = 0')
  try {
    db.exec('BEGIN IMMEDIATE')
    db.exec('ROLLBACK')
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new Error('busy: another connection holds the write lock')
    throw err
  } finally {
    db.pragma(`busy_timeout = ${wait}`)
  }
}

/** One answer per ANSWER_MS: concurrent probes share the one being worked out. */
function memoized<T> (work: () => Promise<T>): () => Promise<T> {
  let last: { at: number, answer: Promise<T> } | null = null
  return async () => {
    const now = performance.now()
    if (last === null || now - last.at >= ANSWER_MS) last = { at: now, answer: work() }
    return await last.answer
  }
}

export async function healthRoutes (app: FastifyInstance): Promise<void> {
  const { repo } = app.depot
  const guard = app.authGuard
  const answer = (checks: Checks): { status: number, body: object } => {
    const ok = Object.values(checks).every(v => v === 'ok')
    return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'not ready', checks } }
  }
  const noStore = { 'cache-control': 'no-store' }

  app.get('/healthz', async (_req, reply) => await reply.headers(noStore).send({ status: 'alive' }))

  const readiness = memoized(async () => {
    const checks: Checks = {}
    await check('database', checks, () => repo.db.prepare('SELECT 1').get())
    for (const name of repo.publisherNames()) {
      await check(`catalog:${name}`, checks, async () => {
        if (await repo.catalogFile(name, 'catalog.attrs') === undefined) throw new Error('no sealed catalog.attrs')
      })
    }
    await check('payloads', checks, () => repo.payloads.check(false))
    return answer(checks)
  })
  app.get('/readyz', async (_req, reply) => {
    const { status, body } = await readiness()
    return await reply.code(status).headers(noStore).send(body)
  })

  const writeReadiness = memoized(async () => {
    const checks: Checks = {}
    if (guard === null) checks.publishing = 'off: no [auth] section, the depot is read-only'
    // The write lock, taken and given back at once: what a publish needs first.
    await check('database', checks, () => { tryWriteLock(repo.db) })
    await check('payloads', checks, () => repo.payloads.check(true))
    for (const s of await guard?.verifier.issuerStates() ?? []) checks[`issuer:${s.issuer}`] = s.ok ? 'ok' : s.reason ?? 'unavailable'
    return answer(checks)
  })
  app.get('/readyz/write', async (_req, reply) => {
    const { status, body } = await writeReadiness()
    return await reply.code(status).headers(noStore).send(body)
  })
}
