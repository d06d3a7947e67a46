/**
 * A glob without a literal prefix is matched against the search workers'
 * copy of the term dictionary: a token published after that copy was made
 * is found at once, and a removed package is not found through a token
 * that stays in the copy.
 */
import t from 'tap'
import { request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish } from '../helpers/rest-publish.js'

const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]] })
const bearer = await token({ scope: 'depot:publish depot:remove' })

let published = ''

async function packages (query: string): Promise<string[]> {
  const res = await request(depot.port, 'GET', `/test/search/1/False_1_None_None_${encodeURIComponent(query)}`)
  return res.body.toString('utf8').split('\n').filter(l => l.startsWith('0 1 '))
}

t.test('a token published after the first leading-wildcard search is found by the next one', async t => {
  t.equal((await restPublish(depot.url, bearer, 'test', 'set name=pkg.fmri value=dict/zero@1.0\nset name=pkg.summary value="plain words"\n')).status, 201)
  t.same(await packages('*zqxj*'), [], 'nothing yet (and every worker has read the dictionary)')
  t.same(await packages('*zqxj*'), [])
  const res = await restPublish(depot.url, bearer, 'test', 'set name=pkg.fmri value=dict/first@1.0\nset name=pkg.summary value="the abczqxjdef tool"\n')
  t.equal(res.status, 201)
  published = res.fmri!
  for (let i = 0; i < 4; i++) t.same(await packages('*zqxj*'), [`0 1 ${res.fmri!.replace('pkg://test/', 'pkg:/')}`], `search ${i + 1}, whichever worker answers`)
})

t.test('a removed package is not found through the token it leaves in the dictionary', async t => {
  const del = await fetch(`${depot.url}/api/v1/publishers/test/packages/${encodeURIComponent(published.replace('pkg://test/', ''))}`, { method: 'DELETE', headers: { authorization: `Bearer ${bearer}` } })
  t.equal(del.status, 200, await del.text())
  for (let i = 0; i < 4; i++) t.same(await packages('*zqxj*'), [])
})
