/**
 * Generates a publisher's catalog/1 files from the catalog tables and
 * stores them in catalog_file, the snapshot readers are served from.
 * Callers run this inside the transaction that changed the rows, so the
 * snapshot and the rows never disagree. Only the files named are rebuilt;
 * catalog.attrs always is, since it lists every file's signature.
 */
import type { JsonValue } from '../ips/canonical-json.js'
import {
  buildCatalogAttrs, type CatalogFormat, partFragment, buildUpdateLog, type FileStamp, PART_NAME,
  UPDATE_LOG_NAME, type UpdateLogEntry, type VersionEntry
} from '../ips/catalog.js'
import { type CatalogPart, catalogParts, type StemFragment } from './catalog-parts.js'
import type { Db } from './db.js'

interface StampRow { name: string, last_modified: number }

export function catalogStamps (db: Db, publisher: string): Map<string, bigint> {
  const rows = db.prepare('SELECT name, last_modified FROM catalog_stamp WHERE publisher = ?').all(publisher) as StampRow[]
  return new Map(rows.map(r => [r.name, BigInt(r.last_modified)]))
}

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

/**
 * A part after a change: only the given stems re-serialized (a publish)
 * when the part has fragments already, else every stem.
 */
function generatePart (db: Db, publisher: string, part: string, format: CatalogFormat, stems: ReadonlySet<string> | undefined): CatalogPart {
  const parts = catalogParts(db)
  const fragment = (stem: string, list: VersionEntry[]): StemFragment => ({ fragment: partFragment(stem, list, format), versions: list.length })
  const hasFragments = db.prepare('SELECT 1 FROM catalog_part_stem WHERE publisher = ? AND part = ? LIMIT 1').get(publisher, part) !== undefined
  if (stems !== undefined && hasFragments) {
    const changes = new Map<string, StemFragment | null>()
    for (const stem of stems) {
      const list = entries(db, publisher, part, stem)
      changes.set(stem, list.length === 0 ? null : fragment(stem, list))
    }
    return parts.update(publisher, part, changes)
  }
  const byStem = new Map<string, VersionEntry[]>()
  for (const e of entries(db, publisher, part, null)) {
    const list = byStem.get(e.stem)
    if (list) list.push(e); else byStem.set(e.stem, [e])
  }
  return parts.replace(publisher, part, new Map([...byStem].map(([stem, list]) => [stem, fragment(stem, list)])))
}

function logEntries (db: Db, publisher: string, log: string): UpdateLogEntry[] {
  const rows = db.prepare('SELECT stem, version, op_type, op_time, parts FROM update_log_entry WHERE publisher = ? AND log = ? ORDER BY id')
    .all(publisher, log) as Array<{ stem: string, version: string, op_type: 'add' | 'remove', op_time: number, parts: string }>
  return rows.map(r => ({ stem: r.stem, version: r.version, opType: r.op_type, opTime: BigInt(r.op_time), parts: JSON.parse(r.parts) as { [k: string]: JsonValue } }))
}


/**
 * Regenerates the named catalog files (all when `only` is absent); with
 * `stems`, parts are updated for those stems only.
 */
export function regenerateCatalog (db: Db, publisher: string, only?: ReadonlySet<string>, stems?: ReadonlySet<string>): void {
  const stamps = catalogStamps(db, publisher)
  const putMeta = db.prepare(`INSERT INTO catalog_file (publisher, name, signature, last_modified) VALUES (?, ?, ?, ?)
    ON CONFLICT (publisher, name) DO UPDATE SET signature = excluded.signature, last_modified = excluded.last_modified`)
  const putBody = db.prepare(`INSERT INTO catalog_file_body (publisher, name, body) VALUES (?, ?, ?)
    ON CONFLICT (publisher, name) DO UPDATE SET body = excluded.body`)
  const signatures = new Map<string, string>()
  const existing = db.prepare('SELECT name, signature FROM catalog_file WHERE publisher = ?').all(publisher) as Array<{ name: string, signature: string }>
  for (const r of existing) signatures.set(r.name, r.signature)
  // A full regeneration drops files no longer listed; an incremental one only adds or replaces.
  if (!only) {
    db.prepare("DELETE FROM catalog_file WHERE publisher = ? AND name <> 'catalog.attrs' AND name NOT IN (SELECT name FROM catalog_stamp WHERE publisher = ?)")
      .run(publisher, publisher)
  }

  const pub = db.prepare('SELECT catalog_created, catalog_last_modified, catalog_format FROM publisher WHERE name = ?')
    .get(publisher) as { catalog_created: number, catalog_last_modified: number, catalog_format: CatalogFormat }
  // Update logs and catalog.attrs are stored whole; parts only as their
  // signature, their bytes being rebuilt from the stem fragments.
  for (const [name, lastModified] of stamps) {
    if (only && !only.has(name) && signatures.has(name)) continue
    if (UPDATE_LOG_NAME.test(name)) {
      const log = buildUpdateLog(publisher, logEntries(db, publisher, name), pub.catalog_format)
      putMeta.run(publisher, name, log.signature, lastModified)
      putBody.run(publisher, name, log.bytes)
      signatures.set(name, log.signature)
    } else {
      const part = generatePart(db, publisher, name, pub.catalog_format, stems)
      putMeta.run(publisher, name, part.signature, lastModified)
      signatures.set(name, part.signature)
    }
  }

  const base = catalogParts(db).current(publisher, 'catalog.base.C')
  const parts = new Map<string, FileStamp>()
  const updates = new Map<string, FileStamp>()
  for (const [name, lastModified] of stamps) {
    const target = PART_NAME.test(name) ? parts : updates
    target.set(name, { lastModified, signature: signatures.get(name)! })
  }
  const attrs = buildCatalogAttrs({
    created: BigInt(pub.catalog_created),
    lastModified: BigInt(pub.catalog_last_modified),
    packageCount: base.stemCount,
    packageVersionCount: base.versionCount,
    parts,
    updates
  }, pub.catalog_format)
  putMeta.run(publisher, 'catalog.attrs', attrs.signature, pub.catalog_last_modified)
  putBody.run(publisher, 'catalog.attrs', attrs.bytes)
}
