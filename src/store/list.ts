/**
 * The catalog's package versions matching pkg(5) patterns: what
 * `ips-depot list` shows (as `pkgrepo list`: newest version first within a
 * stem, with the obsolete (o) and renamed (r) marks the client shows) and
 * what `ips-depot remove` removes.
 */
import { compareVersionStrings } from '../ips/catalog.js'
import { parseManifest } from '../ips/manifest.js'
import { parsePattern, stemMatches, versionMatches } from '../ips/pattern.js'
import { parseVersion } from '../ips/version.js'
import { NotFoundError } from '../errors.js'
import type { Db } from './db.js'

export interface MatchedVersion { readonly id: number, readonly publisher: string, readonly stem: string, readonly version: string }
export interface ListedVersion { readonly publisher: string, readonly stem: string, readonly version: string, readonly state: '' | 'o' | 'r' }

/**
 * The versions in the catalog of one publisher (or all) that match any of
 * the patterns (every version, without patterns), and the patterns that
 * matched none.
 */
export function matchPackages (db: Db, publisher: string | null, patterns: readonly string[]): { matches: MatchedVersion[], unmatched: string[] } {
  const parsed = patterns.map(text => ({ text, pattern: parsePattern(text) }))
  const known = db.prepare('SELECT name FROM publisher ORDER BY name').pluck().all() as string[]
  if (publisher !== null && !known.includes(publisher)) throw new NotFoundError(`no publisher ${publisher} in this repository (there are: ${known.join(', ') || 'none'})`)
  const rows = db.prepare('SELECT id, stem, version FROM package WHERE publisher = ? AND in_catalog = 1')
  const matched = new Set<string>()
  const matches: MatchedVersion[] = []
  for (const pub of publisher === null ? known : [publisher]) {
    const versions: MatchedVersion[] = []
    for (const r of rows.all(pub) as Array<{ id: number, stem: string, version: string }>) {
      const hits = parsed.filter(p => stemMatches(p.pattern, r.stem) && versionMatches(p.pattern, parseVersion(r.version)))
      if (parsed.length > 0 && hits.length === 0) continue
      for (const h of hits) matched.add(h.text)
      versions.push({ id: r.id, publisher: pub, stem: r.stem, version: r.version })
    }
    versions.sort((a, b) => a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : compareVersionStrings(b.version, a.version))
    matches.push(...versions)
  }
  return { matches, unmatched: patterns.filter(p => !matched.has(p)) }
}

/** Reads a database opened read-only, so that it works beside a serving depot. */
export function listPackages (db: Db, publisher: string | null, patterns: readonly string[]): ListedVersion[] {
  const manifest = db.prepare('SELECT manifest FROM package WHERE id = ?').pluck()
  return matchPackages(db, publisher, patterns).matches.map(v => {
    const set = parseManifest((manifest.get(v.id) as Buffer).toString('utf8')).filter(a => a.type === 'set')
    const flag = (name: string): boolean => set.some(a => a.attrs.name === name && a.attrs.value === 'true')
    return { publisher: v.publisher, stem: v.stem, version: v.version, state: flag('pkg.obsolete') ? 'o' : flag('pkg.renamed') ? 'r' : '' }
  })
}
