/**
 * Removing packages, as pkgrepo remove does, over the REST API (DELETE,
 * with the remove permission). A client holding the catalog refreshes
 * incrementally: it replays the "remove" entries of the update log and
 * ends with exactly the parts the depot serves. The removed manifest, the
 * payloads no package needs any more (rows and files) and the search hits
 * are gone; payloads another package needs stay. A payload an upload in
 * progress has stored is not collected under it.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'
import t, { type Test } from 'tap'
import { fetchCatalog, type FetchedCatalog, packageProblem, partOf, partSignature, refreshIncrementally } from '../helpers/client-catalog.js'
import { ROOT } from '../helpers/depot.js'
import { request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')
const { depot, token } = await startPublishingDepot(t, { source: path.join(ROOT, 'fixtures/repo') })
const remover = await token({ scope: 'depot:remove', depot_publishers: ['test', 'example.org'] })

const HELLO_1_0 = 'example/hello@1.0,5.11-0.1:20261123T001653Z'
/** Only hello@1.0,5.11-0.1 ships this payload (usr/share/hello/VERSION). */
const UNIQUE = '61652cd1568dcf2614df833eba241755eee34e89'
/** Every hello version ships these. */
const SHARED = ['0cdf86295978a9260d89b51ef6e86748363dd3e2', '1662845b0fb431195967f2dc7136e6001408df9b']

const del = (pub: string, fmri: string, bearer: string | null = remover): ReturnType<typeof request> =>
  request(depot.port, 'DELETE', `/api/v1/publishers/${pub}/packages/${fmri}`, bearer === null ? {} : { Authorization: `Bearer ${bearer}` })

/** The client's incremental refresh from `old` must reproduce every part the depot now serves. */
function checkReplay (t: Test, old: FetchedCatalog, neu: FetchedCatalog, pub: string): void {
  const { parts, logs } = refreshIncrementally(old, neu, pub)
  t.ok(logs.length > 0, `the client fetched the update log(s) ${logs.join(', ')}`)
  const listed = neu.attrs.parts as Record<string, { 'signature-sha-1': string }>
  for (const [name, part] of parts) {
    t.equal(partSignature(pub, part), listed[name]!['signature-sha-1'], `${pub} ${name}: the replayed part is the one served`)
    t.same(part, partOf(neu.files.get(name), pub), `${pub} ${name}: entry for entry`)
  }
}

const searchHits = async (q: string): Promise<number> => {
  const res = await request(depot.port, 'GET', `/test/search/1/False_2_None_None_${encodeURIComponent(q)}`)
  return res.status === 204 ? 0 : res.body.toString().trim().split('\n').length - 1
}

t.test('DELETE removes one version: logged for incremental refresh, its own payload collected, shared ones kept, gone from search', async t => {
  const old = await fetchCatalog(depot.port, 'test')
  t.ok(await searchHits(UNIQUE) > 0, 'search finds the payload\'s content hash before')
  t.equal((await request(depot.port, 'GET', `/test/file/0/${UNIQUE}`)).status, 200)

  const res = await del('test', encodeURIComponent(HELLO_1_0))
  t.equal(res.status, 200, res.body.toString())
  t.same(JSON.parse(res.body.toString()), { removed: [`pkg://test/${HELLO_1_0}`], payloadsReleased: 1, payloadsCollected: 1 })

  const neu = await fetchCatalog(depot.port, 'test')
  t.equal(neu.attrs['package-version-count'], (old.attrs['package-version-count'] as number) - 1)
  t.equal(neu.attrs['package-count'], old.attrs['package-count'], 'hello has other versions: the stem stays')
  t.notOk(partOf(neu.files.get('catalog.base.C'), 'test')['example/hello']!.some(e => e.version === HELLO_1_0.split('@')[1]), 'not in the base part')
  checkReplay(t, old, neu, 'test')

  t.equal((await request(depot.port, 'GET', `/test/manifest/0/${encodeURIComponent(HELLO_1_0)}`)).status, 404, 'its manifest is gone')
  t.equal((await request(depot.port, 'GET', `/test/file/0/${UNIQUE}`)).status, 404, 'the payload only it shipped answers 404')
  t.notOk(await depot.repo.payloads.has(UNIQUE), 'and it is deleted from the store')
  for (const h of SHARED) t.equal((await request(depot.port, 'GET', `/test/file/0/${h}`)).status, 200, `${h}, which other versions ship, stays`)
  t.equal(await searchHits(UNIQUE), 0, 'search no longer finds it')
  t.ok(await searchHits(SHARED[0]!) > 0, 'but still finds what the other versions ship')
  for (const [stem, list] of Object.entries(partOf(neu.files.get('catalog.base.C'), 'test'))) {
    for (const e of list) t.equal(await packageProblem(depot.port, 'test', stem, e.version as string, e['signature-sha-1'] as string), undefined, `${stem}@${e.version as string} is whole`)
  }
})

