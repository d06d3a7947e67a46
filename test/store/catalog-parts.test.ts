/**
 * Catalog parts patched stem by stem and sealed after the commit: what is
 * served is always what pkg5 would write from scratch, with the signature
 * catalog.attrs lists, on every connection, whatever process sealed last.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import t, { type Test } from 'tap'
import fc from 'fast-check'
import { buildPart, partFragment, verifyCatalogFile, type VersionEntry } from '../../src/ips/catalog.js'
import { nowCatalogTime } from '../../src/ips/timestamp.js'
import { type CatalogPart, CatalogParts } from '../../src/store/catalog-parts.js'
import { catalogRevision } from '../../src/store/catalog-seal.js'
import { recordCatalogChange } from '../../src/store/catalog-writer.js'
import { addToCatalog, ensurePublisher, storePackage } from '../../src/store/publish.js'
import { catalogFileBytes, Repository } from '../../src/store/repository.js'
import { tempDir } from '../helpers/depot.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

/** A deterministic sequence of stems, some non-ASCII, interleaving in code-point order. */
function stemAt (i: number): string {
  const names = ['web/nginx', 'library/zlib', 'locale/é', 'text/😀', 'a', 'z/z', 'text/\uffef', 'developer/gcc']
  return `${names[i % names.length]!}/${(i * 7919) % 23}`
}

/** `o.fail` throws inside the publish's transaction; `o.quiet` commits without telling the repository (no background seal). */
function publish (repo: Repository, publisher: string, stem: string, version: string, o: { fail?: boolean, quiet?: boolean } = {}): void {
  const manifest = Buffer.from(`set name=pkg.fmri value=pkg://${publisher}/${stem}@${version}\nset name=pkg.summary value="${stem} ${version}"\n`)
  repo.db.transaction(() => {
    const id = storePackage(repo.db, { publisher, stem, version, published: nowCatalogTime(), manifest, sha1: sha1(manifest), payloads: [] })
    addToCatalog(repo.db, publisher, [id], nowCatalogTime())
    if (o.fail === true) throw new Error('the publish failed after its catalog change was recorded')
  })()
  if (o.quiet !== true) repo.noteWrite()
}

/** The part as pkg5 would write it from scratch, from the catalog rows. */
function expectedBase (repo: Repository, publisher: string): Buffer {
  const rows = repo.db.prepare('SELECT stem, version, manifest_sha1 FROM package WHERE publisher = ? AND in_catalog = 1').all(publisher) as Array<{ stem: string, version: string, manifest_sha1: string }>
  const entries: VersionEntry[] = rows.map(r => ({ stem: r.stem, version: r.version, entry: { 'signature-sha-1': r.manifest_sha1 } }))
  return buildPart(publisher, entries, 'legacy').bytes
}

function withRepos (t: Test, count: number): Repository[] {
  const data = tempDir()
  const repos = Array.from({ length: count }, () => new Repository(data))
  t.teardown(() => { for (const r of repos) r.close(); fs.rmSync(data, { recursive: true, force: true }) })
  repos[0]!.db.transaction(() => ensurePublisher(repos[0]!.db, 'acme', nowCatalogTime(), 'legacy'))()
  return repos
}

async function served (repo: Repository, name: string): Promise<Buffer> {
  return catalogFileBytes((await repo.catalogFile('acme', name))!)
}

t.test('parts sealed after each publish are the parts built from scratch, on every connection', async t => {
  const [writer, reader] = withRepos(t, 2) as [Repository, Repository]
  for (let i = 0; i < 60; i++) {
    publish(writer, 'acme', stemAt(i), `1.${i},5.11:20260101T000000Z`)
    const expected = expectedBase(writer, 'acme')
    // The writer and the reader take turns sealing: each finds the other's seal and its changes pruned.
    const first = i % 2 === 0 ? writer : reader
    if (first === reader) await new Promise(resolve => setTimeout(resolve, 110))
    if (!(await served(first, 'catalog.base.C')).equals(expected)) { t.fail(`publish ${i}: a stale or wrong part`); return }
    await new Promise(resolve => setTimeout(resolve, 110))
    const other = first === writer ? reader : writer
    if (!(await served(other, 'catalog.base.C')).equals(expected)) { t.fail(`publish ${i}: the other connection serves a stale part`); return }
  }
  const attrs = verifyCatalogFile(await served(writer, 'catalog.attrs')).data
  t.equal(attrs['package-version-count'], 60)
  t.equal(attrs['package-count'], new Set(Array.from({ length: 60 }, (_, i) => stemAt(i))).size)
  t.equal((attrs.parts as { [k: string]: { 'signature-sha-1': string } })['catalog.base.C']!['signature-sha-1'], verifyCatalogFile(await served(reader, 'catalog.base.C')).signature)
})

