/**
 * Start-up and periodic housekeeping: transactions nobody touched for too
 * long are dropped, and payload files that no package and no open
 * transaction references (left by a crash or an abandoned publish) are
 * removed.
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