t.test('the last version of a stem takes the stem with it; the last stem leaves an empty part, as the client replays it', async t => {
  const before = await fetchCatalog(depot.port, 'example.org')
  const stems = Object.entries(partOf(before.files.get('catalog.base.C'), 'example.org'))
  t.equal(stems.length, 3)
  let old = before
  for (const [stem, [entry]] of stems) {
    const res = await del('example.org', encodeURIComponent(`${stem}@${entry!.version as string}`))
    t.equal(res.status, 200, res.body.toString())
    const neu = await fetchCatalog(depot.port, 'example.org')
    t.notOk(stem in partOf(neu.files.get('catalog.base.C'), 'example.org'), `${stem} is gone from the base part`)
    checkReplay(t, old, neu, 'example.org')
    old = neu
  }
  t.equal(old.attrs['package-count'], 0)
  t.equal(old.attrs['package-version-count'], 0)
  const base = await request(depot.port, 'GET', '/example.org/catalog/1/catalog.base.C')
  t.match(base.body.toString(), /^\{"_SIGNATURE":\{"sha-1":"[0-9a-f]{40}"\}\}\n$/, 'an empty part, as pkg5 writes one')
  t.equal(await depot.repo.payloads.has('d8873b364eaf3b65b5a6daeadc9be82729c65ad3'), false, 'its payloads are collected')
  t.equal(old.attrs.created, before.attrs.created, 'the same catalog all along: no client needs a full refresh')
})

