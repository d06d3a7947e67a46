/**
 * Bounds for the property-based tests: small in `npm test`, larger under
 * `npm run fuzz` (FUZZ_RUNS). fast-check prints the seed and the shrunk
 * counterexample of a failure; each one found becomes a named regression.
 */
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import type { RunningDepot } from './depot.js'

export function runs (inNpmTest: number): number {
  const n = Number(process.env.FUZZ_RUNS ?? '')
  return Number.isInteger(n) && n > 0 ? n : inNpmTest
}

/** A character of `text` as sent: itself, its other case, or percent-encoded (either hex case). */
export function spelled (text: string): fc.Arbitrary<string> {
  const char = (c: string): fc.Arbitrary<string> => {
    const hex = c.charCodeAt(0).toString(16).padStart(2, '0')
    return fc.constantFrom(c, c.toUpperCase(), `%${hex}`, `%${hex.toUpperCase()}`)
  }
  return fc.tuple(...[...text].map(char)).map(cs => cs.join(''))
}

/** Every file below a directory with its size: what a write to the payload store would change. */
export function listFiles (dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p); else out.push(`${path.relative(dir, p)} ${fs.statSync(p).size}`)
    }
  }
  walk(dir)
  return out.sort()
}

/**
 * What a write could change, as one comparable string: publishers and
 * their catalog revisions, packages, open transactions with their
 * manifests and payloads, the payload store, and background jobs started.
 */
export function repositoryState (depot: RunningDepot): string {
  const db = depot.repo.db
  return JSON.stringify({
    publishers: db.prepare('SELECT name, catalog_revision, catalog_last_modified FROM publisher ORDER BY name').all(),
    packages: db.prepare('SELECT COUNT(*) AS n, MAX(id) AS last FROM package').get(),
    transactions: db.prepare('SELECT id, publisher, subject, manifest, touched FROM pub_transaction ORDER BY id').all(),
    transactionPayloads: db.prepare('SELECT * FROM pub_transaction_payload ORDER BY transaction_id, hash').all(),
    payloads: listFiles(path.join(depot.dataDir, 'file')),
    jobs: depot.app.depot.jobs.submitted
  })
}