t.test('a publish only records its change; the seal signs it after the commit', async t => {
  const [repo] = withRepos(t, 1) as [Repository]
  publish(repo, 'acme', 'web/nginx', '1.0,5.11:20260101T000000Z')
  const before = await served(repo, 'catalog.attrs')
  const stored = (): unknown => repo.db.prepare("SELECT signature FROM catalog_file WHERE publisher = 'acme' AND name = 'catalog.attrs'").pluck().get()
  const sealedAttrs = stored()
  publish(repo, 'acme', 'web/apache', '1.0,5.11:20260101T000000Z', { quiet: true })
  const at = catalogRevision(repo.db, 'acme')!
  t.equal(stored(), sealedAttrs, 'the commit left catalog.attrs as it was')
  t.ok(at.sealed < at.revision, 'the change waits for a seal')
  repo.noteWrite()
  const after = verifyCatalogFile(await served(repo, 'catalog.attrs'))
  t.not(after.signature, verifyCatalogFile(before).signature)
  t.equal(after.data['package-version-count'], 2, 'a reader waits for the seal covering the publish it follows')
  const part = await served(repo, 'catalog.base.C')
  t.ok(part.equals(expectedBase(repo, 'acme')))
  t.equal((after.data.parts as { [k: string]: { 'signature-sha-1': string } })['catalog.base.C']!['signature-sha-1'], verifyCatalogFile(part).signature, 'catalog.attrs lists the served part')
  t.equal(repo.db.prepare("SELECT COUNT(*) FROM catalog_change WHERE publisher = 'acme'").pluck().get(), 0, 'the seal pruned the changes it covered')
})

t.test('changes committed by a process that stopped before sealing are sealed at the next start', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const first = new Repository(data)
  first.db.transaction(() => ensurePublisher(first.db, 'acme', nowCatalogTime(), 'legacy'))()
  for (let i = 0; i < 5; i++) publish(first, 'acme', stemAt(i), '1.0,5.11:20260101T000000Z')
  const expected = expectedBase(first, 'acme')
  first.close()
  const next = new Repository(data)
  t.teardown(() => next.close())
  await next.warmCatalog()
  t.ok((await served(next, 'catalog.base.C')).equals(expected))
  t.equal(verifyCatalogFile(await served(next, 'catalog.attrs')).data['package-version-count'], 5)
})

t.test('a rolled back publish leaves the catalog as it was, and its revision to the next publish', async t => {
  const [repo] = withRepos(t, 1) as [Repository]
  publish(repo, 'acme', 'web/nginx', '1.0,5.11:20260101T000000Z')
  const before = await served(repo, 'catalog.base.C')
  t.throws(() => publish(repo, 'acme', 'a/first', '1.0,5.11:20260101T000000Z', { fail: true }), /publish failed/)
  t.ok((await served(repo, 'catalog.base.C')).equals(before))
  publish(repo, 'acme', 'a/second', '1.0,5.11:20260101T000000Z')
  t.ok((await served(repo, 'catalog.base.C')).equals(expectedBase(repo, 'acme')), 'the sealer patched in the committed publish, not the rolled back one')
})

const entryOf = (stem: string, tag: string): VersionEntry => ({ stem, version: '1', entry: { 'signature-sha-1': tag } })
const bytesOf = (part: CatalogPart): Buffer => Buffer.concat(part.chunks)
/** The blocks of memory a part's pages are in (head and tail aside). */
const pageMemory = (part: CatalogPart): ArrayBufferLike[] => part.chunks.slice(1, -1).map(c => c.buffer)

/**
 * A new publisher's catalog.base.C, advanced through `CatalogParts` with
 * pages of `pageBytes`, by changes recorded as a publish or a regeneration
 * records them.
 */
function pagedPart (repo: Repository, publisher: string, pageBytes: number): { set: (stems: ReadonlyMap<string, string | null>, everything?: boolean) => CatalogPart, fresh: () => CatalogPart, expected: () => Buffer, stems: () => number } {
  const db = repo.db
  db.transaction(() => ensurePublisher(db, publisher, nowCatalogTime(), 'legacy'))()
  let parts = new CatalogParts(db, pageBytes)
  const now = new Map<string, string>()
  const advance = (): CatalogPart => parts.advance(publisher, 'catalog.base.C', catalogRevision(db, publisher)!)
  return {
    /** Sets each stem's entry to carry `tag` (null: removes the stem); `everything`: records the change as a full regeneration does. */
    set: (stems, everything = false) => db.transaction(() => {
      const revision = db.prepare('UPDATE publisher SET catalog_revision = catalog_revision + 1 WHERE name = ? RETURNING catalog_revision').pluck().get(publisher) as number
      for (const [stem, tag] of stems) {
        db.prepare("DELETE FROM catalog_part_stem WHERE publisher = ? AND part = 'catalog.base.C' AND stem = ?").run(publisher, stem)
        if (tag === null) now.delete(stem); else now.set(stem, tag)
        if (tag !== null) db.prepare("INSERT INTO catalog_part_stem (publisher, part, stem, fragment, versions) VALUES (?, 'catalog.base.C', ?, ?, 1)").run(publisher, stem, partFragment(stem, [entryOf(stem, tag)], 'legacy'))
        if (!everything) db.prepare("INSERT INTO catalog_change (publisher, revision, name, stem) VALUES (?, ?, 'catalog.base.C', ?)").run(publisher, revision, stem)
      }
      if (everything) db.prepare("INSERT INTO catalog_change (publisher, revision, name) VALUES (?, ?, '*')").run(publisher, revision)
      return advance()
    })(),
    /** The part as a new catalog worker (nothing in memory) builds it. */
    fresh: () => { parts = new CatalogParts(db, pageBytes); return db.transaction(advance)() },
    stems: () => now.size,
    expected: () => buildPart(publisher, [...now].map(([stem, tag]) => entryOf(stem, tag)), 'legacy').bytes
  }
}

