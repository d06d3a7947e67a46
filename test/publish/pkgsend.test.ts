/**
 * The stock tools' publication traces, replayed: pkgsend in upload mode,
 * pkgsend one action per process, abandon, and pkgrecv. Statuses and
 * headers as recorded; stored manifests as the reference stored them; the
 * catalog passes the client's checks after every publish; search finds a
 * package as soon as it is published.
 */
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { fmriUrlPath, parseFmri } from '../../src/ips/fmri.js'
import { formatVersion } from '../../src/ips/version.js'
import { applyUpdates, fetchCatalog, formatOf, partOf, partSignature, type Part } from '../helpers/client-catalog.js'
import { GOLDEN } from '../helpers/depot.js'
import { exchanges } from '../helpers/golden.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { request } from '../helpers/http.js'
import { replayTrace } from '../helpers/replay.js'

async function emptyDepot (t: Test) {
  const running = await startPublishingDepot(t, { publishers: [['test', true], ['example.org', false]] })
  token = running.token
  return running.depot
}
let token: () => Promise<string>

/** The golden repository's stored manifest for the same stem and version, less its pkg.fmri line. */
function goldenBody (fmri: string): string | undefined {
  const f = parseFmri(fmri)
  const dir = path.join(GOLDEN, 'repo/publisher', f.publisher!, 'pkg', fmriUrlPath(f.stem, '').slice(0, -1))
  if (!fs.existsSync(dir)) return undefined
  const want = formatVersion(f.version!).replace(/:.*$/, '')
  const match = fs.readdirSync(dir).map(decodeURIComponent).find(v => v.replace(/:.*$/, '') === want)
  return match && fs.readFileSync(path.join(dir, encodeURIComponent(match).replace(/%40/g, '@')), 'utf8').split('\n').slice(1).join('\n')
}

