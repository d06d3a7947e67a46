/**
 * Replays read.jsonl and errors.jsonl, recorded from pkg.depotd, against
 * ips-depot serving the imported golden repository, and compares status,
 * the headers clients and caches act on, and bodies byte for byte.
 *
 * Where ips-depot differs on purpose (README, "Differences from
 * pkg.depotd"), the test asserts our behaviour instead, by name.
 */
import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { decompress as zstdDecompress } from 'zstd-napi'
import { startDepot } from '../helpers/depot.js'
import { type Exchange, exchanges, replayHeaders, responseBody } from '../helpers/golden.js'
import { errorMessage, request, type RawResponse } from '../helpers/http.js'

const depot = await startDepot()
t.teardown(() => depot.close())

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

/** Headers compared on successful responses (Expires, Date and Server are volatile). */
const COMPARED = ['content-type', 'cache-control', 'last-modified', 'accept-ranges', 'content-range', 'x-catalog-type', 'x-ipkg-attr-0', 'x-ipkg-attr-1']

/** status/0 is the recorded document, but for the request counters of this process. */
function checkStatus (tt: Test, x: Exchange, res: RawResponse): void {
  tt.equal(res.status, 200)
  compareHeaders(tt, x, res)
  const mine = JSON.parse(res.body.toString()) as { repository: { requests: unknown } }
  const golden = JSON.parse(responseBody(x).toString()) as { repository: { requests: unknown } }
  tt.type(mine.repository.requests, 'object')
  mine.repository.requests = golden.repository.requests = null
  tt.same(mine, golden, 'same configuration and publisher state')
}

const PUBLICATION_OPS = /^\/(?:[^/]+\/)?(open|append|close|abandon|add|admin|index)\b/

type Check = (t: Test, x: Exchange, res: RawResponse) => void | Promise<void>

function compareHeaders (tt: Test, x: Exchange, res: RawResponse, skip: readonly string[] = []): void {
  const golden = Object.fromEntries(Object.entries(x.response.headers).map(([k, v]) => [k.toLowerCase(), v]))
  for (const h of COMPARED) {
    if (skip.includes(h) || golden[h] === undefined) continue
    tt.equal(res.headers[h], golden[h], `header ${h}`)
  }
  if (golden.expires !== undefined && !skip.includes('expires')) tt.match(res.headers.expires, / GMT$/, 'Expires is an HTTP date')
}

function sameAsRecorded (tt: Test, x: Exchange, res: RawResponse, skip: readonly string[] = []): void {
  tt.equal(res.status, x.response.status, 'status')
  if (x.response.status >= 400) {
    tt.equal(errorMessage(res.body), x.response.error_message ?? undefined, 'error message')
    tt.match(res.headers['content-type'], /^text\/html/, 'error page is XHTML')
    tt.notOk(res.headers['cache-control'], 'no Cache-Control on errors')
    return
  }
  compareHeaders(tt, x, res, skip)
  if (x.request.method !== 'HEAD' && !skip.includes('body')) {
    tt.equal(sha1(res.body), x.response.body_sha1, 'body is byte-identical')
    tt.equal(res.body.length, x.response.body_length, 'body length')
  }
  if (res.headers['content-length'] !== undefined && x.response.headers['Content-Length'] !== undefined && !skip.includes('body')) {
    tt.equal(res.headers['content-length'], x.response.headers['Content-Length'], 'Content-Length')
  }
}

function byteranges (body: Buffer): string[] {
  return body.toString('latin1').split(/--[^\r\n]+\r?\n/).filter(p => /content-range/i.test(p))
    .map(p => { const [head, data] = p.split(/\r?\n\r?\n/); return `${/content-range: *([^\r\n]+)/i.exec(head!)![1]}|${data!.replace(/\r?\n$/, '')}` })
}

/** versions/0 lists what ips-depot implements, under its own server name. */
async function checkVersions (tt: Test, x: Exchange, res: RawResponse): Promise<void> {
  tt.equal(res.status, 200)
  const body = x.request.method === 'HEAD' ? (await request(depot.port, 'GET', x.request.path)).body : res.body
  const lines = body.toString().split('\n')
  tt.match(lines[0], /^pkg-server ips-depot-/)
  tt.same(lines.slice(1), ['catalog 0 1', 'file 0 1 2', 'info 0', 'manifest 0 1', 'p5i 0', 'publisher 0 1', 'search 0 1', 'status 0', 'versions 0', ''], 'lists exactly the implemented operations')
  tt.equal(res.headers['content-length'], String(body.length))
  compareHeaders(tt, x, res)
}

