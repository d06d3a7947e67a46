/**
 * Start-up and periodic housekeeping: transactions nobody touched for too
 * long are dropped, payloads that no package and no open transaction
 * references (left by a crash or an abandoned publish) are removed, and
 * the payloads a removal released are deleted, from whichever backend. Only the process
 * holding the data directory's lock runs these: it alone stores payloads.
 */
import type { Repository } from './repository.js'

export function expireTransactions (repo: Repository, maxIdleMs: number): number {
  return repo.db.prepare('DELETE FROM pub_transaction WHERE touched < ?').run(Date.now() - maxIdleMs).changes
}

/**
 * Payloads stored that no package and no open transaction references: left
 * by a crash or an abandoned publish. Only at start, before anything is
 * published: a publish in flight has stored payloads it has not recorded yet.
 */
export async function sweepOrphanPayloads (repo: Repository): Promise<number> {
  const known = repo.db.prepare('SELECT 1 FROM payload WHERE hash = ? UNION ALL SELECT 1 FROM pub_transaction_payload WHERE hash = ? LIMIT 1').pluck()
  let removed = 0
  for await (const hash of repo.payloads.backend.list()) {
    if (known.get(hash, hash) === undefined && await repo.payloads.delete(hash)) removed++
  }
  return removed
}

/**
 * Deletes the payloads a removal left without rows, unless they were taken
 * up again since: published anew (a payload row), sent to an open
 * transaction, or held by a publish in progress (checked again later). The
 * rows are checked and the deletion registered in one turn of the event
 * loop, so no publish of this process comes between them, and a publish of
 * the same payload after it waits for the deletion (PayloadStore.delete).
 */
export async function collectPayloads (repo: Repository): Promise<number> {
  const queued = repo.db.prepare('SELECT hash FROM payload_garbage ORDER BY queued LIMIT 10000').pluck().all() as string[]
  const inUse = repo.db.prepare('SELECT 1 FROM payload WHERE hash = ? UNION ALL SELECT 1 FROM pub_transaction_payload WHERE hash = ? LIMIT 1').pluck()
  const done = repo.db.prepare('DELETE FROM payload_garbage WHERE hash = ?')
  let deleted = 0
  for (const hash of queued) {
    if (repo.payloads.held(hash)) continue
    if (inUse.get(hash, hash) === undefined) {
      if (!await repo.payloads.delete(hash)) continue
      deleted++
    }
    done.run(hash)
  }
  return deleted
}
