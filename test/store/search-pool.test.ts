/**
 * Searches run in a worker with a wall-clock budget: an over-long query is
 * stopped with a 503 and the next one is served by a fresh worker.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parseQueryString } from '../../src/ips/search-query.js'
import { importRepository } from '../../src/store/import.js'
import { Repository } from '../../src/store/repository.js'
import { SearchPool } from '../../src/store/search-pool.js'
import { GOLDEN, tempDir } from '../helpers/depot.js'

const data = tempDir()
const repo = new Repository(data)
await importRepository(repo, path.join(GOLDEN, 'repo'))
t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
const db = path.join(data, 'depot.sqlite')

t.test('results come back from the worker', async t => {
  const pool = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 10000 })
  t.teardown(() => pool.close())
  const [lines] = await pool.search('test', [parseQueryString('False_1_None_None_hello')])
  t.equal(lines!.length, 7)
  t.match(lines![0], /^0 1 pkg:\/example\/hello@/)
  t.same((await pool.legacy('test', 'nosuchtoken')), [])
})

t.test('a query over its time budget is stopped, and the next one still runs', async t => {
  const pool = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 1 })
  t.teardown(() => pool.close())
  await t.rejects(pool.search('test', [parseQueryString('False_2_None_None_*')]), { message: /took too long/ })
  const ok = new SearchPool(db, { maxRows: 100000, timeBudgetMs: 10000 })
  t.teardown(() => ok.close())
  const [lines] = await ok.search('test', [parseQueryString('False_2_None_None_*')])
  t.ok(lines!.length > 100)
})

t.test('a query that touches too many index rows is refused', async t => {
  const pool = new SearchPool(db, { maxRows: 10, timeBudgetMs: 10000 })
  t.teardown(() => pool.close())
  await t.rejects(pool.search('test', [parseQueryString('False_2_None_None_*')]), { status: 503, message: /too expensive/ })
})
