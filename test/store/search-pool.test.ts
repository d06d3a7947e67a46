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
import { allLines, SearchPool, type SearchPoolOptions } from '../../src/store/search-pool.js'
import { GOLDEN, startDepot, tempDir } from '../helpers/depot.js'
import { clientAt } from '../helpers/http.js'

const data = tempDir()
const repo = new Repository(data)
await importRepository(repo, path.join(GOLDEN, 'repo'))
t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
const db = path.join(data, 'depot.sqlite')
const opts = (o: Partial<SearchPoolOptions>): SearchPoolOptions => ({ maxWork: 100000, timeBudgetMs: 10000, maxWaitMs: 10000, perClient: 1, perClientQueue: 32, ...o })
const ask = async (pool: SearchPool, query: string, client = 'a'): Promise<string[]> => await allLines(pool.search(client, 'test', [parseQueryString(query)]))

t.test('results come back from the worker', async t => {
  const pool = new SearchPool(db, opts({}))
  t.teardown(() => pool.close())
  // Workers are started first, as serve does: on a loaded machine their start alone can outlast a wait budget.
  await pool.warm()
  const lines = await ask(pool, 'False_1_None_None_hello')
  t.equal(lines.length, 7)
  t.match(lines[0], /^0 1 pkg:\/example\/hello@/)
  t.same(await allLines(pool.legacy('a', 'test', 'nosuchtoken')), [])
})

t.test('a query over its time budget is stopped, and the next one still runs', async t => {
  const pool = new SearchPool(db, opts({ timeBudgetMs: 1 }))
  t.teardown(() => pool.close())
  await pool.warm()
  await t.rejects(ask(pool, 'False_2_None_None_*'), { message: /took too long/ })
  t.equal(pool.refusals.too_long, 1, 'counted by reason')
  const ok = new SearchPool(db, opts({}))
  t.teardown(() => ok.close())
  await ok.warm()
  t.ok((await ask(ok, 'False_2_None_None_*')).length > 100)
})

t.test('a query that needs more work than its budget is refused 422, before any line', async t => {
  const pool = new SearchPool(db, opts({ maxWork: 1000 }))
  t.teardown(() => pool.close())
  await pool.warm()
  await t.rejects(ask(pool, 'False_2_None_None_*'), { status: 422, message: /too broad.*search\.max_work/ })
  t.equal(pool.refusals.too_broad, 1)
  t.equal((await ask(pool, 'False_2_None_None_hello')).length > 0, true, 'a narrow query still answers')
  const ors = await ask(new SearchPool(db, opts({ maxWork: 100000 })), `False_1_None_None_${Array(20).fill('*').join(' OR ')}`).catch((e: Error) => e)
  t.ok(Array.isArray(ors), 'twenty ORs of one term cost what one does (packages)')
})

t.test('a hundred concurrent clients are all answered, by every worker', async t => {
  const depot = await startDepot()
  t.teardown(() => depot.close())
  const queries = ['hello', 'hel*', 'example/hello', ':set:pkg.summary:*hello*', 'hello AND example', '<hello>']
  // A hundred clients: a hundred addresses (the depot serves each one's searches in turn).
  const answers = await Promise.all(Array.from({ length: 100 }, async (_, i) =>
    await clientAt(`127.0.0.${i + 2}`)(depot.port, 'GET', `/test/search/1/False_2_None_None_${encodeURIComponent(queries[i % queries.length]!)}`)))
  const statuses = answers.map(a => a.status)
  const refused = answers.filter(a => a.status >= 500).map(a => a.body.toString().match(/<p>([^<]*)<\/p>/)?.[1])
  t.same(refused, [], 'none refused')
  t.ok(statuses.every(s => s === 200 || s === 204), 'every search answered')
})

t.test('a query that waits past the wait budget is answered 503, not queued forever', async t => {
  const pool = new SearchPool(db, opts({ maxWork: 2_000_000, maxWaitMs: 1, workers: 1 }))
  t.teardown(() => pool.close())
  await pool.warm()
  const results = await Promise.allSettled(Array.from({ length: 6 }, async (_, i) => await ask(pool, 'False_2_None_None_*', `client${i}`)))
  t.equal(results[0]!.status, 'fulfilled', 'the first runs at once')
  const refused = results.filter(r => r.status === 'rejected')
  t.ok(refused.length > 0, `${refused.length} of 6 waited too long`)
  t.match((refused[0] as PromiseRejectedResult).reason, { status: 503, message: /waited more than 1 ms for a worker/ })
})

t.test('one client\'s queries wait behind each other, not in front of another client\'s', async t => {
  const pool = new SearchPool(db, opts({ maxWork: 2_000_000, workers: 1 }))
  t.teardown(() => pool.close())
  await pool.warm()
  const order: string[] = []
  const flood = Array.from({ length: 6 }, async (_, i) => { await ask(pool, 'False_2_None_None_*', 'flood'); order.push(`flood${i}`) })
  const other = (async () => { await ask(pool, 'False_2_None_None_hello', 'other'); order.push('other') })()
  await Promise.all([...flood, other])
  t.ok(order.indexOf('other') <= 1, `the other client's one query ran second at the latest: ${order.join(' ')}`)
})

t.test('a client with per_client_queue queries waiting is answered 429', async t => {
  const pool = new SearchPool(db, opts({ maxWork: 2_000_000, workers: 1, perClientQueue: 2 }))
  t.teardown(() => pool.close())
  await pool.warm()
  const results = await Promise.allSettled(Array.from({ length: 5 }, async () => await ask(pool, 'False_2_None_None_*', 'greedy')))
  const refused = results.filter(r => r.status === 'rejected').map(r => (r as PromiseRejectedResult).reason as { status: number, headers: Record<string, string> })
  t.equal(results.length - refused.length, 3, 'one active and two waiting are answered')
  t.ok(refused.every(e => e.status === 429 && e.headers['Retry-After'] === '1'), '429 with Retry-After')
  t.equal(pool.refusals.client_queue, 2)
  t.same(await ask(pool, 'False_2_None_None_nosuchtoken', 'greedy'), [], 'and the client is served again once its queue drains')
})

t.test('a search whose client went away while it waited leaves the queue and never runs', async t => {
  const pool = new SearchPool(db, opts({ maxWork: 2_000_000, workers: 1 }))
  t.teardown(() => pool.close())
  await pool.warm()
  const running = ask(pool, 'False_2_None_None_*', 'a')
  const gone = pool.search('b', 'test', [parseQueryString('False_2_None_None_*')])[Symbol.asyncIterator]()
  const answer = gone.next()
  t.equal(pool.waiting, 1, 'queued behind the running one')
  await gone.return!()
  t.equal(pool.waiting, 0, 'it left the queue when its client went away')
  await t.rejects(answer, { message: /went away/ }, 'and its answer is never made')
  t.ok((await running).length > 100, 'the running one is answered')
})
