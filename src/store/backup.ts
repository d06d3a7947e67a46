/**
 * Online backups. The catalog of record is copied with SQLite's `VACUUM
 * INTO` from a read transaction, so the copy is one consistent snapshot
 * taken while the depot serves and publishes (copying depot.sqlite alone
 * would lose what still sits in its -wal). Payloads are immutable and named
 * by content: those the snapshot references are copied after it, from the
 * file store or the bucket, and only when the destination lacks them, so
 * the next backup into the same directory copies only what is new. The
 * depot's signing keys go along.
 *
 * Neither direction follows a symbolic link below the directory it is
 * given: a link planted in a destination could carry the signing key
 * elsewhere, one planted in a backup could bring any file of the machine
 * into the payload store or keys/. Each restored payload is checked
 * against its name (and its chash) before it is copied.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase } from './db.js'
import { digestGzipFile } from './payload-digests.js'
import { copyPayloads } from './payload-copy.js'
import { FilePayloads } from './payload-files.js'
import { referencedPayloads } from './payload-references.js'
import type { PayloadBackend } from './payload-store.js'

const DB = 'depot.sqlite'

export interface BackupResult { readonly databaseBytes: number, readonly copied: number, readonly present: number, readonly missing: readonly string[] }

/** A backup or restore refused: a link, a payload that is not what its name says, a source that is no backup. */
export class BackupRefusedError extends Error {
  readonly code = 'ERR_BACKUP_REFUSED'
}

/** Refuses a tree that holds a symbolic link anywhere below its root (the root itself is the operator's to choose). */
function refuseLinks (root: string): void {
  if (!fs.existsSync(root)) return
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isSymbolicLink()) throw new BackupRefusedError(`${p} is a symbolic link: a backup or restore follows none; remove it`)
      if (e.isDirectory()) walk(p)
    }
  }
  walk(root)
}

/** The payload hashes a database file references. */
function payloadsOf (dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true })
  try { return referencedPayloads(db) } finally { db.close() }
}

/** Copies a file by way of a temporary name, so that a reader never sees half of it. */
function copyAtomically (from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  const tmp = `${to}.partial`
  // Removed first and created exclusively: a link put there in between is not written through.
  fs.rmSync(tmp, { force: true })
  fs.copyFileSync(from, tmp, fs.constants.COPYFILE_EXCL)
  fs.renameSync(tmp, to)
}

function copyKeys (from: string, to: string): void {
  const keys = path.join(from, 'keys')
  if (!fs.existsSync(keys)) return
  fs.mkdirSync(path.join(to, 'keys'), { recursive: true, mode: 0o700 })
  for (const f of fs.readdirSync(keys)) copyAtomically(path.join(keys, f), path.join(to, 'keys', f))
}

/**
 * Backs up `dataDir`, its payloads read from `payloads` (wherever they
 * are), into `dest` (created if need be; a previous backup there is
 * brought up to date). A backup is always a directory with a file store.
 */
export async function backup (dataDir: string, payloads: PayloadBackend, dest: string): Promise<BackupResult> {
  refuseLinks(dest)
  fs.mkdirSync(dest, { recursive: true })
  const snapshot = path.join(dest, `${DB}.partial`)
  fs.rmSync(snapshot, { force: true })
  const db = openDatabase(path.join(dataDir, DB), { readonly: true })
  try {
    db.prepare('VACUUM INTO ?').run(snapshot)
  } finally {
    db.close()
  }
  fs.renameSync(snapshot, path.join(dest, DB))
  const target = new FilePayloads(dest)
  const { copied, present, missing } = await copyPayloads(payloads, target, payloadsOf(path.join(dest, DB)), path.join(dest, 'tmp'))
  fs.rmSync(path.join(dest, 'tmp'), { recursive: true, force: true })
  copyKeys(dataDir, dest)
  return { databaseBytes: fs.statSync(path.join(dest, DB)).size, copied, present, missing }
}

/** The chash recorded for each payload, the catalog's and open transactions'. */
function chashesOf (dbFile: string): Map<string, string> {
  const db = new Database(dbFile, { readonly: true })
  try {
    return new Map(db.prepare('SELECT hash, chash FROM payload UNION ALL SELECT hash, chash FROM pub_transaction_payload').raw().all() as Array<[string, string]>)
  } finally { db.close() }
}

/** Checks every payload of a backup against its name and chash, streamed; returns how many were checked. */
async function checkPayloads (src: string, hashes: readonly string[]): Promise<number> {
  const chashes = chashesOf(path.join(src, DB))
  const store = new FilePayloads(src, { create: false })
  let checked = 0
  for (const hash of hashes) {
    const chash = chashes.get(hash) ?? null
    const file = store.localPath(hash)
    if (!fs.existsSync(file)) continue
    const d = await digestGzipFile(file).catch((err: Error) => { throw new BackupRefusedError(`payload ${hash} in ${file} is not a gzip stream: ${err.message}`) })
    if (d.hash !== hash) throw new BackupRefusedError(`payload ${hash} in ${file} is not what its name says (its content has SHA-1 ${d.hash}); the backup is damaged`)
    if (chash !== null && d.chash !== chash) throw new BackupRefusedError(`payload ${hash} in ${file} does not match its chash ${chash} (it is ${d.chash}); the backup is damaged`)
    checked++
  }
  return checked
}

/** Brings a backup back into an empty data directory, its payloads into `payloads` (the configured backend). */
export async function restore (src: string, dataDir: string, payloads: PayloadBackend): Promise<BackupResult & { readonly checked: number }> {
  if (!fs.existsSync(path.join(src, DB))) throw new BackupRefusedError(`${src} holds no backup (no ${DB})`)
  refuseLinks(src)
  if (fs.existsSync(path.join(dataDir, DB))) throw new Error(`${dataDir} already holds a repository (${DB}); restore into an empty data directory`)
  const hashes = payloadsOf(path.join(src, DB))
  const checked = await checkPayloads(src, hashes)
  fs.mkdirSync(path.join(dataDir, 'tmp'), { recursive: true })
  const { copied, present, missing } = await copyPayloads(new FilePayloads(src, { create: false }), payloads, hashes, path.join(dataDir, 'tmp'))
  copyKeys(src, dataDir)
  // The database last: a data directory with a database is a repository, and must have its payloads.
  copyAtomically(path.join(src, DB), path.join(dataDir, DB))
  return { databaseBytes: fs.statSync(path.join(dataDir, DB)).size, copied, present, missing, checked }
}
