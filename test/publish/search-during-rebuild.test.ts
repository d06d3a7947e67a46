/**
 * Search answers through a rebuild: on a catalog large enough that
 * rebuilding its catalog and index takes seconds, searches sent while the
 * rebuild job runs all answer 200 with exactly the lines they answered
 * before it (pkg.depotd answers 503 while its index is rebuilt). And
 * admin/0's queue: one job at a time, ten at most queued or running.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { generateCorpus } from '../../bench/corpus.js'
import { tempDir } from '../helpers/depot.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { errorMessage, request } from '../helpers/http.js'

const corpus = tempDir('ips-depot-corpus-')
t.teardown(() => { fs.rmSync(corpus, { recursive: true, force: true }) })
const summary = generateCorpus(path.join(corpus, 'repo'), 'bench', 'custom', 7, { stems: 1500, minVersions: 2, maxVersions: 4, payloads: false, maxFiles: 30, maxPayloadBytes: 0 })
const { depot, token: sign } = await startPublishingDepot(t, { source: path.join(corpus, 'repo') })
const token = await sign({ depot_publishers: ['bench'] })

const queries = ['component-42', 'component-1*', ':dir:basename:*component-42', 'component-42 OR component-43', '<component-7>']
const search = async (q: string): Promise<{ status: number, body: string }> => {
  const res = await request(depot.port, 'GET', `/bench/search/1/False_2_None_None_${encodeURIComponent(q)}`)
  return { status: res.status, body: res.body.toString() }
}

t.test(`searches during a rebuild of ${summary.versions} versions`, async t => {
  const expected = new Map<string, string>()
  for (const q of queries) {
    const r = await search(q)
    t.equal(r.status, 200, `${q}: has results before the rebuild`)
    expected.set(q, r.body)
  }
  const started = await request(depot.port, 'POST', '/api/v1/publishers/bench/rebuild', { Authorization: `Bearer ${token}` })
  t.equal(started.status, 202, 'rebuild of the catalog and the index')
  const { id } = JSON.parse(started.body.toString()) as { id: string }
  const state = async (): Promise<string> => (JSON.parse((await request(depot.port, 'GET', `/api/v1/jobs/${id}`)).body.toString()) as { state: string }).state
  let during = 0
  const wrong: string[] = []
  for (let i = 0; ; i++) {
    const before = await state()
    if (before === 'done' || before === 'failed') break
    const q = queries[i % queries.length]!
    const r = await search(q)
    // Counted only when the job was still running after the answer: the search overlapped the rebuild.
    if (await state() === 'running') during++
    if (r.status !== 200 || r.body !== expected.get(q)) wrong.push(`${q}: ${r.status}`)
  }
  t.equal(await state(), 'done', 'the rebuild finished')
  t.ok(during >= 5, `${during} searches overlapped the rebuild`)
  t.same(wrong, [], 'every one answered 200 with the same lines')
})

t.test('admin/0 queues ten jobs at most: the eleventh is refused with 503 and Retry-After', async t => {
  const admin = (cmd: string): ReturnType<typeof request> => request(depot.port, 'GET', `/bench/admin/0?cmd=${cmd}`, { Authorization: `Bearer ${token}` })
  const jobs = depot.app.depot.jobs
  const submitted = jobs.submitted
  // A rebuild that takes seconds, and cheap refreshes queued behind it.
  t.equal((await admin('rebuild')).status, 200, 'the rebuild is accepted')
  for (let i = 0; i < 9; i++) t.equal((await admin('refresh')).status, 200, `refresh ${i + 1} is queued behind it`)
  const refused = await admin('refresh')
  t.equal(refused.status, 503, 'the eleventh')
  t.equal(refused.headers['retry-after'], '5')
  t.equal(errorMessage(refused.body), 'Another operation is already in progress; try again later.')
  t.equal(jobs.submitted - submitted, 10, 'the refused one was not queued')
  await jobs.idle()
  t.equal((await admin('refresh')).status, 200, 'once the queue drains, jobs are accepted again')
  await jobs.idle()
})
