import { createHash } from 'node:crypto'
import fs from 'node:fs'
import t from 'tap'
import { buildPart, verifyCatalogFile, type VersionEntry } from '../../src/ips/catalog.js'
import { nowCatalogTime } from '../../src/ips/timestamp.js'
import { catalogParts } from '../../src/store/catalog-parts.js'
import { addToCatalog, ensurePublisher, storePackage } from '../../src/store/publish.js'
import { Repository } from '../../src/store/repository.js'
import { tempDir } from '../helpers/depot.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

/** A deterministic sequence of stems, some non-ASCII, interleaving in code-point order. */
function stemAt (i: number): string {
  const names = ['web/nginx', 'library/zlib', 'locale/é', 'text/😀', 'a', 'z/z', 'text/\uffef', 'developer/gcc']
  return `${names[i % names.length]!}/${(i * 7919) % 23}`
}

function publish (repo: Repository, publisher: string, stem: string, version: string): void {
  const manifest = Buffer.from(`set name=pkg.fmri value=pkg://${publisher}/${stem}@${version}\nset name=pkg.summary value="${stem} ${version}"\n`)
  repo.db.transaction(() => {
    const id = storePackage(repo.db, { publisher, stem, version, published: nowCatalogTime(), manifest, sha1: sha1(manifest), payloads: [] })
    addToCatalog(repo.db, publisher, [id], nowCatalogTime())
  })()
  repo.noteWrite()
}

/** The part as pkg5 would write it from scratch, from the catalog rows. */
function expectedBase (repo: Repository, publisher: string): Buffer {
  const rows = repo.db.prepare('SELECT stem, version, manifest_sha1 FROM package WHERE publisher = ? AND in_catalog = 1').all(publisher) as Array<{ stem: string, version: string, manifest_sha1: string }>
  const entries: VersionEntry[] = rows.map(r => ({ stem: r.stem, version: r.version, entry: { 'signature-sha-1': r.manifest_sha1 } }))
  return buildPart(publisher, entries, 'legacy').bytes
}

t.test('parts patched publish by publish are the parts built from scratch, on every connection', async t => {
  const data = tempDir()
  const writer = new Repository(data)
  const reader = new Repository(data)
  t.teardown(() => { writer.close(); reader.close(); fs.rmSync(data, { recursive: true, force: true }) })
  writer.db.transaction(() => ensurePublisher(writer.db, 'acme', nowCatalogTime()))()
  for (let i = 0; i < 60; i++) {
    publish(writer, 'acme', stemAt(i), `1.${i},5.11:20260101T000000Z`)
    const expected = expectedBase(writer, 'acme')
    const served = writer.catalogFile('acme', 'catalog.base.C')!
    if (!served.body.equals(expected)) { t.fail(`publish ${i}: the writer serves a different part`); return }
    // The other connection last built the part one publish ago: it must notice the change.
    await new Promise(resolve => setTimeout(resolve, 110))
    if (!reader.catalogFile('acme', 'catalog.base.C')!.body.equals(expected)) { t.fail(`publish ${i}: the reader serves a stale part`); return }
  }
  const attrs = verifyCatalogFile(writer.catalogFile('acme', 'catalog.attrs')!.body).data
  t.equal(attrs['package-version-count'], 60)
  t.equal(attrs['package-count'], new Set(Array.from({ length: 60 }, (_, i) => stemAt(i))).size)
})

t.test('a rolled back change leaves the served part as it was', async t => {
  const data = tempDir()
  const repo = new Repository(data)
  t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
  repo.db.transaction(() => ensurePublisher(repo.db, 'acme', nowCatalogTime()))()
  publish(repo, 'acme', 'web/nginx', '1.0,5.11:20260101T000000Z')
  const before = repo.catalogFile('acme', 'catalog.base.C')!.body
  t.throws(() => repo.db.transaction(() => {
    catalogParts(repo.db).update('acme', 'catalog.base.C', new Map([['a/first', { fragment: '"a/first":[{"signature-sha-1":"x","version":"1"}]', versions: 1 }]]))
    throw new Error('the publish failed after its part was patched')
  })(), /publish failed/)
  repo.noteWrite()
  t.ok(repo.catalogFile('acme', 'catalog.base.C')!.body.equals(before))
  publish(repo, 'acme', 'a/second', '1.0,5.11:20260101T000000Z')
  t.ok(repo.catalogFile('acme', 'catalog.base.C')!.body.equals(expectedBase(repo, 'acme')), 'the next publish patches the stored part, not the rolled back one')
})

t.test('removing stems, and removing the last one', async t => {
  const data = tempDir()
  const repo = new Repository(data)
  t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
  repo.db.transaction(() => ensurePublisher(repo.db, 'acme', nowCatalogTime()))()
  const parts = catalogParts(repo.db)
  const fragment = (stem: string): { fragment: string, versions: number } => ({ fragment: `"${stem}":[{"signature-sha-1":"${stem}","version":"1"}]`, versions: 1 })
  const entry = (stem: string): VersionEntry => ({ stem, version: '1', entry: { 'signature-sha-1': stem } })
  repo.db.transaction(() => {
    parts.update('acme', 'catalog.base.C', new Map(['b', 'd', 'a', 'c'].map(s => [s, fragment(s)])))
    const p = parts.update('acme', 'catalog.base.C', new Map([['a', null], ['c', null], ['e', fragment('e')], ['zz', null]]))
    t.equal(p.bytes.toString(), buildPart('acme', ['b', 'd', 'e'].map(entry)).bytes.toString())
    t.equal(p.versionCount, 3)
    const empty = parts.update('acme', 'catalog.base.C', new Map([['b', null], ['d', null], ['e', null]]))
    t.equal(empty.bytes.toString(), buildPart('acme', []).bytes.toString())
    t.equal(empty.stemCount, 0)
  })()
})
