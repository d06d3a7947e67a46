/**
 * Removing packages and publishers, as `pkgrepo remove` and
 * `pkgrepo remove-publisher` do. Each is one SQLite transaction, so a
 * crash leaves every package or none: the catalog logs a "remove" for each
 * version (clients refresh incrementally), the search index loses the
 * package's rows with it, and payloads no remaining package references
 * lose their rows and are queued for collection (maintenance.ts deletes
 * the files, in the process that owns the data directory).
 */
import { BadRequestError, ConflictError, NotFoundError } from '../errors.js'
import { parsePattern } from '../ips/pattern.js'
import { nowCatalogTime } from '../ips/timestamp.js'
import type { Db } from './db.js'
import { matchPackages, type MatchedVersion } from './list.js'
import { collectPayloads } from './maintenance.js'
import { removeFromCatalog } from './publish.js'
import type { Repository } from './repository.js'

export interface Removal {
  readonly packages: readonly MatchedVersion[]
  /** Payloads no package references any more, now queued for collection. */
  readonly unreferenced: number
}

/** The packages of the catalog matching pkg(5) patterns; every pattern must match, as pkgrepo remove insists. */
export function packagesToRemove (db: Db, publisher: string | null, patterns: readonly string[]): MatchedVersion[] {
  const { matches, unmatched } = matchPackages(db, publisher, patterns)
  if (unmatched.length > 0) throw new NotFoundError(`no packages match ${unmatched.join(' ')}${publisher === null ? '' : ` in publisher ${publisher}`}; nothing was removed`)
  return matches
}

/**
 * The one package version a URL names: stem@version, where a partial
 * version will do when only one version matches it (409 when several do).
 */
export function packageNamed (db: Db, publisher: string, text: string): MatchedVersion {
  // The URL's publisher is the one authorized: an FMRI naming another may not stand in for it.
  const named = /^(?:pkg:)?\/\/([^/]*)\//.exec(text)?.[1]
  if (named !== undefined && named !== publisher) throw new BadRequestError(`'${text}' names publisher ${named || '(none)'}, not ${publisher}.`)
  const pattern = parsePattern(text)
  if (pattern.glob) throw new BadRequestError(`'${text}' is a pattern; name one package version (patterns are for ips-depot remove).`)
  if (pattern.version === null) throw new BadRequestError(`'${text}' names no version; name one package version: stem@version.`)
  const { matches } = matchPackages(db, publisher, [text])
  if (matches.length === 0) throw new NotFoundError(`No package ${text} in publisher ${publisher}.`)
  if (matches.length > 1) {
    const listed = matches.slice(0, 5).map(m => `${m.stem}@${m.version}`).join(', ')
    throw new ConflictError(`'${text}' matches ${matches.length} package versions (${listed}${matches.length > 5 ? ', …' : ''}); give the full version.`)
  }
  return matches[0]!
}

/**
 * After a removal committed: the catalog worker is nudged, and a process
 * that owns the data directory (it holds the lock) deletes the released
 * payload files at once; any other leaves them to the owner. Returns how
 * many it deleted.
 */
export async function settleRemoval (repo: Repository, owner: boolean): Promise<number> {
  repo.noteWrite()
  return owner ? await collectPayloads(repo) : 0
}

/** Removes the given package versions, of any publishers, in one transaction (the caller's, or its own). */
export function removePackages (db: Db, packages: readonly MatchedVersion[]): Removal {
  return db.transaction(() => {
    const opTime = nowCatalogTime()
    const byPublisher = new Map<string, number[]>()
    for (const p of packages) {
      const ids = byPublisher.get(p.publisher)
      if (ids) ids.push(p.id); else byPublisher.set(p.publisher, [p.id])
    }
    const referenced = referencedPayloads(db, packages.map(p => p.id))
    for (const [publisher, ids] of byPublisher) removeFromCatalog(db, publisher, ids, opTime)
    return { packages, unreferenced: releasePayloads(db, referenced) }
  }).immediate()
}

