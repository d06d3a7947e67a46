/**
 * Liveness and readiness for load balancers and orchestrators:
 * /healthz (the process answers), /readyz (reads can be served: database,
 * sealed catalogs, payload store) and /readyz/write (publishing can work:
 * the database takes a write lock, each issuer's keys can be had). Each
 * answers 200 or 503 with the checks, and the reason of a failed one.
 */
import type { FastifyInstance } from 'fastify'

type Checks = Record<string, string>

async function check (name: string, checks: Checks, fn: () => unknown): Promise<void> {
  try {
    await fn()
    checks[name] = 'ok'
  } catch (err) {
    checks[name] = (err as Error).message
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

  app.get('/readyz', async (_req, reply) => {
    const checks: Checks = {}
    await check('database', checks, () => repo.db.prepare('SELECT 1').get())
    for (const name of repo.publisherNames()) {
      await check(`catalog:${name}`, checks, async () => {
        if (await repo.catalogFile(name, 'catalog.attrs') === undefined) throw new Error('no sealed catalog.attrs')
      })
    }
    await check('payloads', checks, () => repo.payloads.check(false))
    const { status, body } = answer(checks)
    return await reply.code(status).headers(noStore).send(body)
  })

  app.get('/readyz/write', async (_req, reply) => {
    const checks: Checks = {}
    if (guard === null) checks.publishing = 'off: no [auth] section, the depot is read-only'
    await check('database', checks, () => {
      // The write lock, taken and given back at once: what a publish needs first.
      repo.db.exec('BEGIN IMMEDIATE')
      repo.db.exec('ROLLBACK')
    })
    await check('payloads', checks, () => repo.payloads.check(true))
    for (const s of await guard?.verifier.issuerStates() ?? []) checks[`issuer:${s.issuer}`] = s.ok ? 'ok' : s.reason ?? 'unavailable'
    const { status, body } = answer(checks)
    return await reply.code(status).headers(noStore).send(body)
  })
}
