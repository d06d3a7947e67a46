/**
 * Search answers through a rebuild: on a catalog large enough that
 * rebuilding its catalog and index takes seconds, searches sent while the
 * rebuild job runs all answer 200 with exactly the lines they answered
 * before it (pkg.depotd answers 503 while its index is rebuilt).
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { generateCorpus } from '../../bench/corpus.js'
import { tempDir } from '../helpers/depot.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { request } from '../helpers/http.js'

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
