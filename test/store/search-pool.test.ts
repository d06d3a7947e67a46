/**
 * Searches run in workers with a wall-clock budget: an over-long query is
 * stopped with a 503 and the next one is served by a fresh worker. Under
 * load every client is answered, unless one waited past the wait budget.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parseQueryString } from '../../src/ips/search-query.js'
import { importRepository } from '../../src/store/import.js'
import { Repository } from '../../src/store/repository.js'
import { SearchPool } from '../../src/store/search-pool.js'
import { GOLDEN, startDepot, tempDir } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

const data = tempDir()
const repo = new Repository(data)
await importRepository(repo, path.join(GOLDEN, 'repo'))
t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
const db = path.join(data, 'depot.sqlite')

t.test('results come back from the worker', async t => {
  const pool = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 10000, maxWaitMs: 10000 })
  t.teardown(() => pool.close())
  // Workers are started first, as serve does: on a loaded machine their start alone can outlast a wait budget.
  await pool.warm()
  const [lines] = await pool.search('test', [parseQueryString('False_1_None_None_hello')])
  t.equal(lines!.length, 7)
  t.match(lines![0], /^0 1 pkg:\/example\/hello@/)
  t.same((await pool.legacy('test', 'nosuchtoken')), [])
})

t.test('a query over its time budget is stopped, and the next one still runs', async t => {
  const pool = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 1, maxWaitMs: 10000 })
  t.teardown(() => pool.close())
  await pool.warm()
  await t.rejects(pool.search('test', [parseQueryString('False_2_None_None_*')]), { message: /took too long/ })
  const ok = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 10000, maxWaitMs: 10000 })
  t.teardown(() => ok.close())
  await ok.warm()
  const [lines] = await ok.search('test', [parseQueryString('False_2_None_None_*')])
  t.ok(lines!.length > 100)
})

t.test('a query that touches too many index rows is refused', async t => {
  const pool = new SearchPool(db, { maxRows: 10, timeBudgetMs: 10000, maxWaitMs: 10000 })
  t.teardown(() => pool.close())
  await pool.warm()
  await t.rejects(pool.search('test', [parseQueryString('False_2_None_None_*')]), { status: 503, message: /too expensive/ })
})

t.test('a hundred concurrent clients are all answered, by every worker', async t => {
  const depot = await startDepot()
  t.teardown(() => depot.close())
  const queries = ['hello', 'hel*', 'example/hello', ':set:pkg.summary:*hello*', 'hello AND example', '<hello>']
  const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) =>
    await request(depot.port, 'GET', `/test/search/1/False_2_None_None_${encodeURIComponent(queries[i % queries.length]!)}`)))
  const statuses = answers.map(a => a.status)
  const refused = answers.filter(a => a.status >= 500).map(a => a.body.toString().match(/<p>([^<]*)<\/p>/)?.[1])
  t.same(refused, [], 'none refused')
  t.ok(statuses.every(s => s === 200 || s === 204), 'every search answered')
})

t.test('a query that waits past the wait budget is answered 503, not queued forever', async t => {
  const pool = new SearchPool(db, { maxRows: 2_000_000, timeBudgetMs: 10000, maxWaitMs: 1, workers: 1 })
  t.teardown(() => pool.close())
  await pool.warm()
  const results = await Promise.allSettled(Array.from({ length: 6 }, async () => await pool.search('test', [parseQueryString('False_2_None_None_*')])))
  t.equal(results[0]!.status, 'fulfilled', 'the first runs at once')
  const refused = results.filter(r => r.status === 'rejected')
  t.ok(refused.length > 0, `${refused.length} of 6 waited too long`)
  t.match((refused[0] as PromiseRejectedResult).reason, { status: 503, message: /waited more than 1 ms for a worker/ })
})
