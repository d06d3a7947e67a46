/**
 * /healthz, /readyz and /readyz/write over a socket: what a load balancer
 * or an orchestrator asks, and what it is told when something is wrong.
 * Anonymous probes cost the depot nothing: a held write lock is reported,
 * never waited for, and an answer stands for a second.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request, until } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const json = (body: Buffer): { status: string, checks: Record<string, string> } => JSON.parse(body.toString()) as never

t.test('a read-only depot: alive, ready for reads, and says why it takes no writes', async t => {
  const depot = await startDepot()
  t.teardown(() => depot.close())
  const alive = await request(depot.port, 'GET', '/healthz')
  t.equal(alive.status, 200)
  t.same(JSON.parse(alive.body.toString()), { status: 'alive' })
  t.equal(alive.headers['cache-control'], 'no-store')
  const ready = await request(depot.port, 'GET', '/readyz')
  t.equal(ready.status, 200)
  t.same(json(ready.body), { status: 'ready', checks: { database: 'ok', 'catalog:test': 'ok', 'catalog:example.org': 'ok', payloads: 'ok' } })
  const writes = await request(depot.port, 'GET', '/readyz/write')
  t.equal(writes.status, 503)
  t.match(json(writes.body).checks, { publishing: /^off: no \[auth\] section/, database: 'ok', payloads: 'ok' })
})

t.test('write readiness follows the issuer and the database lock; read readiness the payload store', async t => {
  const { depot, issuer } = await startPublishingDepot(t, { publishers: [['test', true]] })
  const writes = async (): Promise<{ status: number, checks: Record<string, string> }> => {
    const res = await request(depot.port, 'GET', '/readyz/write')
    return { status: res.status, checks: json(res.body).checks }
  }
  t.same(await writes(), { status: 200, checks: { database: 'ok', payloads: 'ok', [`issuer:${issuer.url}`]: 'ok' } }, 'issuer reachable: ready for writes')

  const { default: Database } = await import('better-sqlite3')
  const other = new Database(`${depot.dataDir}/depot.sqlite`)
  t.teardown(() => { if (other.open) other.close() })
  // Answers stand for a second: the next probe after that sees the lock.
  await new Promise(resolve => setTimeout(resolve, 1100))
  other.exec('BEGIN IMMEDIATE')
  const started = performance.now()
  const probes = await Promise.all(Array.from({ length: 20 }, async () => await request(depot.port, 'GET', '/readyz/write')))
  const read = await request(depot.port, 'GET', '/versions/0/')
  const took = performance.now() - started
  t.equal(read.status, 200)
  t.ok(took < 1000, `twenty probes and a read while another connection holds the write lock took ${took.toFixed(0)} ms: no probe waits for the lock`)
  const locked = { status: probes[0]!.status, checks: json(probes[0]!.body).checks }
  t.equal(locked.status, 503, 'another writer holds the database')
  t.match(locked.checks.database, /busy: another connection holds the write lock/)
  t.ok(probes.every(p => p.body.equals(probes[0]!.body)), 'the twenty probes got one answer')
  other.exec('ROLLBACK')
  other.close()
  await until('ready again once it lets go (within a second)', async () => (await writes()).status === 200, 5)

  await issuer.close()
  const strict = await startPublishingDepot(t, { publishers: [['test', true]] })
  await strict.issuer.close()
  const down = await request(strict.depot.port, 'GET', '/readyz/write')
  t.equal(down.status, 503, 'an issuer whose keys cannot be had: not ready for writes')
  t.match(json(down.body).checks[`issuer:${strict.issuer.url}`], /unreachable/)
  t.equal((await request(strict.depot.port, 'GET', '/readyz')).status, 200, 'reads are ready all the same')

  // A payload store gone (an unmounted volume): not ready for reads.
  const root = path.join(strict.depot.dataDir, 'file')
  fs.renameSync(root, `${root}.away`)
  t.teardown(() => { if (fs.existsSync(`${root}.away`)) fs.renameSync(`${root}.away`, root) })
  // The answer of a second ago still stands; the next one sees the store gone.
  await new Promise(resolve => setTimeout(resolve, 1100))
  const unreadable = await request(strict.depot.port, 'GET', '/readyz')
  t.equal(unreadable.status, 503, 'a payload store the depot cannot read')
  t.match(json(unreadable.body), { status: 'not ready', checks: { payloads: /ENOENT/, database: 'ok' } })
  fs.renameSync(`${root}.away`, root)
  await until('ready again once it is back (within a second)', async () => (await request(strict.depot.port, 'GET', '/readyz')).status === 200, 5)
})
