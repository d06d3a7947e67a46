/**
 * HTTP behaviour beyond what pkg.depotd recorded: content encodings,
 * validators, ranges, and hostile paths, over a real socket.
 */
import { createHash } from 'node:crypto'
import zlib from 'node:zlib'
import t from 'tap'
import { decompress as zstdDecompress } from 'zstd-napi'
import { startDepot } from '../helpers/depot.js'
import { errorMessage, request } from '../helpers/http.js'

const depot = await startDepot()
t.teardown(() => depot.close())
const get = (target: string, headers: Record<string, string> = {}, method = 'GET') => request(depot.port, method, target, headers)
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

const PART = '/test/catalog/1/catalog.summary.C'
const MANIFEST = '/test/manifest/0/example%2Fhello@1.0%2C5.11-0.1%3A20261123T001653Z'
const PAYLOAD = '/test/file/1/c3f55f1297c7945a8f0149c86eb5e307f633916a'

t.test('text is encoded as the client accepts, and decodes to the same bytes', async t => {
  const plain = await get(PART)
  t.equal(plain.headers['content-encoding'], undefined)
  t.equal(plain.headers.vary, 'Accept-Encoding')
  const z = await get(PART, { 'Accept-Encoding': 'deflate, gzip, br, zstd' })
  t.equal(z.headers['content-encoding'], 'zstd')
  t.same(zstdDecompress(z.body), plain.body)
  t.ok(z.body.length < plain.body.length / 2, `compressed ${plain.body.length} -> ${z.body.length}`)
  const g = await get(MANIFEST, { 'Accept-Encoding': 'zstd;q=0, gzip' })
  t.equal(g.headers['content-encoding'], 'gzip')
  t.same(zlib.gunzipSync(g.body), (await get(MANIFEST)).body)
  t.not(g.headers.etag, plain.headers.etag, 'each encoding has its own ETag')
})

t.test('payloads are never encoded: the client hashes the stored gzip bytes', async t => {
  const res = await get(PAYLOAD, { 'Accept-Encoding': 'gzip, zstd' })
  t.equal(res.status, 200)
  t.equal(res.headers['content-encoding'], undefined)
  t.equal(res.headers['content-type'], 'application/data')
  t.equal(sha1(res.body), 'a66c521c92d2c562101f5977493277f506f1b086', 'body SHA-1 is the chash')
  t.equal(res.headers.etag, '"a66c521c92d2c562101f5977493277f506f1b086"')
})

t.test('validators: ETag and Last-Modified give 304', async t => {
  for (const target of [PART, MANIFEST, PAYLOAD, '/test/catalog/1/catalog.attrs']) {
    const first = await get(target)
    const byTag = await get(target, { 'If-None-Match': first.headers.etag! })
    t.equal(byTag.status, 304, `${target} If-None-Match`)
    t.equal(byTag.body.length, 0)
    t.equal(byTag.headers.etag, first.headers.etag)
    t.equal((await get(target, { 'If-None-Match': '"other"' })).status, 200)
    t.equal((await get(target, { 'If-Modified-Since': first.headers['last-modified']! })).status, 304, `${target} If-Modified-Since`)
    t.equal((await get(target, { 'If-Modified-Since': 'Sun, 01 Jan 2006 00:00:00 GMT' })).status, 200)
  }
})

t.test('ranges', async t => {
  const whole = (await get(PAYLOAD)).body
  const r = await get(PAYLOAD, { Range: 'bytes=100-199' })
  t.equal(r.status, 206)
  t.equal(r.headers['content-range'], `bytes 100-199/${whole.length}`)
  t.same(r.body, whole.subarray(100, 200))
  const suffix = await get(PAYLOAD, { Range: 'bytes=-10' })
  t.same(suffix.body, whole.subarray(whole.length - 10))
  const bad = await get(PAYLOAD, { Range: `bytes=${whole.length}-` })
  t.equal(bad.status, 416)
  t.equal(bad.headers['content-range'], `bytes */${whole.length}`)
  t.equal((await get(PAYLOAD, { Range: 'pages=1-2' })).status, 200, 'an unknown unit is ignored')
  t.equal((await get(PAYLOAD, { Range: 'bytes=' + Array.from({ length: 40 }, (_, i) => `${i}-${i}`).join(',') })).status, 200, 'too many ranges are ignored')
  const stale = await get(PAYLOAD, { Range: 'bytes=0-9', 'If-Range': '"not-the-etag"' })
  t.equal(stale.status, 200, 'If-Range that does not match sends the whole payload')
})

