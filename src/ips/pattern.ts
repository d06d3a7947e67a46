/**
 * Package patterns as pkg(5) commands accept them: a stem or the tail of
 * one ("hello" matches "example/hello"), globs with * and ?, an anchored
 * form with a leading "/" or "pkg:/", and an optional partial version.
 */
import { compileGlob, type Glob } from './fnmatch.js'
import { IllegalFmriError, isValidStem } from './fmri.js'
import { IllegalVersionError, matchesVersionPattern, parseVersion, type Version } from './version.js'

export interface PackagePattern {
  readonly stem: string
  readonly anchored: boolean
  readonly glob: boolean
  /** The stem's glob, compiled once for every stem it is tried on; null for a plain stem. */
  readonly stemGlob: Glob | null
  readonly version: Version | null
  readonly versionHasBuild: boolean
}

export function parsePattern (input: string): PackagePattern {
  let text = input.trim()
  let anchored = false
  for (const prefix of ['pkg://', 'pkg:/', '//', '/']) {
    if (text.startsWith(prefix)) {
      text = text.slice(prefix.length)
      if (prefix === 'pkg://' || prefix === '//') text = text.slice(text.indexOf('/') + 1)
      anchored = true
      break
    }
  }
  const at = text.lastIndexOf('@')
  const stem = at === -1 ? text : text.slice(0, at)
  if (stem === '') throw new IllegalFmriError(input, 'Missing package name')
  const glob = /[*?]/.test(stem)
  if (!glob && !isValidStem(stem)) throw new IllegalFmriError(input, `Invalid Package Name: ${stem}`)
  let version: Version | null = null
  let versionHasBuild = false
  if (at !== -1) {
    const vtext = text.slice(at + 1)
    try {
      version = parseVersion(vtext)
    } catch (err) {
      if (err instanceof IllegalVersionError) throw new IllegalFmriError(input, err.message, true)
      throw err
    }
    versionHasBuild = vtext.includes(',')
  }
  // Only * and ? are special here: a '[' is literal, which the class [[] says in fnmatch's terms.
  const stemGlob = glob ? compileGlob(stem.replace(/\[/g, '[[]'), false) : null
  return { stem, anchored, glob, stemGlob, version, versionHasBuild }
}

export function stemMatches (p: PackagePattern, stem: string): boolean {
  const candidates = p.anchored ? [stem] : stem.split('/').map((_, i, parts) => parts.slice(i).join('/'))
  if (p.stemGlob !== null) return candidates.some(c => p.stemGlob!.test(c))
  return candidates.includes(p.stem)
}

export function versionMatches (p: PackagePattern, version: Version): boolean {
  return p.version === null || matchesVersionPattern(version, p.version, p.versionHasBuild)
}
