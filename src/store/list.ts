/**
 * `ips-depot list`, as `pkgrepo list`: the catalog's package versions
 * matching pkg(5) patterns, newest version first within a stem, with the
 * obsolete (o) and renamed (r) marks the client shows.
 */
import { compareVersionStrings } from '../ips/catalog.js'
import { parseManifest } from '../ips/manifest.js'
import { parsePattern, stemMatches, versionMatches } from '../ips/pattern.js'
import { parseVersion } from '../ips/version.js'
import type { Db } from './db.js'

export interface ListedVersion { readonly publisher: string, readonly stem: string, readonly version: string, readonly state: '' | 'o' | 'r' }

/** Reads a database opened read-only, so that it works beside a serving depot. */
export function listPackages (db: Db, publisher: string | null, patterns: readonly string[]): ListedVersion[] {
  const parsed = patterns.map(parsePattern)
  const known = db.prepare('SELECT name FROM publisher ORDER BY name').pluck().all() as string[]
  if (publisher !== null && !known.includes(publisher)) throw new Error(`no publisher ${publisher} in this repository (there are: ${known.join(', ')})`)
  const rows = db.prepare('SELECT stem, version, manifest FROM package WHERE publisher = ? AND in_catalog = 1')
  const out: ListedVersion[] = []
  for (const pub of publisher === null ? known : [publisher]) {
    const versions = (rows.all(pub) as Array<{ stem: string, version: string, manifest: Buffer }>)
      .filter(v => parsed.length === 0 || parsed.some(p => stemMatches(p, v.stem) && versionMatches(p, parseVersion(v.version))))
      .sort((a, b) => a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : compareVersionStrings(b.version, a.version))
    for (const v of versions) {
      const set = parseManifest(v.manifest.toString('utf8')).filter(a => a.type === 'set')
      const flag = (name: string): boolean => set.some(a => a.attrs.name === name && a.attrs.value === 'true')
      out.push({ publisher: pub, stem: v.stem, version: v.version, state: flag('pkg.obsolete') ? 'o' : flag('pkg.renamed') ? 'r' : '' })
    }
  }
  return out
}
