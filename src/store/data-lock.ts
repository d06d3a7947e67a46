/**
 * One writer per data directory. A second `serve` once ran its start-up
 * sweep while the first depot was committing, and deleted payloads of
 * acknowledged packages. The lock is SQLite's own exclusive file lock on
 * `depot.lock` (a POSIX record lock, so the kernel releases it when the
 * holder dies, kill -9 included, and SQLite honours it between
 * connections of one process too); `depot.lock.json` beside it names the
 * holder for the refusal message.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'

export class DataDirLockedError extends Error {
  readonly code = 'ERR_DATA_DIR_LOCKED'
  constructor (dataDir: string, holder: string) {
    super(`the data directory ${dataDir} is in use by ${holder}; stop it first (a running depot rebuilds through its admin API: POST /api/v1/rebuild)`)
    this.name = 'DataDirLockedError'
  }
}

interface Holder { pid: number, command: string, since: string }

export class DataDirLock {
  private constructor (private readonly db: Database.Database, private readonly holderFile: string) {}

  /** Takes the lock or throws DataDirLockedError at once: a second writer never waits for the first. */
  static acquire (dataDir: string, command: string): DataDirLock {
    fs.mkdirSync(dataDir, { recursive: true })
    const file = path.join(dataDir, 'depot.lock')
    const holderFile = `${file}.json`
    const db = new Database(file, { timeout: 0 })
    try {
      db.pragma('locking_mode = EXCLUSIVE')
      // The first write in exclusive mode takes the lock; it is held until the connection closes.
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lock_taken (at INTEGER); DELETE FROM lock_taken; INSERT INTO lock_taken VALUES (unixepoch()); COMMIT')
    } catch (err) {
      db.close()
      if ((err as { code?: string }).code === 'SQLITE_BUSY') throw new DataDirLockedError(dataDir, describeHolder(holderFile))
      throw err
    }
    const holder: Holder = { pid: process.pid, command, since: new Date().toISOString() }
    fs.writeFileSync(holderFile, JSON.stringify(holder) + '\n')
    return new DataDirLock(db, holderFile)
  }

  release (): void {
    if (!this.db.open) return
    fs.rmSync(this.holderFile, { force: true })
    this.db.close()
  }
}

function describeHolder (holderFile: string): string {
  try {
    const h = JSON.parse(fs.readFileSync(holderFile, 'utf8')) as Holder
    return `process ${h.pid} (ips-depot ${h.command}, since ${h.since})`
  } catch {
    // Between the holder's lock and its note, or a holder of another kind: the lock alone is authoritative.
    return 'another process'
  }
}
