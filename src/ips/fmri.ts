/**
 * FMRIs: pkg://publisher/stem@version, pkg:/stem@version, //pub/stem,
 * /stem, or a bare stem. Parsing mirrors pkg.fmri.PkgFmri, including the
 * wording of its errors ("Illegal FMRI '…': …").
 */
import { BadRequestError } from '../errors.js'
import { formatVersion, IllegalVersionError, parseVersion, type Version } from './version.js'
import { pyQuote } from './quote.js'

export class IllegalFmriError extends BadRequestError {
  /** fromVersion: the detail is the version's own error (pkg5's BAD_VERSION). */
  constructor (readonly input: string, readonly detail: string, readonly fromVersion = false) {
    super(`Illegal FMRI '${input}': ${detail}`, 'ERR_ILLEGAL_FMRI')
  }
}

export class MissingVersionError extends BadRequestError {
  constructor (fmri: string) {
    super(`FMRI '${fmri}' is missing version information.`, 'ERR_MISSING_VERSION')
  }
}

export interface Fmri {
  readonly publisher: string | null
  readonly stem: string
  readonly version: Version | null
}

const STEM = /^[A-Za-z0-9][A-Za-z0-9_\-.+]*(\/[A-Za-z0-9][A-Za-z0-9_\-.+]*)*$/
/** misc.valid_pub_prefix: a leading letter or digit, then letters, digits, '-' and '.'. */
const PUBLISHER = /^[A-Za-z0-9][A-Za-z0-9.-]*$/

export function isValidStem (stem: string): boolean {
  return STEM.test(stem)
}

export function isValidPublisher (name: string): boolean {
  return name.length <= 255 && PUBLISHER.test(name)
}

export function parseFmri (input: string, defaultBuild?: string): Fmri {
  const text = input.replace(/\s+$/, '')
  const at = text.lastIndexOf('@')
  const verIdx = at === -1 ? text.length : at
  let nameIdx = 0
  let pubIdx: number | null = null
  const missingSlash = (from: number): number => {
    const idx = text.indexOf('/', from)
    if (idx === -1 || idx >= verIdx) throw new IllegalFmriError(text, "Missing '/' after publisher name")
    return idx
  }
  if (text.startsWith('pkg://')) {
    nameIdx = missingSlash(6) + 1
    pubIdx = 6
  } else if (text.startsWith('pkg:/')) {
    nameIdx = 5
  } else if (text.startsWith('//')) {
    nameIdx = missingSlash(2) + 1
    pubIdx = 2
  } else if (text.startsWith('/')) {
    nameIdx = 1
  }
  const publisher = pubIdx === null ? null : text.slice(pubIdx, nameIdx - 1)
  let version: Version | null = null
  if (at !== -1) {
    try {
      version = parseVersion(text.slice(at + 1), defaultBuild)
    } catch (err) {
      if (err instanceof IllegalVersionError) throw new IllegalFmriError(text, err.message, true)
      throw err
    }
  }
  const stem = text.slice(nameIdx, verIdx)
  if (stem === '') throw new IllegalFmriError(text, 'Missing package name')
  if (!STEM.test(stem)) throw new IllegalFmriError(text, `Invalid Package Name: ${stem}`)
  if (publisher !== null && publisher !== '' && !isValidPublisher(publisher)) {
    throw new IllegalFmriError(text, `Invalid publisher name: ${publisher}`)
  }
  return { publisher: publisher === '' ? null : publisher, stem, version }
}

/** pkg://pub/stem@version, or pkg:/stem@version without a publisher. */
export function formatFmri (f: Fmri, opts: { publisher?: string | null, scheme?: boolean } = {}): string {
  const pub = opts.publisher === undefined ? f.publisher : opts.publisher
  const scheme = opts.scheme ?? true
  const ver = f.version ? '@' + formatVersion(f.version) : ''
  if (pub) return (scheme ? 'pkg://' : '') + pub + '/' + f.stem + ver
  return (scheme ? 'pkg:/' : '') + f.stem + ver
}

/** The form pkg(5) clients put in URLs and repositories use as file names. */
export function fmriUrlPath (stem: string, version: string): string {
  return pyQuote(stem) + '@' + pyQuote(version)
}
