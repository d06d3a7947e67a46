/**
 * A transaction belongs to the token subject that opened it: another
 * subject with publish on the same publisher can neither add to it, upload
 * into it, close nor abandon it; the admin role may abandon it.
 */
import t from 'tap'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { errorMessage, request } from '../helpers/http.js'

const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]] })
const alice = await token({ sub: 'alice', depot_publishers: ['test'] })
const mallory = await token({ sub: 'mallory', depot_publishers: ['test'] })
const admin = await token({ sub: 'root', depot_publishers: [], realm_access: { roles: ['depot-admin'] } })
const auth = (tok: string): Record<string, string> => ({ Authorization: `Bearer ${tok}`, 'Client-Release': '5.11' })

async function openAs (tok: string, stem: string): Promise<string> {
  const res = await request(depot.port, 'GET', `/open/0/pkg:%2F%2Ftest%2F${stem}%401.0`, auth(tok))
  if (res.status !== 200) throw new Error(`open answered ${res.status}`)
  return String(res.headers['transaction-id'])
}
const manifestOf = (id: string): unknown => depot.repo.db.prepare('SELECT manifest FROM pub_transaction WHERE id = ?').pluck().get(decodeURIComponent(id).replace(/[^A-Za-z0-9_.~-]/g, c => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`))

t.test('another subject cannot use the transaction', async t => {
  const id = await openAs(alice, 'owned')
  const before = manifestOf(id)
  t.not(before, undefined, 'the transaction is stored')
  const attempts: Array<[string, string, string | undefined, Record<string, string>]> = [
    ['POST', `/add/0/${id}/set`, '', { 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=mallory was here' }],
    ['POST', `/manifest/1/${id}`, 'set name=pkg.summary value=mallory\n', {}],
    ['POST', `/file/1/${id}`, 'payload', {}],
    ['GET', `/close/0/${id}`, undefined, {}],
    ['GET', `/abandon/0/${id}`, undefined, {}]
  ]
  for (const [method, target, body, headers] of attempts) {
    const res = await request(depot.port, method, target, { ...auth(mallory), ...headers }, body)
    t.equal(res.status, 400, `${method} ${target.split('/')[1]}: refused`)
    t.match(errorMessage(res.body), /opened by another token subject/, 'and told why')
  }
  t.equal(manifestOf(id), before, 'the transaction is unchanged')
  t.equal(depot.repo.db.prepare('SELECT COUNT(*) FROM package').pluck().get(), 0, 'nothing was published')
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth(alice))
  t.equal(closed.status, 200, 'the owner still closes it')
})

t.test('the admin role may abandon anyone\'s transaction, not close it', async t => {
  const id = await openAs(alice, 'stuck')
  t.equal((await request(depot.port, 'GET', `/close/0/${id}`, auth(admin))).status, 400, 'an admin cannot publish in alice\'s name')
  t.equal((await request(depot.port, 'GET', `/abandon/0/${id}`, auth(admin))).status, 200, 'but can clear it')
  t.equal(manifestOf(id), undefined, 'gone')
})
