/**
 * Committing packages to the catalog of record, incrementally: one op-time
 * per operation shared by the update-log entries, every touched part and
 * catalog.attrs, and only the touched catalog files regenerated — all in
 * the caller's transaction, so a crash leaves the old catalog or the whole
 * package.
 */
import type { CatalogFormat } from '../ips/catalog.js'
import type { JsonValue } from '../ips/canonical-json.js'
import { catalogPartActions, manifestPayloads, parseManifest } from '../ips/manifest.js'
import { type CatalogTime, nowCatalogTime, updateLogName } from '../ips/timestamp.js'
import { BadRequestError } from '../errors.js'
import { isValidPublisher } from '../ips/fmri.js'
import type { Repository } from './repository.js'
import { recordCatalogChange, regenerateCatalog } from './catalog-writer.js'
import type { Db } from './db.js'
import type { PayloadDigests } from './payload-digests.js'
import { indexPackage } from './search-index.js'
import { recordPackagePayloads } from './payload-references.js'

/** Creates a publisher, in the given catalog format, unless it exists (whose format stays). */
export function ensurePublisher (db: Db, name: string, now: CatalogTime, format: CatalogFormat): void {
  db.prepare('INSERT INTO publisher (name, catalog_created, catalog_last_modified, catalog_format) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING').run(name, now, now, format)
  if ((db.prepare("SELECT COUNT(*) FROM catalog_file WHERE publisher = ? AND name = 'catalog.attrs'").pluck().get(name) as number) === 0) regenerateCatalog(db, name)
}

