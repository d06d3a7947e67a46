/**
 * The REST upload and `ips-depot publish`: a pkgsend-style manifest with
 * its proto directory, digests computed by the server, a deterministic
 * gzip, preflight, and clear problem+json errors.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import Database from 'better-sqlite3'
import t from 'tap'
import { addPublisher } from '../../src/store/publish.js'
import { checkSignature, fetchCatalog } from '../helpers/client-catalog.js'
import { runCli } from '../helpers/cli.js'
import { GOLDEN } from '../helpers/depot.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { request } from '../helpers/http.js'

const { depot, issuer, token: sign } = await startPublishingDepot(t, { publishers: [['test', true]] })
const token = await sign({ depot_publishers: ['test'] })
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')
const proto = path.join(GOLDEN, 'inputs/proto')



t.test('ips-depot publish: a pkgsend manifest and its proto directory', async t => {
  const run = await runCli(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto,
    path.join(GOLDEN, 'inputs/manifests/01-example-lib@1.0-0.1.p5m'), '--token-env', 'DEPOT_TOKEN'], { ...process.env, DEPOT_TOKEN: token })
  t.equal(run.code, 0, run.stderr)
  const fmri = run.stdout.split('\n')[1]!
  t.match(fmri, /^pkg:\/\/test\/example\/lib@1\.0,5\.11-0\.1:[0-9]{8}T[0-9]{6}Z$/)
  const cat = await fetchCatalog(depot.port, 'test')
  t.equal(cat.attrs['package-version-count'], 1)
  const version = fmri.split('@')[1]!
  const manifest = (await request(depot.port, 'GET', `/test/manifest/0/example%2Flib@${encodeURIComponent(version)}`)).body.toString()
  const golden = fs.readFileSync(path.join(GOLDEN, 'repo/publisher/test/pkg/example%2Flib', fs.readdirSync(path.join(GOLDEN, 'repo/publisher/test/pkg/example%2Flib'))[0]!), 'utf8')
  t.equal(manifest.split('\n').slice(1).join('\n'), golden.split('\n').slice(1).join('\n'), 'the same manifest pkgsend stores, digests and gzip included')
  const big = await request(depot.port, 'GET', '/test/file/1/c3f55f1297c7945a8f0149c86eb5e307f633916a')
  t.equal(sha1(big.body), 'a66c521c92d2c562101f5977493277f506f1b086', 'deterministic gzip: the chash pkg5 computes')
  t.equal(sha1(zlib.gunzipSync(big.body)), 'c3f55f1297c7945a8f0149c86eb5e307f633916a')
  const again = await runCli(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto,
    path.join(GOLDEN, 'inputs/manifests/04-example-hello@1.0-0.1.p5m'), '--token-env', 'DEPOT_TOKEN'], { ...process.env, DEPOT_TOKEN: token })
  t.equal(again.code, 0, again.stderr)
})

t.test('preflight names only what the depot lacks', async t => {
  const res = await request(depot.port, 'POST', '/api/v1/publishers/test/payloads/missing', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    JSON.stringify({ hashes: ['c3f55f1297c7945a8f0149c86eb5e307f633916a', 'ffffffffffffffffffffffffffffffffffffffff'] }))
  t.equal(res.status, 200)
  t.same(JSON.parse(res.body.toString()), { missing: ['ffffffffffffffffffffffffffffffffffffffff'] })
  const bad = await request(depot.port, 'POST', '/api/v1/publishers/test/payloads/missing', { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, JSON.stringify({ hashes: ['nope'] }))
  t.equal(bad.status, 400)
  t.match(bad.headers['content-type'], /application\/problem\+json/)
})

async function upload (parts: Array<[string, string | Buffer]>, auth = true): Promise<{ status: number, body: { detail?: string, fmri?: string } }> {
  const form = new FormData()
  for (const [name, value] of parts) {
    if (typeof value === 'string') form.append(name, value)
    else form.append(name, new Blob([new Uint8Array(value)]), name)
  }
  const res = await fetch(`${depot.url}/api/v1/publishers/test/packages`, { method: 'POST', headers: auth ? { authorization: `Bearer ${token}` } : {}, body: form })
  return { status: res.status, body: await res.json() as { detail?: string } }
}

t.test('bad uploads get a clear error and publish nothing', async t => {
  const content = Buffer.from('hello, payload\n')
  const hash = sha1(content)
  const manifest = `set name=pkg.fmri value=example/rest@1.0\nset name=pkg.summary value=rest\nfile ${hash} path=opt/rest mode=0444 owner=root group=bin\n`
  const before = (await fetchCatalog(depot.port, 'test')).attrs['package-version-count']
  const cases: Array<[string, Array<[string, string | Buffer]>, number, RegExp]> = [
    ['content that is not what its name says', [['manifest', manifest], [hash, Buffer.from('other')]], 400, /holds content with SHA-1/],
    ['a payload neither sent nor stored', [['manifest', manifest]], 400, /was not sent and is not stored/],
    ['no manifest', [[hash, content]], 400, /"manifest" field first/],
    ['a bad action', [['manifest', 'set name=pkg.fmri value=example/rest@1.0\ndir path=opt mode=9999 owner=root group=bin\n']], 400, /not a valid mode/],
    ['no version', [['manifest', 'set name=pkg.fmri value=example/rest\n']], 400, /has no version/],
    ['a part not named by a hash', [['manifest', manifest], ['opt/rest', content]], 400, /named by the SHA-1/],
    // Within the default 32 GiB bound the bomb decompresses, and its content is not what its name says (test/trust/uploads.test.ts bounds it).
    ['a gzip bomb under a wrong name', [['manifest', manifest], [hash, zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024))]], 400, new RegExp(`payload ${hash} holds content with SHA-1 ${sha1(Buffer.alloc(64 * 1024 * 1024))}`)]
  ]
  for (const [what, parts, status, message] of cases) {
    const r = await upload(parts)
    t.equal(r.status, status, `${what}: ${status}`)
    t.match(r.body.detail, message, what)
  }
  t.equal((await fetchCatalog(depot.port, 'test')).attrs['package-version-count'], before, 'nothing was published')
  t.equal((await upload([['manifest', manifest], [hash, content]], false)).status, 401, 'no token: refused before the body is read')
  const ok = await upload([['manifest', manifest], [hash, zlib.gzipSync(content)]])
  t.equal(ok.status, 201, 'a gzip payload is accepted and re-compressed')
  t.match(ok.body.fmri, /^pkg:\/\/test\/example\/rest@1\.0,5\.11:/)
})

t.test('concurrent publishes, to one publisher and to another, all land and the catalog stays valid', async t => {
  addPublisher(depot.repo, 'example.org', false, 'utf8') // a second publisher, created while the depot runs
  const both = await issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['test', 'example.org'], exp: Math.floor(Date.now() / 1000) + 3600 })
  const publishOne = async (pub: string, i: number): Promise<number> => {
    const content = Buffer.from(`payload ${pub} ${i}\n`)
    const form = new FormData()
    form.append('manifest', `set name=pkg.fmri value=example/concurrent${i}@1.0\nfile ${sha1(content)} path=opt/c${i} mode=0444 owner=root group=bin\n`)
    form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
    const res = await fetch(`${depot.url}/api/v1/publishers/${pub}/packages`, { method: 'POST', headers: { authorization: `Bearer ${both}` }, body: form })
    return res.status
  }
  const before = (await fetchCatalog(depot.port, 'test')).attrs['package-version-count'] as number
  // A reader polling while the publishes land: every file it gets is signed, and the catalog never goes back.
  // A 503 with Retry-After (the catalog changing faster than it is signed, on a loaded machine) is the client's cue to retry.
  let publishing = true
  const seen: number[] = []
  const refused: string[] = []
  const signed = async (target: string): Promise<Record<string, unknown> | null> => {
    const res = await request(depot.port, 'GET', target)
    if (res.status === 503 && res.headers['retry-after'] !== undefined) return null
    if (res.status !== 200) refused.push(`${target}: ${res.status} ${res.body.toString()}`)
    return res.status === 200 ? checkSignature(res.body).data : null
  }
  const reader = (async () => {
    while (publishing) {
      const attrs = await signed('/test/catalog/1/catalog.attrs')
      if (attrs !== null) seen.push(attrs['package-version-count'] as number)
      await signed('/test/catalog/1/catalog.base.C')
    }
  })()
  const statuses = await Promise.all([...Array.from({ length: 12 }, (_, i) => publishOne('test', i)), ...Array.from({ length: 6 }, (_, i) => publishOne('example.org', i))])
  publishing = false
  await reader
  t.same(refused, [], 'the reader got signed files, or 503 with Retry-After')
  t.ok(statuses.every(s => s === 201), statuses.join(','))
  t.ok(seen.length > 0 && seen.every((n, i) => i === 0 || n >= seen[i - 1]!), `versions seen by a reader during the publishes never decrease: ${seen.join(',')}`)
  t.equal((await fetchCatalog(depot.port, 'test')).attrs['package-version-count'], before + 12)
  t.equal((await fetchCatalog(depot.port, 'example.org')).attrs['package-version-count'], 6)
})

t.test('a publish while another writer holds the repository answers 503 with Retry-After, and loses nothing', async t => {
  // What an import or a rebuild in another process does for seconds: hold SQLite's write lock.
  const other = new Database(path.join(depot.dataDir, 'depot.sqlite'))
  t.teardown(() => { if (other.open) other.close() })
  const content = Buffer.from('published while the repository was busy\n')
  const publish = async (): Promise<Response> => {
    const form = new FormData()
    form.append('manifest', `set name=pkg.fmri value=example/busy@1.0\nfile ${sha1(content)} path=opt/busy mode=0444 owner=root group=bin\n`)
    form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
    return await fetch(`${depot.url}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  }
  const versions = async (): Promise<unknown> => (await fetchCatalog(depot.port, 'test')).attrs['package-version-count']
  const before = await versions()
  other.exec('BEGIN IMMEDIATE')
  const busy = await publish()
  other.exec('ROLLBACK')
  t.equal(busy.status, 503)
  t.equal(busy.headers.get('retry-after'), '5')
  t.match((await busy.json() as { detail: string }).detail, /busy with another write/)
  t.equal(await versions(), before, 'nothing was published')
  const retried = await publish()
  t.equal(retried.status, 201, 'the retry publishes')
  t.equal(await versions(), (before as number) + 1)
})
