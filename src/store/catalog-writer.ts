/**
 * Records catalog changes in the catalog tables: the per-stem fragments of
 * each part and, in catalog_change, which files and stems a transaction
 * touched, under a new catalog revision. Callers run this inside the
 * transaction that changed the package rows. Signing the files and writing
 * catalog.attrs is the seal's job (catalog-seal.ts), done after the commit
 * for a publish and at once for a full regeneration.
 */
import type { JsonValue } from '../ips/canonical-json.js'
import { partFragment, PART_NAME, type VersionEntry } from '../ips/catalog.js'
import { CatalogParts } from './catalog-parts.js'
import { catalogRevision, catalogStamps, sealCatalog } from './catalog-seal.js'
import type { Db } from './db.js'

/** The entries of a part, for one stem or for all. */
function entries (db: Db, publisher: string, part: string, stem: string | null): VersionEntry[] {
  const byStem = stem === null ? '' : ' AND p.stem = ?'
  const args = stem === null ? [publisher] : [publisher, stem]
  if (part === 'catalog.base.C') {
    const rows = db.prepare(`SELECT p.stem, p.version, p.manifest_sha1 FROM package p WHERE p.publisher = ? AND p.in_catalog = 1${byStem}`)
      .all(...args) as Array<{ stem: string, version: string, manifest_sha1: string }>
    return rows.map(r => ({ stem: r.stem, version: r.version, entry: { 'signature-sha-1': r.manifest_sha1 } }))
  }
  const rows = db.prepare(`SELECT p.stem, p.version, pp.actions FROM package_part pp JOIN package p ON p.id = pp.package_id
    WHERE p.publisher = ? AND p.in_catalog = 1${byStem} AND pp.part = ?`).all(...args, part) as Array<{ stem: string, version: string, actions: string }>
  return rows.map(r => ({ stem: r.stem, version: r.version, entry: { actions: JSON.parse(r.actions) as JsonValue } }))
}

/** The next catalog revision of a publisher, taken by the caller's transaction. */
function nextRevision (db: Db, publisher: string): number {
  return db.prepare('UPDATE publisher SET catalog_revision = catalog_revision + 1 WHERE name = ? RETURNING catalog_revision').pluck().get(publisher) as number
}

/**
 * Records that the named files changed (catalog.attrs always does) and,
 * in the parts among them, re-serializes the given stems: the work of a
 * publish, independent of the catalog's size.
 */
export function recordCatalogChange (db: Db, publisher: string, files: ReadonlySet<string>, stems: ReadonlySet<string>): void {
  const { format } = catalogRevision(db, publisher)!
  const revision = nextRevision(db, publisher)
  const change = db.prepare('INSERT INTO catalog_change (publisher, revision, name, stem) VALUES (?, ?, ?, ?)')
  const upsert = db.prepare(`INSERT INTO catalog_part_stem (publisher, part, stem, fragment, versions) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (publisher, part, stem) DO UPDATE SET fragment = excluded.fragment, versions = excluded.versions`)
  const drop = db.prepare('DELETE FROM catalog_part_stem WHERE publisher = ? AND part = ? AND stem = ?')
  for (const name of files) {
    if (!PART_NAME.test(name)) { change.run(publisher, revision, name, null); continue }
    for (const stem of stems) {
      const list = entries(db, publisher, name, stem)
      if (list.length === 0) drop.run(publisher, name, stem)
      else upsert.run(publisher, name, stem, partFragment(stem, list, format), list.length)
      change.run(publisher, revision, name, stem)
    }
  }
}

/**
 * Regenerates every catalog file of a publisher from the catalog rows and
 * seals them, in the caller's transaction (an import, a rebuild, a new
 * publisher): when it commits, readers see the whole new catalog.
 */
export function regenerateCatalog (db: Db, publisher: string): void {
  const { format } = catalogRevision(db, publisher)!
  db.prepare('DELETE FROM catalog_part_stem WHERE publisher = ?').run(publisher)
  const insert = db.prepare('INSERT INTO catalog_part_stem (publisher, part, stem, fragment, versions) VALUES (?, ?, ?, ?, ?)')
  for (const part of catalogStamps(db, publisher).keys()) {
    if (!PART_NAME.test(part)) continue
    const byStem = new Map<string, VersionEntry[]>()
    for (const e of entries(db, publisher, part, null)) {
      const list = byStem.get(e.stem)
      if (list) list.push(e); else byStem.set(e.stem, [e])
    }
    for (const [stem, list] of byStem) insert.run(publisher, part, stem, partFragment(stem, list, format), list.length)
  }
  db.prepare("INSERT INTO catalog_change (publisher, revision, name) VALUES (?, ?, '*')").run(publisher, nextRevision(db, publisher))
  // A fresh copy of the parts: this transaction may yet roll back, and nothing built from it may outlive that.
  sealCatalog(db, new CatalogParts(db), publisher)
}