/** Deliberate differences, by exchange name: what ips-depot does instead. */
const DIFFERENT: Record<string, Check> = {
  'status/0 (no trailing slash)': checkStatus,
  'status/0/': checkStatus,
  'status/0 /test/ prefix': checkStatus,
  'misc GET /robots.txt': (tt, x, res) => {
    tt.equal(res.status, 200)
    tt.equal(res.body.toString(), responseBody(x).toString(), 'same robots.txt')
  },
  'catalog/1 client headers (Accept-Encoding, no-cache)': (tt, x, res) => {
    tt.equal(res.status, 200)
    tt.equal(res.headers['content-encoding'], 'zstd', 'text is sent compressed when the client accepts it')
    tt.equal(sha1(zstdDecompress(res.body)), x.response.body_sha1, 'decoded body is byte-identical')
  },
  'misc GET / (BUI redirect)': (tt, _x, res) => {
    tt.equal(res.status, 200, 'the overview page itself, not a redirect to /en/index.shtml')
    tt.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
    for (const pub of ['test', 'example.org']) tt.match(res.body.toString(), `<a href="/${pub}/packages">${pub}</a>`, `lists ${pub}`)
  },
  'catalog/1 POST on read-only': (tt, _x, res) => {
    tt.equal(res.status, 405, 'a read operation refuses POST with 405 and says which methods it takes')
    tt.equal(errorMessage(res.body), 'POST is not allowed')
    tt.equal(res.headers.allow, 'GET, HEAD')
  },
  // test/web/feed.test.ts compares the entries; /feed lists every publisher, not only the default one.
  'misc GET /feed': (tt, _x, res) => { tt.equal(res.status, 200); tt.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8') },
  'misc GET /example.org/feed': (tt, _x, res) => { tt.equal(res.status, 200); tt.equal(res.headers['content-type'], 'application/atom+xml; charset=utf-8'); tt.match(res.body.toString(), /<entry>/) },
  'catalog/1 If-Modified-Since later date': (tt, _x, res) => { tt.equal(res.status, 304, 'RFC 9110: not modified since a later date') },
  'catalog/1 Range two ranges -> 206 multipart': (tt, x, res) => {
    tt.equal(res.status, 206)
    tt.match(res.headers['content-type'], /^multipart\/byteranges; boundary=/)
    tt.same(byteranges(res.body), byteranges(responseBody(x)), 'same parts')
  }
}

for (const file of ['read.jsonl', 'errors.jsonl']) {
  for (const x of exchanges(file)) {
    await t.test(`${file}: ${x.name}`, async tt => {
      const res = await request(depot.port, x.request.method, x.request.path, replayHeaders(x),
        x.request.body_text !== undefined ? x.request.body_text : x.request.body_base64 !== undefined ? Buffer.from(x.request.body_base64, 'base64') : undefined)
      const special = DIFFERENT[x.name]
      if (special) return special(tt, x, res)
      const p = x.request.path
      if (/^\/versions\/0\/?$/.test(p)) return checkVersions(tt, x, res)
      if (x.depot_mode === 'readwrite' && PUBLICATION_OPS.test(p) && !p.startsWith('/versions/')) {
        tt.equal(res.status, 404, 'a depot without an issuer is read-only')
        tt.equal(errorMessage(res.body), 'Operation not supported in current server mode.')
        return
      }
      if (x.reference_quirk !== undefined) return quirk(tt, x, res)
      const catalogFile = /\/catalog\/1\/(catalog\.attrs|update\.)/.test(p) && x.response.status < 400
      if (catalogFile) tt.equal(res.headers['cache-control'], 'no-cache, no-transform', 'catalog.attrs and update logs are always revalidated')
      sameAsRecorded(tt, x, res, catalogFile ? ['cache-control', 'expires'] : [])
    })
  }
}

/** pkg.depotd bugs the recordings flag: ips-depot does what the flag says a depot should. */
function quirk (tt: Test, x: Exchange, res: RawResponse): void {
  const p = x.request.path
  if (/\/catalog\/0\/$/.test(p)) {
    sameAsRecorded(tt, x, res, ['last-modified'])
    tt.match(res.headers['last-modified'], /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/, 'Last-Modified is an HTTP date')
  } else if (/\/publisher\/1\/$/.test(p)) {
    tt.equal(res.status, 200, 'publisher/1 answers like publisher/0')
    const pubs = (JSON.parse(res.body.toString()) as { publishers: Array<{ name: string }> }).publishers.map(q => q.name)
    const prefix = /^\/([^/]+)\/publisher/.exec(p)?.[1]
    tt.same(pubs, prefix ? [prefix] : ['test', 'example.org'])
  } else if (p.includes('..')) {
    tt.equal(res.status, 404, 'no path traversal out of the catalog')
    tt.notMatch(res.body.toString(), /\[publisher\]|"publishers"/)
  } else if (x.request.method === 'POST' && /^\/(file|manifest)\/1\//.test(p)) {
    tt.equal(res.status, 404)
    tt.equal(errorMessage(res.body), 'Operation not supported in current server mode.')
  } else if (x.response.status === 200 && x.request.method !== 'GET') {
    tt.equal(res.status, 405, `${x.request.method} is refused on a read operation`)
    tt.match(res.headers.allow, /GET/)
  } else if (x.request.method === 'POST') {
    tt.equal(res.status, 405, 'POST to a read operation')
  } else if (/\/(info|p5i)\/0\//.test(p)) {
    tt.equal(res.status, x.response.status, 'status')
    tt.equal(errorMessage(res.body), x.response.error_message, 'error message')
    tt.match(res.headers['content-type'], /^text\/html/, 'errors are XHTML, not the success content type')
  } else {
    tt.fail(`no expectation for quirk: ${x.reference_quirk}`)
  }
}
