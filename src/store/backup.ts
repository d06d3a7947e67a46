/**
 * Online backups. The catalog of record is copied with SQLite's `VACUUM
 * INTO` from a read transaction, so the copy is one consistent snapshot
 * taken while the depot serves and publishes (copying depot.sqlite alone
 * would lose what still sits in its -wal). Payloads are immutable and named
 * by content: those the snapshot references are copied after it, and only
 * when the destination lacks them, so the next backup into the same
 * directory copies only what is new. The depot's signing keys go along.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { openDatabase } from './db.js'

const DB = 'depot.sqlite'

export interface BackupResult { readonly databaseBytes: number, readonly copied: number, readonly present: number, readonly missing: readonly string[] }

/** The payload hashes a database references: published packages and open transactions. */
function referencedPayloads (dbFile: string): string[] {
  const db = new Database(dbFile, { readonly: true })
  try {
    return db.prepare('SELECT hash FROM payload UNION SELECT hash FROM pub_transaction_payload').pluck().all() as string[]
  } finally {
    db.close()
  }
}

const payloadPath = (dataDir: string, hash: string): string => path.join(dataDir, 'file', hash.slice(0, 2), hash)

/** Copies a file by way of a temporary name, so that a reader never sees half of it. */
function copyAtomically (from: string, to: string): void {
  fs.mkdirSync(path.dirname(to), { recursive: true })
  const tmp = `${to}.partial`
  fs.copyFileSync(from, tmp)
  fs.renameSync(tmp, to)
}

/** Copies the payloads of `hashes` from one data directory to another where they are missing. */
function copyPayloads (from: string, to: string, hashes: readonly string[]): { copied: number, present: number, missing: string[] } {
  let copied = 0
  let present = 0
  const missing: string[] = []
  for (const hash of hashes) {
    const target = payloadPath(to, hash)
    if (fs.existsSync(target)) { present++; continue }
    const source = payloadPath(from, hash)
    if (!fs.existsSync(source)) { missing.push(hash); continue }
    copyAtomically(source, target)
    copied++
  }
  return { copied, present, missing }
}

function copyKeys (from: string, to: string): void {
  const keys = path.join(from, 'keys')
  if (!fs.existsSync(keys)) return
  fs.mkdirSync(path.join(to, 'keys'), { recursive: true, mode: 0o700 })
  for (const f of fs.readdirSync(keys)) copyAtomically(path.join(keys, f), path.join(to, 'keys', f))
}

/** Backs up `dataDir` into `dest` (created if need be; a previous backup there is brought up to date). */
export function backup (dataDir: string, dest: string): BackupResult {
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
  const { copied, present, missing } = copyPayloads(dataDir, dest, referencedPayloads(path.join(dest, DB)))
  copyKeys(dataDir, dest)
  return { databaseBytes: fs.statSync(path.join(dest, DB)).size, copied, present, missing }
}

/** Brings a backup back into an empty data directory. */
export function restore (src: string, dataDir: string): BackupResult {
  if (!fs.existsSync(path.join(src, DB))) throw new Error(`${src} holds no backup (no ${DB})`)
  if (fs.existsSync(path.join(dataDir, DB))) throw new Error(`${dataDir} already holds a repository (${DB}); restore into an empty data directory`)
  const hashes = referencedPayloads(path.join(src, DB))
  const { copied, present, missing } = copyPayloads(src, dataDir, hashes)
  copyKeys(src, dataDir)
  // The database last: a data directory with a database is a repository, and must have its payloads.
  copyAtomically(path.join(src, DB), path.join(dataDir, DB))
  return { databaseBytes: fs.statSync(path.join(dataDir, DB)).size, copied, present, missing }
}
