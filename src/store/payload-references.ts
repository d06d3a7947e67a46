/**
 * Which payloads each package's manifest needs (package_payload): written
 * with the package, and what tells a removal, inside its transaction,
 * which payloads no package needs any more.
 */
import { manifestPayloads, parseManifest } from '../ips/manifest.js'
import type { Db } from './db.js'

export function recordPackagePayloads (db: Db, packageId: number | bigint, hashes: Iterable<string>): void {
  const ins = db.prepare('INSERT OR IGNORE INTO package_payload (package_id, hash) VALUES (?, ?)')
  for (const h of hashes) ins.run(packageId, h)
}

/** A database from before package_payload learns, once, which payloads each stored manifest needs. */
export function backfillPayloadReferences (db: Db): void {
  const pending = db.prepare("SELECT 1 FROM repository_setting WHERE key = 'backfill/package_payload'").pluck()
  if (pending.get() === undefined) return
  db.transaction(() => {
    const manifest = db.prepare('SELECT manifest FROM package WHERE id = ?').pluck()
    for (const id of db.prepare('SELECT id FROM package').pluck().all() as number[]) {
      recordPackagePayloads(db, id, manifestPayloads(parseManifest((manifest.get(id) as Buffer).toString('utf8'))))
    }
    db.prepare("DELETE FROM repository_setting WHERE key = 'backfill/package_payload'").run()
  })()
}

/** Every payload the repository must keep: those of published packages and of open transactions. */
export function referencedPayloads (db: Db): string[] {
  return db.prepare('SELECT hash FROM payload UNION SELECT hash FROM pub_transaction_payload').pluck().all() as string[]
}
