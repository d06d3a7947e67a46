/**
 * Opens the SQLite catalog: WAL, foreign keys, and the migrations in
 * schema/ applied in order, each in its own transaction.
 */
import Database from 'better-sqlite3'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export type Db = Database.Database

/** schema/ sits at the package root, whether this runs from src/ or dist/src/. */
function findSchemaDir (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = path.join(dir, 'schema')
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate
    const parent = path.dirname(dir)
    if (parent === dir) throw new Error('schema/ directory not found above ' + fileURLToPath(import.meta.url))
    dir = parent
  }
}
const SCHEMA_DIR = findSchemaDir()

/** `busyTimeoutMs`: how long a write waits for another connection's, blocking its thread meanwhile. */
export function openDatabase (file: string, opts: { readonly?: boolean, busyTimeoutMs?: number } = {}): Db {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const db = new Database(file, { readonly: opts.readonly ?? false })
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`)
    if (!opts.readonly) migrate(db)
    return db
  } catch (err) {
    throw new Error(`cannot open the database ${file}: ${(err as Error).message}${osReason(file, opts.readonly !== true)}`)
  }
}

/** SQLite says "unable to open database file" or "readonly database" without saying why: ask the file system. */
function osReason (file: string, write: boolean): string {
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory() === true) return ` (${file} is a directory)`
  for (const target of [file, path.dirname(file)]) {
    try {
      fs.accessSync(target, write ? fs.constants.R_OK | fs.constants.W_OK : fs.constants.R_OK)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT' && target === file) continue
      return ` (${target}: ${code ?? (err as Error).message})`
    }
  }
  return ''
}

function migrate (db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number
  const files = fs.readdirSync(SCHEMA_DIR).filter(f => /^[0-9]{3}_.*\.sql$/.test(f)).sort()
  for (const f of files) {
    const level = Number(f.slice(0, 3))
    if (level <= current) continue
    const sql = fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')
    db.transaction(() => {
      db.exec(sql)
      db.pragma(`user_version = ${level}`)
    })()
  }
}

/**
 * Gives free pages back to the file system when they are most of it: after
 * an upgrade replaced a large table (schema 014's search index took a
 * quarter of the space of the one it replaced), the file would otherwise
 * keep its old size for good. A one-time cost at the open that upgraded.
 */
export function reclaimFreePages (db: Db): boolean {
  const free = db.pragma('freelist_count', { simple: true }) as number
  const total = db.pragma('page_count', { simple: true }) as number
  if (free * 2 < total) return false
  db.exec('VACUUM')
  return true
}
