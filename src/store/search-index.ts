/**
 * The search index in SQLite (schema 014): written with each package, in
 * its transaction, as postings of dictionary terms; queried with pkg5's
 * semantics by search-engine.ts.
 */
import { parseAction } from '../ips/action.js'
import { manifestLineSpans } from '../ips/manifest.js'
import { indexEntries } from '../ips/search-tokens.js'
import type { Db } from './db.js'

/**
 * Statements of one connection, and (for a batch in one transaction, such
 * as an import) the ids already looked up. The ids are kept only for the
 * batch: a term inserted by a transaction that rolls back must not be
 * remembered after it.
 */
class IndexWriter {
  private readonly termId
  private readonly addTerm
  private readonly fieldId
  private readonly addField
  private readonly addPosting
  private readonly addLine
  private terms = new Map<string, number>()
  private fields = new Map<string, number>()

  constructor (db: Db) {
    this.termId = db.prepare('SELECT id FROM search_term WHERE token = ?').pluck()
    this.addTerm = db.prepare('INSERT INTO search_term (token, lower) VALUES (?, ?)')
    this.fieldId = db.prepare('SELECT id FROM search_field WHERE action_type = ? AND key = ?').pluck()
    this.addField = db.prepare('INSERT INTO search_field (action_type, key) VALUES (?, ?)')
    this.addPosting = db.prepare('INSERT OR IGNORE INTO search_posting (term_id, package_id, seq, field_id) VALUES (?, ?, ?, ?)')
    this.addLine = db.prepare('INSERT INTO search_line (package_id, seq, start, length, line) VALUES (?, ?, ?, ?, ?)')
  }

  forget (): void {
    this.terms = new Map()
    this.fields = new Map()
  }

  private term (token: string): number {
    let id = this.terms.get(token)
    if (id === undefined) {
      id = (this.termId.get(token) as number | undefined) ?? Number(this.addTerm.run(token, token.toLowerCase()).lastInsertRowid)
      this.terms.set(token, id)
    }
    return id
  }

  private field (actionType: string, key: string): number {
    const k = `${actionType} ${key}`
    let id = this.fields.get(k)
    if (id === undefined) {
      id = (this.fieldId.get(actionType, key) as number | undefined) ?? Number(this.addField.run(actionType, key).lastInsertRowid)
      this.fields.set(k, id)
    }
    return id
  }

  index (packageId: number | bigint, manifest: string): void {
    const copy = manifest.length > COPY_LINES_ABOVE
    manifestLineSpans(manifest).forEach((span, seq) => {
      const action = parseAction(span.line)
      const entries = indexEntries(action)
      if (entries.length === 0) return
      this.addLine.run(packageId, seq, Math.max(span.start, 0), span.length, copy || span.start < 0 ? span.line : null)
      for (const e of entries) this.addPosting.run(this.term(e.token), packageId, seq, this.field(action.type, e.key))
    })
  }
}

/**
 * A result's line is read as a slice of its manifest, but SQLite hands a
 * function the whole value: past this size (where a manifest spills out of
 * its row into overflow pages), an indexed line is copied instead.
 */
const COPY_LINES_ABOVE = 2048

const writers = new WeakMap<Db, IndexWriter>()

function writerOf (db: Db): IndexWriter {
  let w = writers.get(db)
  if (w === undefined) { w = new IndexWriter(db); writers.set(db, w) }
  return w
}

/** Indexes one package's manifest. Call inside the transaction that stores the package. */
export function indexPackage (db: Db, packageId: number | bigint, manifest: string): void {
  indexPackages(db, [{ id: packageId, manifest }])
}

/**
 * Indexes many packages inside one transaction (an import, a rebuild),
 * remembering term ids between them: most tokens recur across versions.
 */
export function indexPackages (db: Db, packages: Iterable<{ id: number | bigint, manifest: string }>): void {
  const w = writerOf(db)
  try {
    for (const p of packages) w.index(p.id, p.manifest)
  } finally {
    w.forget()
  }
}

/** A publisher's stored manifests, read 2,000 at a time: a statement cannot write while another iterates, and a large publisher's manifests need not all be in memory at once. */
function * storedManifests (db: Db, publisher: string): Generator<{ id: number, manifest: string }> {
  const batch = db.prepare('SELECT id, manifest FROM package WHERE publisher = ? AND id > ? ORDER BY id LIMIT 2000').raw()
  for (let after = 0; ;) {
    const rows = batch.all(publisher, after) as Array<[number, Buffer]>
    if (rows.length === 0) return
    for (const [id, manifest] of rows) yield { id, manifest: manifest.toString('utf8') }
    after = rows[rows.length - 1]![0]
  }
}

/** Rebuilds the whole index of a publisher from its stored manifests, and drops terms no package uses any more. */
export function rebuildSearchIndex (db: Db, publisher: string): void {
  db.prepare('DELETE FROM search_posting WHERE package_id IN (SELECT id FROM package WHERE publisher = ?)').run(publisher)
  db.prepare('DELETE FROM search_line WHERE package_id IN (SELECT id FROM package WHERE publisher = ?)').run(publisher)
  indexPackages(db, storedManifests(db, publisher))
  db.prepare('DELETE FROM search_term WHERE NOT EXISTS (SELECT 1 FROM search_posting p WHERE p.term_id = search_term.id)').run()
}

/** Whether any of a publisher's packages is indexed (a database from before the index, or from before schema 014, has none). */
export function isIndexed (db: Db, publisher: string): boolean {
  return db.prepare('SELECT EXISTS (SELECT 1 FROM package k JOIN search_posting p ON p.package_id = k.id WHERE k.publisher = ?)').pluck().get(publisher) === 1
}
