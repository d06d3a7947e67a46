/**
 * Sealing a publisher's catalog: signing the catalog files that changed
 * since the last seal and writing catalog.attrs, which lists every file's
 * signature, for one catalog revision. Readers are served only what a seal
 * wrote, so they never see a file whose signature is not yet in
 * catalog.attrs.
 *
 * A seal is computed in one read transaction (prepareSeal: the part bytes
 * and their SHA-1, the expensive half, grow with the catalog) and written
 * in a short write transaction (commitSeal), so the catalog worker never
 * holds the write lock while it hashes.
 */
import type { JsonValue } from '../ips/canonical-json.js'
import { buildCatalogAttrs, buildUpdateLog, type CatalogFormat, type FileStamp, PART_NAME, type UpdateLogEntry } from '../ips/catalog.js'
import type { CatalogRevision, PartSource, PartSummary } from './catalog-parts.js'
import type { Db } from './db.js'

export interface SealedFile {
  readonly name: string
  readonly signature: string
  readonly lastModified: bigint
  /** Update logs and catalog.attrs are stored whole; parts are served from their fragments. */
  readonly body: Buffer | null
}

export interface Seal {
  readonly publisher: string
  readonly revision: number
  /** After a full regeneration, files the catalog no longer lists are dropped. */
  readonly full: boolean
  readonly files: readonly SealedFile[]
}

interface PublisherRevision extends CatalogRevision {
  readonly sealed: number
  readonly lastModified: number
  readonly format: CatalogFormat
}

export function catalogRevision (db: Db, publisher: string): PublisherRevision | undefined {
  return db.prepare(`SELECT catalog_revision AS revision, sealed_revision AS sealed, change_floor AS floor,
    catalog_created AS created, catalog_last_modified AS lastModified, catalog_format AS format FROM publisher WHERE name = ?`).get(publisher) as PublisherRevision | undefined
}

/** Each catalog file of a publisher (catalog.attrs aside) with its last-modified op-time. */
export function catalogStamps (db: Db, publisher: string): Map<string, bigint> {
  const rows = db.prepare('SELECT name, last_modified FROM catalog_stamp WHERE publisher = ?').all(publisher) as Array<{ name: string, last_modified: number }>
  return new Map(rows.map(r => [r.name, BigInt(r.last_modified)]))
}

function logEntries (db: Db, publisher: string, log: string): UpdateLogEntry[] {
  const rows = db.prepare('SELECT stem, version, op_type, op_time, parts FROM update_log_entry WHERE publisher = ? AND log = ? ORDER BY id')
    .all(publisher, log) as Array<{ stem: string, version: string, op_type: 'add' | 'remove', op_time: number, parts: string }>
  return rows.map(r => ({ stem: r.stem, version: r.version, opType: r.op_type, opTime: BigInt(r.op_time), parts: JSON.parse(r.parts) as { [k: string]: JsonValue } }))
}

/**
 * Every part of the publisher at the current revision (each copy in
 * `parts` brought up to it), and the seal of the changes since the last
 * one, or null when there are none. Runs in the caller's transaction.
 */
export function prepareSeal<P extends PartSummary> (db: Db, parts: PartSource<P>, publisher: string): { seal: Seal | null, revision: number, parts: P[] } {
  const pub = catalogRevision(db, publisher)
  if (pub === undefined) throw new Error(`no publisher ${publisher}`)
  const stamps = catalogStamps(db, publisher)
  const current = [...stamps.keys()].filter(name => PART_NAME.test(name)).map(name => parts.advance(publisher, name, pub))
  if (pub.sealed === pub.revision) return { seal: null, revision: pub.revision, parts: current }

  const changed = new Set(db.prepare('SELECT DISTINCT name FROM catalog_change WHERE publisher = ? AND revision > ? AND revision <= ?')
    .pluck().all(publisher, pub.sealed, pub.revision) as string[])
  const full = changed.has('*')
  const signatures = new Map((db.prepare('SELECT name, signature FROM catalog_file WHERE publisher = ?').all(publisher) as Array<{ name: string, signature: string }>)
    .map(r => [r.name, r.signature]))
  const byName = new Map(current.map(p => [p.name, p]))
  const files: SealedFile[] = []
  for (const [name, lastModified] of stamps) {
    if (!full && !changed.has(name) && signatures.has(name)) continue
    const part = byName.get(name)
    const file = part ? { name, signature: part.signature, lastModified, body: null } : sealedLog(db, publisher, name, lastModified, pub.format)
    files.push(file)
    signatures.set(name, file.signature)
  }

  const partStamps = new Map<string, FileStamp>()
  const updates = new Map<string, FileStamp>()
  for (const [name, lastModified] of stamps) (PART_NAME.test(name) ? partStamps : updates).set(name, { lastModified, signature: signatures.get(name)! })
  const base = byName.get('catalog.base.C')
  const attrs = buildCatalogAttrs({
    created: BigInt(pub.created),
    lastModified: BigInt(pub.lastModified),
    packageCount: base?.stemCount ?? 0,
    packageVersionCount: base?.versionCount ?? 0,
    parts: partStamps,
    updates
  }, pub.format)
  files.push({ name: 'catalog.attrs', signature: attrs.signature, lastModified: BigInt(pub.lastModified), body: attrs.bytes })
  return { seal: { publisher, revision: pub.revision, full, files }, revision: pub.revision, parts: current }
}

function sealedLog (db: Db, publisher: string, name: string, lastModified: bigint, format: CatalogFormat): SealedFile {
  const log = buildUpdateLog(publisher, logEntries(db, publisher, name), format)
  return { name, signature: log.signature, lastModified, body: log.bytes }
}

/**
 * Writes a seal in the caller's transaction, unless one as recent is there
 * already (another process got there first); prunes the changes it covers.
 */
export function commitSeal (db: Db, seal: Seal): boolean {
  const sealed = db.prepare('SELECT sealed_revision FROM publisher WHERE name = ?').pluck().get(seal.publisher) as number | undefined
  if (sealed === undefined || sealed >= seal.revision) return false
  const { publisher } = seal
  if (seal.full) {
    db.prepare("DELETE FROM catalog_file WHERE publisher = ? AND name <> 'catalog.attrs' AND name NOT IN (SELECT name FROM catalog_stamp WHERE publisher = ?)")
      .run(publisher, publisher)
  }
  const putMeta = db.prepare(`INSERT INTO catalog_file (publisher, name, signature, last_modified) VALUES (?, ?, ?, ?)
    ON CONFLICT (publisher, name) DO UPDATE SET signature = excluded.signature, last_modified = excluded.last_modified`)
  const putBody = db.prepare(`INSERT INTO catalog_file_body (publisher, name, body) VALUES (?, ?, ?)
    ON CONFLICT (publisher, name) DO UPDATE SET body = excluded.body`)
  for (const f of seal.files) {
    putMeta.run(publisher, f.name, f.signature, f.lastModified)
    if (f.body !== null) putBody.run(publisher, f.name, f.body)
  }
  db.prepare('UPDATE publisher SET sealed_revision = ?, change_floor = ? WHERE name = ?').run(seal.revision, seal.revision, publisher)
  db.prepare('DELETE FROM catalog_change WHERE publisher = ? AND revision <= ?').run(publisher, seal.revision)
  return true
}

/** Prepares and commits a seal in the caller's (write) transaction. */
export function sealCatalog (db: Db, parts: PartSource<PartSummary>, publisher: string): void {
  const { seal } = prepareSeal(db, parts, publisher)
  if (seal) commitSeal(db, seal)
}
