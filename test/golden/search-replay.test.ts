/**
 * Replays search.jsonl (search/0 and search/1 against pkg.depotd and the
 * golden repository) and compares statuses, messages and result sets;
 * result order is the reference index's and not part of the protocol.
 */
import t, { type Test } from 'tap'
import { startDepot } from '../helpers/depot.js'
import { type Exchange, exchanges, replayHeaders, responseBody } from '../helpers/golden.js'
import { errorMessage, request, type RawResponse } from '../helpers/http.js'

const depot = await startDepot()
t.teardown(() => depot.close())

const lines = (b: Buffer): string[] => b.toString('utf8').split('\n').filter(l => l !== '')
const sorted = (l: string[]): string[] => [...l].sort()
const all = exchanges('search.jsonl')

function send (x: Exchange, path = x.request.path): Promise<RawResponse> {
  const body = x.request.body_text
  return request(depot.port, x.request.method, path, replayHeaders(x), body)
}

function sameResults (tt: Test, x: Exchange, res: RawResponse): void {
  tt.equal(res.headers['content-type'], x.response.headers['Content-Type'])
  if (x.response.headers['Cache-Control']) tt.equal(res.headers['cache-control'], x.response.headers['Cache-Control'])
  tt.same(sorted(lines(res.body)), sorted(lines(responseBody(x))), 'same result lines')
}

/** A paged query returns as many lines as the reference, each one from the unpaged result. */
async function samePage (tt: Test, x: Exchange, res: RawResponse): Promise<void> {
  const unpaged = x.request.path.replace(/search\/1\/(True|False)_([12])_[^_]+_[^_]+_/, 'search/1/$1_$2_None_None_')
  const full = new Set(lines((await send(x, unpaged)).body))
  const mine = lines(res.body)
  tt.equal(mine.length, lines(responseBody(x)).length, 'as many lines as the reference')
  tt.ok(mine.slice(1).every(l => full.has(l)), 'every line belongs to the unpaged result')
  tt.equal(new Set(mine).size, mine.length, 'no line twice')
}

for (const x of all) {
  await t.test(x.name, async tt => {
    const res = await send(x)
    const golden = x.response
    if (golden.status === 503) {
      tt.equal(res.status, 200, 'the index is written with every package: search is never unavailable')
      if (x.request.path.includes('/search/1/')) tt.equal(lines(res.body)[0], 'Return from search v1')
      tt.ok(lines(res.body).length > 1, 'with results')
      return
    }
    if (x.name === 'search/1 GET unencoded query') {
      const encoded = all.find(e => e.request.path === '/test/search/1/False_2_None_None_%3A%3Apath%3A%2Fusr%2Fbin%2Fhello')!
      tt.equal(res.status, 200, 'the whole path is the query, not only its first segment')
      tt.same(sorted(lines(res.body)), sorted(lines(responseBody(encoded))))
      return
    }
    if (x.name === 'search/0 GET no token') {
      tt.equal(res.status, 400, 'a missing token is a bad request, not a 500')
      tt.match(errorMessage(res.body), /search token/)
      return
    }
    tt.equal(res.status, golden.status, 'status')
    if (golden.status >= 400) {
      const mine = errorMessage(res.body) ?? ''
      const want = golden.error_message ?? ''
      if (golden.status === 400 && want.startsWith('Could not parse query.')) tt.equal(mine.split('\n')[0], 'Could not parse query.')
      else tt.equal(mine.replace(/\s+/g, ' '), want.replace(/\s+/g, ' '), 'error message')
      return
    }
    if (golden.status === 204) { tt.equal(res.body.length, 0); return }
    if (/search\/1\/(True|False)_[12]_([0-9]+_|None_[0-9]+)/.test(x.request.path)) return samePage(tt, x, res)
    sameResults(tt, x, res)
  })
}
