/**
 * The search index in SQLite: written with each package (in its
 * transaction) and queried with pkg5's semantics (search-engine.ts).
 */
import { parseAction } from '../ips/action.js'
import { manifestLines } from '../ips/manifest.js'
import { indexEntries } from '../ips/search-tokens.js'
import type { Db } from './db.js'

/** Indexes one package's manifest. Call inside the transaction that stores the package. */
export function indexPackage (db: Db, packageId: number | bigint, manifest: string): void {
  const insAction = db.prepare('INSERT INTO search_action (package_id, seq, action_type, line) VALUES (?, ?, ?, ?)')
  const insToken = db.prepare('INSERT OR IGNORE INTO search_token (action_id, token, token_lower, key, full_value) VALUES (?, ?, ?, ?, ?)')
  manifestLines(manifest).forEach((line, seq) => {
    const action = parseAction(line)
    const entries = indexEntries(action)
    if (entries.length === 0) return
    const id = insAction.run(packageId, seq, action.type, line).lastInsertRowid
    for (const e of entries) insToken.run(id, e.token, e.token.toLowerCase(), e.key, e.fullValue)
  })
}

/** Rebuilds the whole index of a publisher from its stored manifests. */
export function rebuildSearchIndex (db: Db, publisher: string): void {
  db.prepare('DELETE FROM search_action WHERE package_id IN (SELECT id FROM package WHERE publisher = ?)').run(publisher)
  const rows = db.prepare('SELECT id, manifest FROM package WHERE publisher = ?').all(publisher) as Array<{ id: number, manifest: Buffer }>
  for (const r of rows) indexPackage(db, r.id, r.manifest.toString('utf8'))
}
