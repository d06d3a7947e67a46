/**
 * The admin requests pkgrepo and pkgsend send over HTTP (refresh, rebuild,
 * refresh-index), replayed from publish-pkgrepo-admin.jsonl with a token:
 * accepted at once as pkg.depotd accepts them, and search keeps answering
 * through every rebuild (pkg.depotd answers 503 after rebuild --no-index).
 */
import path from 'node:path'
import t from 'tap'
import { GOLDEN } from '../helpers/depot.js'
import { exchanges, replayHeaders } from '../helpers/golden.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { errorMessage, request } from '../helpers/http.js'

const { depot, token: sign } = await startPublishingDepot(t, { source: path.join(GOLDEN, 'repo') })
const token = await sign()
const attrsBefore = (await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')).body

for (const x of exchanges('publish-pkgrepo-admin.jsonl')) {
  const p = x.request.path
  if (!/\/(admin|index)\/0/.test(p) && !p.includes('/search/1/')) continue
  await t.test(`${x.trace ?? ''}: ${p}`, async t => {
    const res = await request(depot.port, x.request.method, p, { ...replayHeaders(x), Authorization: `Bearer ${token}` })
    await depot.app.depot.jobs.idle()
    if (p.includes('/search/1/')) {
      t.equal(res.status, 200, 'search answers during and after every rebuild')
      return
    }
    t.equal(res.status, x.response.status)
  })
}

t.test('rebuilding from the catalog of record changes no byte', async t => {
  await depot.app.depot.jobs.idle()
  t.same((await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')).body, attrsBefore, 'same created, same signatures: clients need no refresh')
})

t.test('admin/0 queues ten jobs at most: the eleventh is refused with 503 and Retry-After', async t => {
  const admin = (): ReturnType<typeof request> => request(depot.port, 'GET', '/test/admin/0?cmd=refresh', { Authorization: `Bearer ${token}` })
  const jobs = depot.app.depot.jobs
  await jobs.idle()
  // A job in the depot's own queue that runs until the test lets it finish: the queue is full for as long as the test needs.
  let finish!: () => void
  jobs.submit('held', 'test', async () => { await new Promise<void>(resolve => { finish = resolve }) })
  const submitted = jobs.submitted
  for (let i = 0; i < 9; i++) t.equal((await admin()).status, 200, `refresh ${i + 1} is queued behind the running job`)
  const refused = await admin()
  t.equal(refused.status, 503, 'the eleventh')
  t.equal(refused.headers['retry-after'], '5')
  t.equal(errorMessage(refused.body), 'Another operation is already in progress; try again later.')
  t.equal(jobs.submitted - submitted, 9, 'the refused one was not queued')
  finish()
  await jobs.idle()
  t.equal((await admin()).status, 200, 'once the queue drains, jobs are accepted again')
  await jobs.idle()
})
