/**
 * Start-up and periodic housekeeping: transactions nobody touched for too
 * long are dropped, payload files that no package and no open transaction
 * references (left by a crash or an abandoned publish) are removed, and
 * the files of payloads a removal released are deleted. Only the process
 * holding the data directory's lock runs these: it alone stores payloads.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SHA1_NAME } from './payload-store.js'
import type { Repository } from './repository.js'

export function expireTransactions (repo: Repository, maxIdleMs: number): number {
  return repo.db.prepare('DELETE FROM pub_transaction WHERE touched < ?').run(Date.now() - maxIdleMs).changes
}

export function sweepOrphanPayloads (repo: Repository): number {
  const known = repo.db.prepare('SELECT 1 FROM payload WHERE hash = ? UNION ALL SELECT 1 FROM pub_transaction_payload WHERE hash = ? LIMIT 1').pluck()
  let removed = 0
  const root = repo.payloads.root
  for (const prefix of fs.readdirSync(root)) {
    const dir = path.join(root, prefix)
    if (!fs.statSync(dir).isDirectory()) continue
    for (const name of fs.readdirSync(dir)) {
      if (SHA1_NAME.test(name) && known.get(name, name) === undefined) {
        fs.rmSync(path.join(dir, name), { force: true })
        removed++
      }
    }
  }
  return removed
}

/**
 * Deletes the files of payloads a removal left without rows, unless they
 * were taken up again since: published anew (a payload row), sent to an
 * open transaction, or held by a publish in progress (checked again later).
 * Check and delete happen in one turn of the event loop, so no publish of
 * this process comes between them.
 */
export function collectPayloads (repo: Repository): number {
  const queued = repo.db.prepare('SELECT hash FROM payload_garbage ORDER BY queued LIMIT 10000').pluck().all() as string[]
  const inUse = repo.db.prepare('SELECT 1 FROM payload WHERE hash = ? UNION ALL SELECT 1 FROM pub_transaction_payload WHERE hash = ? LIMIT 1').pluck()
  const done = repo.db.prepare('DELETE FROM payload_garbage WHERE hash = ?')
  let deleted = 0
  for (const hash of queued) {
    if (repo.payloads.held(hash)) continue
    if (inUse.get(hash, hash) === undefined) {
      fs.rmSync(repo.payloads.pathOf(hash), { force: true })
      deleted++
    }
    done.run(hash)
  }
  return deleted
}
