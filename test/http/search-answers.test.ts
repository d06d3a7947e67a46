/**
 * Search answers as a client or a cache sees them: a repeated query is
 * answered 304 to its validator (no worker runs), a query too broad for
 * search.max_work gets a 422 that names the key, before any line is sent.
 */
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { errorMessage, request } from '../helpers/http.js'

const depot = await startDepot({ extraConfig: '[search]\nmax_work = 1000\n' })
t.teardown(() => depot.close())
const url = (q: string): string => `/test/search/1/False_2_None_None_${encodeURIComponent(q)}`

t.test('a repeated search is validated by its ETag', async t => {
  const first = await request(depot.port, 'GET', url('hello'))
  t.equal(first.status, 200)
  const etag = String(first.headers.etag)
  t.match(etag, /^"[A-Za-z0-9_-]+"$/)
  const again = await request(depot.port, 'GET', url('hello'), { 'If-None-Match': etag })
  t.equal(again.status, 304)
  t.equal(again.body.length, 0)
  const fromMemory = await request(depot.port, 'GET', url('hello'))
  t.same(fromMemory.body, first.body, 'the same lines from memory')
  t.equal(fromMemory.headers.etag, etag)
  const other = await request(depot.port, 'GET', url('hello AND example'), { 'If-None-Match': etag })
  t.equal(other.status, 200, 'another query has another validator')
  t.not(other.headers.etag, etag)
})

t.test('HEAD of a search answers as GET does, without the body', async t => {
  const get = await request(depot.port, 'GET', url('hello'))
  const head = await request(depot.port, 'HEAD', url('hello'))
  t.equal(head.status, 200)
  t.equal(head.body.length, 0)
  t.equal(head.headers.etag, get.headers.etag)
  t.equal(head.headers['content-type'], get.headers['content-type'])
  t.equal((await request(depot.port, 'HEAD', url('nosuchtokenanywhere'))).status, 204, 'no hits: 204')
  t.equal((await request(depot.port, 'HEAD', '/test/search/0/hello')).status, 200, 'search/0 too')
})

t.test('a query too broad for search.max_work is refused 422, naming the key', async t => {
  const res = await request(depot.port, 'GET', url('*'))
  t.equal(res.status, 422)
  t.match(errorMessage(res.body), /too broad.*search\.max_work/)
  t.equal(res.headers.etag, undefined, 'a refusal has no validator')
  const legacy = await request(depot.port, 'GET', '/test/search/0/*')
  t.equal(legacy.status, 422, 'search/0 too')
  t.equal((await request(depot.port, 'GET', url('hello'))).status, 200, 'a narrow query still answers')
})
