/**
 * pkg(5) versions: release[,build_release][-branch][:YYYYMMDDTHHMMSSZ].
 *
 * Parsing follows pkg.version.Version step for step (including which
 * component an error names), because clients show those messages.
 * Components stay strings: they have no leading zeros, so comparing by
 * length and then lexically is numeric order with no precision limit.
 */
import { BadRequestError } from '../errors.js'

export class IllegalVersionError extends BadRequestError {
  constructor (message: string) { super(message, 'ERR_ILLEGAL_VERSION') }
}

export interface Version {
  readonly release: readonly string[]
  readonly build: readonly string[]
  readonly branch: readonly string[] | null
  readonly timestamp: string | null
}

const COMPONENT = /^(0|[1-9][0-9]*)$/

function dotSequence (text: string): string[] {
  const parts = text.split('.')
  for (const p of parts) {
    if (!COMPONENT.test(p)) throw new IllegalVersionError(`Bad Version: ${text}`)
  }
  return parts
}

export function isValidTimestamp (t: string): boolean {
  if (!/^[0-9]{8}T[0-9]{6}Z$/.test(t)) return false
  const [y, mo, d, h, mi, s] = [t.slice(0, 4), t.slice(4, 6), t.slice(6, 8), t.slice(9, 11), t.slice(11, 13), t.slice(13, 15)].map(Number) as [number, number, number, number, number, number]
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()
}

export function parseVersion (text: string, defaultBuild = '5.11'): Version {
  if (text === '') throw new IllegalVersionError('Version cannot be empty')
  const timeIdx = text.indexOf(':')
  const timestr = timeIdx === -1 ? null : text.slice(timeIdx + 1)
  const end = timeIdx === -1 ? text.length : timeIdx
  const branchIdx = text.indexOf('-')
  // Python slicing: an end before the start gives an empty string.
  const branchText = branchIdx === -1 ? null : (branchIdx + 1 <= end ? text.slice(branchIdx + 1, end) : '')
  const branchEnd = branchIdx === -1 ? end : branchIdx
  const buildIdx = text.indexOf(',')
  const buildText = buildIdx === -1 ? null : (buildIdx + 1 <= branchEnd ? text.slice(buildIdx + 1, branchEnd) : '')
  const releaseEnd = buildIdx === -1 ? branchEnd : buildIdx
  if (releaseEnd === 0) throw new IllegalVersionError('Versions must have a release value')

  const release = dotSequence(text.slice(0, releaseEnd))
  const branch = branchText === null ? null : dotSequence(branchText)
  const build = dotSequence(buildText ?? defaultBuild)
  if (timestr !== null && !isValidTimestamp(timestr)) throw new IllegalVersionError('Time must be ISO8601 format.')
  return { release, build, branch, timestamp: timestr }
}

export function formatVersion (v: Version): string {
  let s = v.release.join('.') + ',' + v.build.join('.')
  if (v.branch) s += '-' + v.branch.join('.')
  if (v.timestamp) s += ':' + v.timestamp
  return s
}

function compareComponent (a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

function compareSequences (a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const c = compareComponent(a[i]!, b[i]!)
    if (c !== 0) return c
  }
  return a.length - b.length
}

/** Release, then branch (none first), then timestamp (none first); build release is ignored. */
export function compareVersions (a: Version, b: Version): number {
  const r = compareSequences(a.release, b.release)
  if (r !== 0) return Math.sign(r)
  if (a.branch !== b.branch) {
    if (a.branch === null) return -1
    if (b.branch === null) return 1
    const c = compareSequences(a.branch, b.branch)
    if (c !== 0) return Math.sign(c)
  }
  const ta = a.timestamp ?? ''
  const tb = b.timestamp ?? ''
  return ta < tb ? -1 : ta > tb ? 1 : 0
}

/**
 * pkg5's "is successor" match used for stem@partial-version patterns:
 * every component given in the pattern must equal the version's leading
 * components (1.0 matches 1.0 and 1.0.1).
 */
export function matchesVersionPattern (v: Version, pattern: Version, patternHasBuild: boolean): boolean {
  const prefix = (p: readonly string[], full: readonly string[]): boolean =>
    p.length <= full.length && p.every((c, i) => c === full[i])
  if (!prefix(pattern.release, v.release)) return false
  if (patternHasBuild && !prefix(pattern.build, v.build)) return false
  if (pattern.branch && !(v.branch && prefix(pattern.branch, v.branch))) return false
  if (pattern.timestamp && pattern.timestamp !== v.timestamp) return false
  return true
}