/** pkgrepo add-publisher: an empty publisher with an empty catalog, optionally the repository default. */
export function addPublisher (repo: Repository, name: string, makeDefault: boolean, format: CatalogFormat): void {
  if (!isValidPublisher(name)) throw new BadRequestError(`'${name}' is not a valid publisher name.`)
  repo.db.transaction(() => {
    ensurePublisher(repo.db, name, nowCatalogTime(), format)
    if (makeDefault) repo.db.prepare("INSERT INTO repository_setting (key, value) VALUES ('publisher/prefix', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(name)
  }).immediate()
  repo.noteWrite()
}

export interface NewPackage {
  readonly publisher: string
  readonly stem: string
  readonly version: string
  readonly published: CatalogTime
  readonly manifest: Buffer
  readonly sha1: string
  readonly payloads: readonly PayloadDigests[]
}

/** Stores a package (not yet in the catalog) with its part entries, payloads and search index rows. */
export function storePackage (db: Db, p: NewPackage): number {
  const id = Number(db.prepare('INSERT INTO package (publisher, stem, version, published, manifest, manifest_sha1, in_catalog) VALUES (?, ?, ?, ?, ?, ?, 0)')
    .run(p.publisher, p.stem, p.version, p.published, p.manifest, p.sha1).lastInsertRowid)
  const text = p.manifest.toString('utf8')
  const actions = parseManifest(text)
  const insPart = db.prepare('INSERT INTO package_part (package_id, part, actions) VALUES (?, ?, ?)')
  for (const [part, list] of catalogPartActions(actions)) insPart.run(id, part, JSON.stringify(list))
  insertPayloads(db, p.publisher, p.payloads, p.published)
  recordPackagePayloads(db, id, manifestPayloads(actions))
  indexPackage(db, id, text)
  return id
}

function insertPayloads (db: Db, publisher: string, payloads: readonly PayloadDigests[], published: CatalogTime): void {
  const insPayload = db.prepare(`INSERT INTO payload (hash, chash, gzip_sha256, file_sha256, size, csize, first_published) VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (hash) DO NOTHING`)
  const insPub = db.prepare('INSERT OR IGNORE INTO publisher_payload (publisher, hash) VALUES (?, ?)')
  const insAlias = db.prepare('INSERT OR IGNORE INTO payload_alias (digest, hash) VALUES (?, ?)')
  for (const d of payloads) {
    insPayload.run(d.hash, d.chash, d.gzipSha256, d.fileSha256, d.size, d.csize, published)
    insPub.run(publisher, d.hash)
    insAlias.run(`gzip:sha256:${d.gzipSha256}`, d.hash)
    insAlias.run(`file:sha256:${d.fileSha256}`, d.hash)
  }
}

/**
 * What a version contributes to each catalog part, grouped by the locale
 * of its update log: exactly the part entries (with their version), which
 * is what an "add" or a "remove" entry of the log carries.
 */
function logEntries (db: Db, packageId: number, version: string, sha1: string): Map<string, { [part: string]: JsonValue }> {
  const byLocale = new Map<string, { [part: string]: JsonValue }>([['C', { 'catalog.base.C': { 'signature-sha-1': sha1, version } }]])
  for (const r of db.prepare('SELECT part, actions FROM package_part WHERE package_id = ?').all(packageId) as Array<{ part: string, actions: string }>) {
    const locale = r.part.slice(r.part.lastIndexOf('.') + 1)
    const entries = byLocale.get(locale) ?? {}
    entries[r.part] = { actions: JSON.parse(r.actions) as JsonValue, version }
    byLocale.set(locale, entries)
  }
  return byLocale
}

/**
 * Logs one operation on packages of a publisher at one op-time: each gets
 * an entry in the hourly update log of its locale(s); the parts it
 * touches, those logs and catalog.attrs take the op-time, and the touched
 * stems are re-serialized. `change` runs between logging and recording:
 * it changes the package rows the parts are rebuilt from.
 */
function logCatalogOperation (db: Db, publisher: string, opType: 'add' | 'remove', packageIds: readonly number[], opTime: CatalogTime, change: (id: number) => void): void {
  const touched = new Set<string>()
  const stems = new Set<string>()
  const pkgRow = db.prepare('SELECT stem, version, manifest_sha1 FROM package WHERE id = ? AND publisher = ?')
  const insLog = db.prepare('INSERT INTO update_log_entry (publisher, log, stem, version, op_type, op_time, parts) VALUES (?, ?, ?, ?, ?, ?, ?)')
  for (const id of packageIds) {
    const p = pkgRow.get(id, publisher) as { stem: string, version: string, manifest_sha1: string }
    stems.add(p.stem)
    for (const [locale, parts] of logEntries(db, id, p.version, p.manifest_sha1)) {
      const log = updateLogName(opTime, locale)
      insLog.run(publisher, log, p.stem, p.version, opType, opTime, JSON.stringify(parts))
      touched.add(log)
      for (const part of Object.keys(parts)) touched.add(part)
    }
    change(id)
  }
  stampCatalogFiles(db, publisher, touched, opTime)
  recordCatalogChange(db, publisher, touched, stems)
}

function stampCatalogFiles (db: Db, publisher: string, names: Iterable<string>, opTime: CatalogTime): void {
  const stamp = db.prepare(`INSERT INTO catalog_stamp (publisher, name, last_modified) VALUES (?, ?, ?)
    ON CONFLICT (publisher, name) DO UPDATE SET last_modified = excluded.last_modified`)
  for (const name of names) stamp.run(publisher, name, opTime)
  db.prepare('UPDATE publisher SET catalog_last_modified = ? WHERE name = ?').run(opTime, publisher)
}

/** Adds stored packages to their publisher's catalog at one op-time, each logged as an "add". */
export function addToCatalog (db: Db, publisher: string, packageIds: readonly number[], opTime: CatalogTime): void {
  if (packageIds.length === 0) return
  const enter = db.prepare('UPDATE package SET in_catalog = 1 WHERE id = ?')
  logCatalogOperation(db, publisher, 'add', packageIds, opTime, id => { enter.run(id) })
}

/**
 * Deletes packages of a publisher (their parts, search rows and payload
 * references go with them). Those in the catalog are logged as a "remove"
 * carrying the entries they had, which is what a client deletes; the
 * others (stored, never added) leave no trace in the catalog.
 */
export function removeFromCatalog (db: Db, publisher: string, packageIds: readonly number[], opTime: CatalogTime): void {
  const del = db.prepare('DELETE FROM package WHERE id = ?')
  const listed = db.prepare('SELECT in_catalog FROM package WHERE id = ?').pluck()
  const inCatalog = packageIds.filter(id => listed.get(id) === 1)
  const logged = new Set(inCatalog)
  for (const id of packageIds) if (!logged.has(id)) del.run(id)
  if (inCatalog.length > 0) logCatalogOperation(db, publisher, 'remove', inCatalog, opTime, id => { del.run(id) })
}

/** Packages stored with X-IPkg-Add-To-Catalog: 0 that wait for refresh-packages. */
export function pendingPackages (db: Db, publisher: string): number[] {
  return db.prepare('SELECT id FROM package WHERE publisher = ? AND in_catalog = 0 ORDER BY id').pluck().all(publisher) as number[]
}

/**
 * Records a republished package (append/0, pkgsign): pkg5 logs it as a
 * "remove" of the old entries followed by an "add" of the new ones, so a
 * client replaying the log swaps the base entry's signature.
 */
export function replaceInCatalog (db: Db, publisher: string, packageId: number, oldSha1: string, opTime: CatalogTime): void {
  const p = db.prepare('SELECT stem, version, manifest_sha1 FROM package WHERE id = ?').get(packageId) as { stem: string, version: string, manifest_sha1: string }
  const insLog = db.prepare('INSERT INTO update_log_entry (publisher, log, stem, version, op_type, op_time, parts) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const touched = new Set<string>()
  const addTime = opTime + 1n
  for (const [opType, at, sha1] of [['remove', opTime, oldSha1], ['add', addTime, p.manifest_sha1]] as const) {
    for (const [locale, parts] of logEntries(db, packageId, p.version, sha1)) {
      const log = updateLogName(at, locale)
      insLog.run(publisher, log, p.stem, p.version, opType, at, JSON.stringify(parts))
      touched.add(log)
      for (const part of Object.keys(parts)) touched.add(part)
    }
  }
  stampCatalogFiles(db, publisher, touched, addTime)
  recordCatalogChange(db, publisher, touched, new Set([p.stem]))
}

/** Replaces a stored package's manifest (and what derives from it) in place. */
export function restorePackage (db: Db, packageId: number, manifest: Buffer, sha1: string, payloads: readonly PayloadDigests[], publisher: string, published: CatalogTime): void {
  db.prepare('UPDATE package SET manifest = ?, manifest_sha1 = ? WHERE id = ?').run(manifest, sha1, packageId)
  db.prepare('DELETE FROM package_part WHERE package_id = ?').run(packageId)
  db.prepare('DELETE FROM search_posting WHERE package_id = ?').run(packageId)
  db.prepare('DELETE FROM search_line WHERE package_id = ?').run(packageId)
  db.prepare('DELETE FROM package_payload WHERE package_id = ?').run(packageId)
  const text = manifest.toString('utf8')
  const actions = parseManifest(text)
  const insPart = db.prepare('INSERT INTO package_part (package_id, part, actions) VALUES (?, ?, ?)')
  for (const [part, list] of catalogPartActions(actions)) insPart.run(packageId, part, JSON.stringify(list))
  insertPayloads(db, publisher, payloads, published)
  recordPackagePayloads(db, packageId, manifestPayloads(actions))
  indexPackage(db, packageId, text)
}