t.test('a paged part, patched by any changes, is the part built from scratch, whatever the page size', async t => {
  const [repo] = withRepos(t, 1) as [Repository]
  let run = 0
  const stem = fc.oneof(fc.constantFrom('a', 'b', 'é', '😀', 'z/z', '\uffef', 'web/nginx'), fc.string({ minLength: 1, maxLength: 6 }))
  const batch = fc.array(fc.tuple(stem, fc.option(fc.string({ maxLength: 60 }), { nil: null, freq: 4 })), { minLength: 1, maxLength: 16 })
  fc.assert(fc.property(fc.integer({ min: 1, max: 400 }), fc.array(fc.tuple(batch, fc.boolean()), { minLength: 1, maxLength: 12 }), (pageBytes, batches) => {
    const part = pagedPart(repo, `p${run++}`, pageBytes)
    for (const [changes, everything] of batches) {
      const got = part.set(new Map(changes), everything && changes.length % 3 === 0)
      const expected = part.expected()
      if (!bytesOf(got).equals(expected)) return false
      if (got.size !== expected.length || got.signature !== verifyCatalogFile(expected).signature) return false
      if (got.stemCount !== part.stems() || got.versionCount !== part.stems()) return false
    }
    return bytesOf(part.fresh()).equals(part.expected())
  }), { numRuns: 150 })
  t.pass('150 generated histories')
})

t.test('a patch allocates only the pages it changed; a regeneration that changes nothing, none', async t => {
  const [repo] = withRepos(t, 1) as [Repository]
  const part = pagedPart(repo, 'acme2', 512)
  const stems = Array.from({ length: 400 }, (_, i) => `library/s${String(i).padStart(4, '0')}`)
  const before = part.set(new Map(stems.map(s => [s, 'v1'])))
  const pages = pageMemory(before)
  t.ok(pages.length > 20, `${pages.length} pages`)
  const patched = part.set(new Map([[stems[200]!, 'v2']]))
  const fresh = pageMemory(patched).filter(m => !pages.includes(m))
  t.equal(fresh.length, 1, 'one stem changed: one new page')
  t.ok(bytesOf(patched).equals(part.expected()))
  const regenerated = part.set(new Map(), true)
  t.same(pageMemory(regenerated).filter(m => !pageMemory(patched).includes(m)), [], 'a full regeneration to the same bytes keeps every page')
  t.equal(regenerated.signature, patched.signature)
})

t.test('a seal that fails leaves the catalog as last sealed, served, until a later change seals', async t => {
  const [repo] = withRepos(t, 1) as [Repository]
  publish(repo, 'acme', 'web/nginx', '1.0,5.11:20260101T000000Z')
  const attrs = await served(repo, 'catalog.attrs')
  const part = await served(repo, 'catalog.base.C')
  // A change the sealer cannot sign: an update-log entry whose recorded parts are not JSON.
  const log = 'update.20260101T00Z.C'
  const breakLog = (): void => repo.db.transaction(() => {
    repo.db.prepare("INSERT INTO update_log_entry (publisher, log, stem, version, op_type, op_time, parts) VALUES ('acme', ?, 'web/broken', '1.0', 'add', 0, '{')").run(log)
    repo.db.prepare("INSERT INTO catalog_stamp (publisher, name, last_modified) VALUES ('acme', ?, 0)").run(log)
    recordCatalogChange(repo.db, 'acme', new Set([log]), new Set())
  })()
  breakLog()
  const warnings: string[] = []
  const onWarning = (w: Error): void => { warnings.push(w.message) }
  process.on('warning', onWarning)
  t.teardown(() => { process.off('warning', onWarning) })
  repo.noteWrite()
  t.ok((await served(repo, 'catalog.attrs')).equals(attrs), 'catalog.attrs as last sealed')
  t.ok((await served(repo, 'catalog.base.C')).equals(part), 'and the part it lists')
  await new Promise(resolve => setImmediate(resolve))
  t.match(warnings.join('\n'), /acme: the catalog worker failed: .*JSON.*serving the catalog as last sealed/)
  repo.db.prepare("DELETE FROM update_log_entry WHERE stem = 'web/broken'").run()
  publish(repo, 'acme', 'web/apache', '1.0,5.11:20260101T000000Z')
  const healed = verifyCatalogFile(await served(repo, 'catalog.attrs')).data
  t.equal(healed['package-version-count'], 2, 'the next change is sealed, with the one that failed')
  t.ok(Object.keys(healed.updates as object).includes(log))
})