t.test('pkgsend publish (upload mode)', async t => {
  const depot = await emptyDepot(t)
  const before = await fetchCatalog(depot.port, 'test')
  const results = await replayTrace(depot.port, exchanges('publish-pkgsend-upload.jsonl'), await token())
  for (const { x, res } of results) {
    t.equal(res.status, x.response.status, `${x.request.method} ${x.request.path.slice(0, 60)}: status`)
    if (x.request.path.includes('/open/0/')) t.match(res.headers['transaction-id'], /^[0-9]+_pkg%3A%2F%2F[a-z.]+%2F/, 'the id contains the quoted full FMRI')
    if (x.request.path.includes('/close/0/')) {
      t.equal(res.headers.state, 'PUBLISHED')
      const fmri = String(res.headers['package-fmri'])
      t.match(fmri, /^pkg:\/\/(test|example\.org)\/.+@.+:[0-9]{8}T[0-9]{6}Z$/)
      const f = parseFmri(fmri)
      const m = await request(depot.port, 'GET', `/${f.publisher}/manifest/0/${fmriUrlPath(f.stem, formatVersion(f.version!))}`)
      t.equal(m.status, 200)
      const [first, ...rest] = m.body.toString('utf8').split('\n')
      t.equal(first, `set name=pkg.fmri value=${fmri}`)
      const golden = goldenBody(fmri)
      if (golden !== undefined) t.equal(rest.join('\n'), golden, `${f.stem}: stored manifest as the reference stored it`)
      const search = await request(depot.port, 'GET', `/${f.publisher}/search/1/False_1_None_None_${encodeURIComponent(f.stem.split('/').pop()!)}`)
      t.match(search.body.toString(), `pkg:/${f.stem}@${formatVersion(f.version!)}`, 'search finds it at once')
    }
  }
  const after = await fetchCatalog(depot.port, 'test')
  t.equal(after.attrs.created, before.attrs.created, 'created stays, so clients refresh incrementally')
  t.equal(after.attrs['package-version-count'], 4)
  // A client that had the empty catalog applies the update logs and must land on the new parts exactly.
  const parts = new Map<string, Part>()
  applyUpdates(parts, [...after.files.keys()].filter(n => /^update\..*\.C$/.test(n)).sort().map(n => after.files.get(n)!), 'test', new Map())
  for (const [name, part] of parts) t.equal(partSignature('test', part, formatOf(after.attrs)), (after.attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `${name} replays from the update log`)
  for (const [name, stamp] of Object.entries(after.attrs.parts as Record<string, { 'last-modified': string }>)) {
    t.ok(Object.values(after.attrs.updates as Record<string, { 'last-modified': string }>).some(u => u['last-modified'] >= stamp['last-modified']), `${name} last-modified is an op-time of the logs`)
  }
  const payload = await request(depot.port, 'GET', '/test/file/1/c3f55f1297c7945a8f0149c86eb5e307f633916a')
  t.equal(payload.status, 200)
  t.equal((await import('node:crypto')).createHash('sha1').update(payload.body).digest('hex'), 'a66c521c92d2c562101f5977493277f506f1b086', 'the served payload matches the chash the client computed')
})

t.test('publish-pkgrecv-new-publisher.jsonl: pkgrecv into a depot that lacks the publisher', async t => {
  const running = await startPublishingDepot(t, { publishers: [['test', true]] })
  const results = await replayTrace(running.depot.port, exchanges('publish-pkgrecv-new-publisher.jsonl'), await running.token())
  let opened = false
  for (const { x, res } of results) {
    const p = x.request.path
    opened ||= p.startsWith('/open/0/')
    if (opened && p.startsWith('/example.org/') && x.response.status === 400) {
      t.equal(res.status, 200, `${x.request.method} ${p.slice(0, 60)}: the new publisher is served at once (pkg.depotd: 400 until restarted)`)
      continue
    }
    t.equal(res.status, x.response.status, `${x.request.method} ${p.slice(0, 60)}: status`)
  }
  // pkgrecv's last request, refresh-packages, is answered at once and run in the background.
  await running.depot.app.depot.jobs.idle()
  t.equal((await fetchCatalog(running.depot.port, 'example.org')).attrs['package-version-count'], 1, 'listed after refresh-packages')
})

for (const file of ['publish-pkgsend-per-command.jsonl', 'publish-pkgsend-abandon.jsonl', 'publish-pkgrecv.jsonl']) {
  t.test(file, async t => {
    const depot = await emptyDepot(t)
    const results = await replayTrace(depot.port, exchanges(file), await token())
    for (const { x, res } of results) {
      if (x.request.path.includes('/catalog/1/')) {
        t.notMatch(res.body.toString(), /abandoned/, 'an abandoned package never appears in the catalog')
        continue
      }
      t.equal(res.status, x.response.status, `${x.request.method} ${x.request.path.slice(0, 70)}: status`)
      if (x.request.path.includes('/close/0/') && res.status === 200) {
        t.equal(res.headers.state, 'PUBLISHED')
        if (file === 'publish-pkgrecv.jsonl') t.equal(res.headers['package-fmri'], x.response.headers['Package-Fmri'], 'pkgrecv keeps the FMRI timestamp')
      }
    }
    if (file === 'publish-pkgrecv.jsonl') {
      await depot.app.depot.jobs.idle()
      const listed = (await request(depot.port, 'GET', '/test/catalog/0/')).body.toString()
      t.match(listed, /V pkg:\/example\/lib@/, 'closed with X-IPkg-Add-To-Catalog: 0, listed after refresh-packages')
      for (const x of exchanges(file).filter(e => e.request.path.includes('/close/0/'))) {
        const fmri = parseFmri(x.response.headers['Package-Fmri']!)
        const ours = await request(depot.port, 'GET', `/${fmri.publisher}/manifest/0/${fmriUrlPath(fmri.stem, formatVersion(fmri.version!))}`)
        const dir = path.join(GOLDEN, 'repo/publisher', fmri.publisher!, 'pkg')
        const golden = fs.readFileSync(path.join(dir, encodeURIComponent(fmri.stem), encodeURIComponent(formatVersion(fmri.version!))))
        t.same(ours.body, golden, `${fmri.stem}: republished byte for byte`)
      }
    }
  })
}

t.test('pkgsign: append/0 adds a signature; the catalog logs remove + add', async t => {
  const depot = await emptyDepot(t)
  const trace = [...exchanges('publish-pkgsend-per-command.jsonl'), ...exchanges('publish-pkgsign-append.jsonl')]
  const results = await replayTrace(depot.port, trace, await token())
  for (const { x, res } of results) {
    if (x.request.path.includes('/catalog/1/')) continue
    t.equal(res.status, x.response.status, `${x.trace ?? ''} ${x.request.method} ${x.request.path.slice(0, 60)}: status`)
  }
  const signed = results.find(r => r.x.trace === 'append-check-manifest')!
  const mine = signed.res.body.toString().trimEnd().split('\n')
  const golden = (signed.x.response.body_text ?? '').trimEnd().split('\n')
  t.equal(mine.at(-1), golden.at(-1), 'the stored manifest ends with the signature pkgsign sent')
  t.equal(mine.length, golden.length)
  const cat = await fetchCatalog(depot.port, 'test')
  const logs = [...cat.files.keys()].filter(n => n.startsWith('update.') && n.endsWith('.C'))
  const ops = logs.flatMap(n => (partOf(cat.files.get(n), 'test')['example/percmd'] ?? []).map(e => e['op-type']))
  t.same(ops.slice(-3), ['add', 'remove', 'add'], 'published, then replaced')
  const parts = new Map<string, Part>()
  applyUpdates(parts, logs.sort().map(n => cat.files.get(n)!), 'test', new Map())
  for (const [name, part] of parts) t.equal(partSignature('test', part, formatOf(cat.attrs)), (cat.attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `${name} replays`)
})