t.test('multiple ranges: coalesced, streamed, never amplified', async t => {
  const whole = (await get(PAYLOAD)).body
  const amplified = await get(PAYLOAD, { Range: 'bytes=' + Array.from({ length: 16 }, () => '0-').join(',') })
  t.equal(amplified.status, 200, 'sixteen overlapping whole ranges: the payload once, as a 200')
  t.equal(amplified.body.length, whole.length)
  const res = await get(PAYLOAD, { Range: 'bytes=100-109,0-9,5-19,20-29' })
  t.equal(res.status, 206)
  const boundary = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(String(res.headers['content-type']))?.[1]
  t.ok(boundary, 'multipart/byteranges')
  t.equal(Number(res.headers['content-length']), res.body.length, 'Content-Length is exact')
  const parts = res.body.toString('latin1').split(`--${boundary!}`).slice(1, -1).map(p => {
    const [head, body] = p.split('\r\n\r\n')
    return { range: /Content-Range: bytes (\d+)-(\d+)\//.exec(head!)!.slice(1).map(Number), body: Buffer.from(body!.slice(0, -2), 'latin1') }
  })
  t.same(parts.map(p => p.range), [[0, 29], [100, 109]], 'overlapping and adjacent ranges merged, in order')
  t.same(parts[0]!.body, whole.subarray(0, 30))
  t.same(parts[1]!.body, whole.subarray(100, 110))
})

t.test('HEAD file/2 reports the compressed digests pkgsend copies into manifests', async t => {
  const res = await get('/test/file/2/c3f55f1297c7945a8f0149c86eb5e307f633916a', {}, 'HEAD')
  t.equal(res.status, 200)
  t.equal(res.headers['content-length'], '64447', 'the stored (compressed) size')
  t.equal(res.headers['x-ipkg-attr-0'], 'chash=a66c521c92d2c562101f5977493277f506f1b086')
  t.match(res.headers['x-ipkg-attr-1'], /^pkg\.content-hash=gzip:sha256:[0-9a-f]{64}$/)
  const digest = String(res.headers['x-ipkg-attr-1']).split('=')[1]
  const byDigest = await get(`/test/file/1/${digest}`)
  t.equal(byDigest.status, 200, 'a payload is addressable by its gzip digest too')
  t.equal(sha1(byDigest.body), 'a66c521c92d2c562101f5977493277f506f1b086')
})

t.test('hostile paths get a clear 4xx and never leave the data directory', async t => {
  const cases: Array<[string, number]> = [
    ['/test/file/0/..%2F..%2Fdepot.sqlite', 404],
    ['/test/file/0/../../depot.sqlite', 404],
    ['/file/1/%00', 404],
    ['/test/catalog/1/..%2Fcatalog.attrs', 404],
    ['/test/catalog/1/%zz', 400],
    ['/test/manifest/0/%ff%fe@1', 400],
    ['/test/manifest/0/' + 'a'.repeat(5000) + '@1.0', 404],
    ['/' + 'x/'.repeat(100), 404],
    ['/%2e%2e/%2e%2e/etc/passwd', 404],
    ['/test/info/0/a@1:99999999T999999Z', 400]
  ]
  for (const [target, status] of cases) {
    const res = await get(target)
    t.equal(res.status, status, target.slice(0, 80))
    t.ok(errorMessage(res.body), 'with a message')
    t.notMatch(res.body.toString('latin1'), /SQLite format|root:/)
  }
})

t.test('methods a read operation does not take', async t => {
  const res = await get('/test/file/1/c3f55f1297c7945a8f0149c86eb5e307f633916a', {}, 'DELETE')
  t.equal(res.status, 405)
  t.equal(res.headers.allow, 'GET')
  t.equal(errorMessage(res.body), 'DELETE is not allowed')
})

t.test('every response carries a request id and the security headers', async t => {
  const res = await get('/versions/0/')
  t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  t.equal(res.headers['x-content-type-options'], 'nosniff')
})