/** Removes publishers with all their packages; the default publisher passes to the only one left, else is unset (as pkgrepo). */
export function removePublishers (db: Db, names: readonly string[]): Removal & { readonly defaultPublisher: string | null } {
  return db.transaction(() => {
    const known = db.prepare('SELECT name FROM publisher ORDER BY name').pluck().all() as string[]
    const unknown = names.filter(n => !known.includes(n))
    if (unknown.length > 0) throw new NotFoundError(`No publisher ${unknown.join(', ')} in this repository (there are: ${known.join(', ') || 'none'}); nothing was removed.`)
    const packages = db.prepare(`SELECT id, publisher, stem, version FROM package WHERE publisher IN (SELECT value FROM json_each(?))`).all(JSON.stringify(names)) as MatchedVersion[]
    const referenced = referencedPayloads(db, packages.map(p => p.id))
    // A publisher's payloads that no manifest names (imported orphans) go with it too.
    const held = db.prepare('SELECT publisher, hash FROM publisher_payload WHERE publisher IN (SELECT value FROM json_each(?))').all(JSON.stringify(names)) as Array<{ publisher: string, hash: string }>
    for (const h of held) referenced.push(h)
    for (const name of names) {
      db.prepare('DELETE FROM package WHERE publisher = ?').run(name)
      db.prepare('DELETE FROM pub_transaction WHERE publisher = ?').run(name)
      db.prepare('DELETE FROM publisher WHERE name = ?').run(name)
    }
    const left = known.filter(n => !names.includes(n))
    const current = db.prepare("SELECT value FROM repository_setting WHERE key = 'publisher/prefix'").pluck().get() as string | undefined
    let defaultPublisher = current ?? null
    if (current !== undefined && names.includes(current)) {
      defaultPublisher = left.length === 1 ? left[0]! : null
      if (defaultPublisher === null) db.prepare("DELETE FROM repository_setting WHERE key = 'publisher/prefix'").run()
      else db.prepare("UPDATE repository_setting SET value = ? WHERE key = 'publisher/prefix'").run(defaultPublisher)
    }
    return { packages, unreferenced: releasePayloads(db, referenced), defaultPublisher }
  }).immediate()
}

/** Which payloads each of the packages references, by publisher, before they go. */
function referencedPayloads (db: Db, ids: readonly number[]): Array<{ publisher: string, hash: string }> {
  return db.prepare(`SELECT DISTINCT p.publisher, pp.hash FROM package_payload pp JOIN package p ON p.id = pp.package_id
    WHERE pp.package_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(ids)) as Array<{ publisher: string, hash: string }>
}

/**
 * After the packages went: a publisher keeps a payload while one of its
 * packages references it, and the repository keeps it while a publisher
 * does. The rest lose their rows (file/0 answers 404 from now on) and are
 * queued for their files to be deleted. Returns how many were queued.
 */
function releasePayloads (db: Db, referenced: ReadonlyArray<{ publisher: string, hash: string }>): number {
  const usedBy = db.prepare('SELECT 1 FROM package_payload pp JOIN package p ON p.id = pp.package_id WHERE pp.hash = ? AND p.publisher = ? LIMIT 1').pluck()
  const held = db.prepare('SELECT 1 FROM publisher_payload WHERE hash = ? LIMIT 1').pluck()
  const release = db.prepare('DELETE FROM publisher_payload WHERE publisher = ? AND hash = ?')
  const hashes = new Set<string>()
  for (const { publisher, hash } of referenced) {
    if (usedBy.get(hash, publisher) === undefined) release.run(publisher, hash)
    hashes.add(hash)
  }
  let queued = 0
  for (const hash of hashes) {
    if (held.get(hash) !== undefined) continue
    db.prepare('DELETE FROM payload_alias WHERE hash = ?').run(hash)
    db.prepare('DELETE FROM payload WHERE hash = ?').run(hash)
    db.prepare('INSERT OR IGNORE INTO payload_garbage (hash, queued) VALUES (?, ?)').run(hash, Date.now())
    queued++
  }
  return queued
}
