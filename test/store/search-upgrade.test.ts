/**
 * A database from before the search index (or from before schema 014
 * replaced it) has packages without postings: the repository indexes them
 * at open, search answers as before, and the space the old index held
 * goes back to the file system rather than staying in the file.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { importRepository } from '../../src/store/import.js'
import { Repository } from '../../src/store/repository.js'
import { GOLDEN, tempDir } from '../helpers/depot.js'

const dir = tempDir()
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
const file = path.join(dir, 'depot.sqlite')
const tokensOf = (repo: Repository): unknown => repo.db.prepare(`SELECT t.token, p.package_id, p.seq, f.action_type, f.key FROM search_posting p
  JOIN search_term t ON t.id = p.term_id JOIN search_field f ON f.id = p.field_id ORDER BY 1, 2, 3, 4, 5`).all()

let repo = new Repository(dir)
await importRepository(repo, path.join(GOLDEN, 'repo'))
const indexed = tokensOf(repo)
// An old index's worth of space, then gone, as the upgrade's DROP TABLE leaves it; and no postings.
repo.db.exec("CREATE TABLE old_index (x BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) INSERT INTO old_index SELECT randomblob(4096) FROM n")
repo.db.exec('DROP TABLE old_index; DELETE FROM search_posting; DELETE FROM search_line')
repo.db.pragma('wal_checkpoint(TRUNCATE)')
repo.close()
const before = fs.statSync(file).size
t.ok(before > 16 * 1024 * 1024, `the file holds the dropped table's pages (${before} bytes)`)

repo = new Repository(dir)
t.teardown(() => repo.close())
t.same(tokensOf(repo), indexed, 'every package indexed again, as the import indexed it')
repo.db.pragma('wal_checkpoint(TRUNCATE)')
const after = fs.statSync(file).size
t.ok(after < before / 2, `the free pages went back to the file system (${before} → ${after} bytes)`)
