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
import { StoredPartSigner } from './catalog-parts.js'
import { catalogRevision, catalogStamps, sealCatalog } from './catalog-seal.js'
import type { Db } from './db.js'

/** The entries of a part for the stems from `first` to `last`, in code-point order. */
function entries (db: Db, publisher: string, part: string, first: string, last: string = first): VersionEntry[] {
  if (part === 'catalog.base.C') {
    const rows = db.prepare('SELECT p.stem, p.version, p.manifest_sha1 FROM package p WHERE p.publisher = ? AND p.in_catalog = 1 AND p.stem BETWEEN ? AND ?')
      .all(publisher, first, last) as Array<{ stem: string, version: string, manifest_sha1: string }>
    return rows.map(r => ({ stem: r.stem, version: r.version, entry: { 'signature-sha-1': r.manifest_sha1 } }))
  }
  const rows = db.prepare(`SELECT p.stem, p.version, pp.actions FROM package_part pp JOIN package p ON p.id = pp.package_id
    WHERE p.publisher = ? AND p.in_catalog = 1 AND p.stem BETWEEN ? AND ? AND pp.part = ?`).all(publisher, first, last, part) as Array<{ stem: string, version: string, actions: string }>
  return rows.map(r => ({ stem: r.stem, version: r.version, entry: { actions: JSON.parse(r.actions) as JsonValue } }))
}

/** Stems a regeneration serializes at a time: it never holds a whole part's entries (every version's parsed actions) in memory. */
const REGENERATE_STEMS = 256

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
  const nextStems = db.prepare('SELECT DISTINCT stem FROM package WHERE publisher = ? AND in_catalog = 1 AND stem > ? ORDER BY stem LIMIT ?').pluck()
  const parts = [...catalogStamps(db, publisher).keys()].filter(name => PART_NAME.test(name))
  for (let stems = nextStems.all(publisher, '', REGENERATE_STEMS) as string[]; stems.length > 0; stems = nextStems.all(publisher, stems.at(-1), REGENERATE_STEMS) as string[]) {
    for (const part of parts) {
      const byStem = new Map<string, VersionEntry[]>()
      for (const e of entries(db, publisher, part, stems[0]!, stems.at(-1))) {
        const list = byStem.get(e.stem)
        if (list) list.push(e); else byStem.set(e.stem, [e])
      }
      for (const [stem, list] of byStem) insert.run(publisher, part, stem, partFragment(stem, list, format), list.length)
    }
  }
  db.prepare("INSERT INTO catalog_change (publisher, revision, name) VALUES (?, ?, '*')").run(publisher, nextRevision(db, publisher))
  // Signed without keeping pages: this transaction may yet roll back, and nothing built from it may outlive that.
  sealCatalog(db, new StoredPartSigner(db), publisher)
}
