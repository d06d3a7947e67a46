/**
 * A catalog part over a megabyte is served from its pages, never copied
 * whole: the same bytes as the part assembled from its stored fragments,
 * whole, in byte ranges that cross page boundaries, and compressed.
 */
import { createHash } from 'node:crypto'
import zlib from 'node:zlib'
import t from 'tap'
import { decompress as zstdDecompress } from 'zstd-napi'
import { assemblePart, verifyCatalogFile } from '../../src/ips/catalog.js'
import { nowCatalogTime } from '../../src/ips/timestamp.js'
import { PAGE_BYTES } from '../../src/store/catalog-parts.js'
import { addToCatalog, ensurePublisher, storePackage } from '../../src/store/publish.js'
import { startDepot } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

const depot = await startDepot({ source: null })
t.teardown(() => depot.close())
const db = depot.repo.db
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')
const PART = '/big/catalog/1/catalog.summary.C'

/** Publishes stems whose summaries make catalog.summary.C several pages long. */
function publish (stems: readonly string[]): void {
  db.transaction(() => {
    ensurePublisher(db, 'big', nowCatalogTime(), 'legacy')
    const ids = stems.map(stem => {
      const manifest = Buffer.from(`set name=pkg.fmri value=pkg://big/${stem}@1.0,5.11:20260101T000000Z\nset name=pkg.summary value="${stem} ${'summarised at length '.repeat(20)}"\n`)
      return storePackage(db, { publisher: 'big', stem, version: '1.0,5.11:20260101T000000Z', published: nowCatalogTime(), manifest, sha1: sha1(manifest), payloads: [] })
    })
    addToCatalog(db, 'big', ids, nowCatalogTime())
  })()
  depot.repo.noteWrite()
}

/** The part as its stored fragments assemble, whole: what the depot served before parts had pages. */
function assembled (): Buffer {
  const fragments = db.prepare("SELECT fragment FROM catalog_part_stem WHERE publisher = 'big' AND part = 'catalog.summary.C' ORDER BY stem").pluck().all() as string[]
  return assemblePart('big', fragments, 'legacy').bytes
}

const get = async (headers: Record<string, string> = {}, method = 'GET'): ReturnType<typeof request> => await request(depot.port, method, PART, headers)

publish(Array.from({ length: 3000 }, (_, i) => `library/s${String(i * 2).padStart(5, '0')}`))

t.test('the part is its fragments assembled, signed as catalog.attrs lists it', async t => {
  const res = await get()
  const expected = assembled()
  t.ok(expected.length > 8 * PAGE_BYTES, `a part of ${expected.length} bytes, ${Math.ceil(expected.length / PAGE_BYTES)} pages or so`)
  t.equal(res.status, 200)
  t.equal(Number(res.headers['content-length']), expected.length)
  t.ok(res.body.equals(expected), 'byte for byte')
  const attrs = verifyCatalogFile((await request(depot.port, 'GET', '/big/catalog/1/catalog.attrs')).body).data
  t.equal((attrs.parts as Record<string, { 'signature-sha-1': string }>)['catalog.summary.C']!['signature-sha-1'], verifyCatalogFile(res.body).signature)
  const head = await get({}, 'HEAD')
  t.equal(Number(head.headers['content-length']), expected.length)
  t.equal(head.body.length, 0)
})

t.test('after a publish into its middle, still the part from scratch', async t => {
  publish(['library/s03001', 'library/s03001x'])
  const res = await get()
  t.ok(res.body.equals(assembled()))
  t.match(res.body.toString(), /"library\/s03001x":/)
})

t.test('byte ranges across page boundaries', async t => {
  const whole = (await get()).body
  for (const [start, end] of [[0, 0], [PAGE_BYTES - 3, PAGE_BYTES + 3], [PAGE_BYTES - 1, 3 * PAGE_BYTES + 7], [whole.length - 70, whole.length - 1]] as const) {
    const res = await get({ Range: `bytes=${start}-${end}` })
    t.equal(res.status, 206)
    t.equal(res.headers['content-range'], `bytes ${start}-${end}/${whole.length}`)
    t.ok(res.body.equals(whole.subarray(start, end + 1)), `bytes ${start}-${end}`)
  }
  const multi = await get({ Range: `bytes=10-20,${2 * PAGE_BYTES - 5}-${2 * PAGE_BYTES + 5},-4` })
  t.equal(multi.status, 206)
  const text = multi.body.toString('latin1')
  for (const slice of [whole.subarray(10, 21), whole.subarray(2 * PAGE_BYTES - 5, 2 * PAGE_BYTES + 6), whole.subarray(whole.length - 4)]) {
    t.ok(text.includes(`\r\n\r\n${slice.toString('latin1')}\r\n`), 'each range is a part of the multipart body')
  }
})

t.test('compressed from its pages, decoding to the same bytes', async t => {
  const whole = (await get()).body
  const z = await get({ 'Accept-Encoding': 'zstd' })
  t.equal(z.headers['content-encoding'], 'zstd')
  t.ok(zstdDecompress(z.body).equals(whole))
  const g = await get({ 'Accept-Encoding': 'gzip' })
  t.equal(g.headers['content-encoding'], 'gzip')
  t.ok(zlib.gunzipSync(g.body).equals(whole))
})