t.test('who may remove, and what a malformed or ambiguous name gets', async t => {
  const state = async (): Promise<string> => (await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')).body.toString()
  const before = await state()
  const target = encodeURIComponent('example/hello@2.0')
  const none = await del('test', target, null)
  t.equal(none.status, 401)
  const publisher = await del('test', target, await token({ scope: 'depot:publish depot:rebuild' }))
  t.equal(publisher.status, 403, 'publishing does not grant removing')
  t.match(publisher.headers['www-authenticate'], /insufficient_scope.*scope="depot:remove"/)
  const elsewhere = await del('test', target, await token({ scope: 'depot:remove', depot_publishers: ['example.org'] }))
  t.equal(elsewhere.status, 403, 'the remove scope for another publisher')
  t.equal(await state(), before, 'a refused request changes nothing')

  const cases: Array<[string, string, number, RegExp]> = [
    ['test', encodeURIComponent('example/hello'), 400, /names no version/],
    ['test', encodeURIComponent('example/*@1.0'), 400, /is a pattern/],
    ['test', encodeURIComponent('example/hello@1..0'), 400, /Illegal FMRI/],
    ['test', encodeURIComponent('pkg://example.org/example/hello@2.0'), 400, /names publisher example\.org, not test/],
    ['test', encodeURIComponent('example/hello@9.9'), 404, /No package example\/hello@9\.9/],
    ['nosuch', encodeURIComponent('example/hello@2.0'), 404, /Unknown publisher: nosuch/],
    ['test', encodeURIComponent('example/hello@1.10'), 409, /matches 2 package versions \(example\/hello@1\.10,5\.11-0\.1:20261123T001654Z, example\/hello@1\.10,5\.11-0\.1:20261123T001652Z\); give the full version/]
  ]
  const admin = await token({ scope: '', depot_publishers: [], realm_access: { roles: ['depot-admin'] } })
  for (const [pub, fmri, status, detail] of cases) {
    const res = await del(pub, fmri, admin)
    t.equal(res.status, status, `${pub} ${decodeURIComponent(fmri)}`)
    t.match(res.headers['content-type'], /application\/problem\+json/)
    t.match(JSON.parse(res.body.toString()).detail, detail)
  }
  t.equal(await state(), before, 'none of them changed anything')

  const ok = await del('test', 'example/hello@2.0', admin)
  t.equal(ok.status, 200, 'the admin role may; the stem\'s slash need not be encoded')
  const audit = depot.repo.db.prepare("SELECT package, result FROM audit_log WHERE action = 'remove' ORDER BY id").all() as Array<{ package: string, result: string }>
  t.same(audit.at(-1), { package: 'example/hello@2.0', result: 'allowed' }, 'the audit log names the package')
  t.ok(audit.some(a => a.result === 'refused 403'), 'and the refusals')
})

t.test('a payload an upload in progress has stored is not collected under it', async t => {
  // example/notes is the only package that ships this payload: removing it releases the payload.
  const notes = 'example/notes@1.0,5.11-0.1:20261123T010015Z'
  const hash = '54306552fa2b012c46117f1fa7c7c4ed48aa904f'
  const content = zlib.gunzipSync(await depot.repo.payloads.readAll(hash))
  const publisher = await token()
  const boundary = 'b0undary'
  const manifest = `set name=pkg.fmri value=example/notes@2.0\nfile ${hash} path=usr/share/doc/notes.txt mode=0444 owner=root group=bin pkg.size=${content.length}\n`
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n${manifest}\r\n--${boundary}\r\nContent-Disposition: form-data; name="${hash}"; filename="${hash}"\r\nContent-Type: application/octet-stream\r\n\r\n`
  const upload = http.request({ port: depot.port, method: 'POST', path: '/api/v1/publishers/test/packages', headers: { Authorization: `Bearer ${publisher}`, 'Content-Type': `multipart/form-data; boundary=${boundary}` } })
  const answered = new Promise<{ status: number, body: string }>((resolve, reject) => {
    upload.on('response', res => { let b = ''; res.on('data', (c: Buffer) => { b += c.toString() }); res.on('end', () => { resolve({ status: res.statusCode!, body: b }) }) })
    upload.on('error', reject)
  })
  // The payload part whole, then the next boundary: the depot stores it and waits for the rest of the body.
  upload.write(head)
  upload.write(content)
  upload.write(`\r\n--${boundary}`)
  while (!depot.repo.payloads.held(hash)) await new Promise(resolve => setTimeout(resolve, 10))

  const removed = await del('test', encodeURIComponent(notes))
  t.equal(removed.status, 200, removed.body.toString())
  t.match(JSON.parse(removed.body.toString()), { payloadsReleased: 1, payloadsCollected: 0 }, 'released, but held by the upload')
  t.ok(await depot.repo.payloads.backend.has(hash), 'the payload is still stored')

  upload.end('--\r\n')
  const published = await answered
  t.equal(published.status, 201, published.body)
  const entry = partOf((await fetchCatalog(depot.port, 'test')).files.get('catalog.base.C'), 'test')['example/notes']!
  t.equal(entry.length, 1)
  t.equal(await packageProblem(depot.port, 'test', 'example/notes', entry[0]!.version as string, entry[0]!['signature-sha-1'] as string), undefined, 'the new package is whole: its payload answers and matches its chash')
  t.equal(sha1(zlib.gunzipSync((await request(depot.port, 'GET', `/test/file/0/${hash}`)).body)), hash)
  // A small payload may be answered from memory: the store itself must hold it for the next start.
  t.equal(sha1(zlib.gunzipSync(await depot.repo.payloads.readAll(hash))), hash, 'and the store holds it')
})
