/**
 * Catalog v1 files (catalog.attrs, catalog.<part>.<locale>,
 * update.<hour>Z.<locale>) as pkg5's _JSONWriter writes them, so that the
 * client's signature checks pass. Pure: data in, bytes out.
 */
import { createHash } from 'node:crypto'
import { canonicalJson, compareCodePoints, type JsonValue, quoteString } from './canonical-json.js'
import { compareVersions, parseVersion, type Version } from './version.js'
import { type CatalogTime, formatCatalogTime } from './timestamp.js'

export interface SignedCatalogFile {
  readonly bytes: Buffer
  readonly signature: string
}

/**
 * The two catalog formats pkg5 writes. 'legacy' is ASCII-escaped JSON, what
 * OpenIndiana and Solaris clients read; 'utf8' is OmniOS's: every file
 * carries "_FEATURE":["ooce:utf8"] in its signed data and leaves UTF-8
 * text unescaped. OmniOS clients keep a legacy catalog in their own format
 * and fall back to a full download on alternate refreshes, so a depot
 * should serve each publisher in the format its clients expect.
 */
export type CatalogFormat = 'legacy' | 'utf8'
/** In the order of preference for a new publisher (README: which clients each format suits). */
export const CATALOG_FORMATS = ['utf8', 'legacy'] as const
export const FEATURE_UTF8 = 'ooce:utf8'

export function catalogFormatOf (data: { [key: string]: JsonValue }): CatalogFormat {
  const features = data._FEATURE
  return Array.isArray(features) && features.includes(FEATURE_UTF8) ? 'utf8' : 'legacy'
}

function withFormat (data: { [key: string]: JsonValue }, format: CatalogFormat): { [key: string]: JsonValue } {
  return format === 'utf8' ? { ...data, _FEATURE: [FEATURE_UTF8] } : data
}

export function sha1Hex (data: Buffer | string): string {
  return createHash('sha1').update(data).digest('hex')
}

/**
 * The signature is SHA-1 of the canonical JSON of the data plus "\n"; the
 * file is that text with `"_SIGNATURE":{"sha-1":…}` spliced in as the last
 * member.
 */
export function signCatalogData (data: { [key: string]: JsonValue }): SignedCatalogFile {
  const text = canonicalJson(data, catalogFormatOf(data) === 'legacy') + '\n'
  const signature = sha1Hex(text)
  const head = text.slice(0, -2)
  const sep = head === '{' ? '' : ','
  return { bytes: Buffer.from(`${head}${sep}"_SIGNATURE":{"sha-1":"${signature}"}}\n`, 'utf8'), signature }
}

export const PART_NAME = /^catalog\.(base|dependency|summary)\.([A-Za-z0-9_@.-]+)$/
export const UPDATE_LOG_NAME = /^update\.([0-9]{8}T[0-9]{2})Z\.([A-Za-z0-9_@.-]+)$/

/** Whether a name may be served from catalog/1 at all (no traversal, nothing but catalog files). */
export function isCatalogFileName (name: string): boolean {
  return name === 'catalog.attrs' || PART_NAME.test(name) || UPDATE_LOG_NAME.test(name)
}

export interface VersionEntry {
  readonly stem: string
  readonly version: string
  /** The part entry without its "version" key, e.g. {"signature-sha-1": …} or {"actions": […]}. */
  readonly entry: { [key: string]: JsonValue }
}

const versionCache = new Map<string, Version>()
function cachedVersion (v: string): Version {
  let parsed = versionCache.get(v)
  if (!parsed) {
    parsed = parseVersion(v)
    if (versionCache.size > 100_000) versionCache.clear()
    versionCache.set(v, parsed)
  }
  return parsed
}

export function compareVersionStrings (a: string, b: string): number {
  return compareVersions(cachedVersion(a), cachedVersion(b))
}

/** One stem's member of a part: "stem":[entries ascending by version], in canonical JSON. */
export function partFragment (stem: string, entries: VersionEntry[], format: CatalogFormat): string {
  entries.sort((a, b) => compareVersionStrings(a.version, b.version))
  const ascii = format === 'legacy'
  return quoteString(stem, ascii) + ':' + canonicalJson(entries.map(e => ({ ...e.entry, version: e.version })), ascii)
}

/**
 * The text of a part around its stems' fragments: the unsigned file is
 * head + fragments.join(',') + tail. Fragments come in code-point order of
 * their stems, so a part can be kept as bytes and patched stem by stem.
 */
export interface PartFrame {
  readonly head: string
  readonly tail: string
}

export function partFrame (publisher: string, format: CatalogFormat, hasStems: boolean): PartFrame {
  const feature = format === 'utf8' ? `"_FEATURE":["${FEATURE_UTF8}"]` : ''
  if (!hasStems) return { head: '{' + feature, tail: '}\n' }
  const open = quoteString(publisher, format === 'legacy') + ':{'
  if (feature === '') return { head: '{' + open, tail: '}}\n' }
  return compareCodePoints(publisher, '_FEATURE') < 0
    ? { head: '{' + open, tail: `},${feature}}\n` }
    : { head: `{${feature},` + open, tail: '}}\n' }
}

/** SHA-1 of the unsigned part whose comma-joined fragments are the concatenation of `members`. */
export function partSignature (frame: PartFrame, members: readonly Buffer[]): string {
  const hash = createHash('sha1').update(frame.head)
  for (const m of members) hash.update(m)
  return hash.update(frame.tail).digest('hex')
}

/** What follows the fragments in the signed file. */
export function signedPartTail (frame: PartFrame, signature: string): string {
  const sep = frame.head === '{' && frame.tail === '}\n' ? '' : ','
  return `${frame.tail.slice(0, -2)}${sep}"_SIGNATURE":{"sha-1":"${signature}"}}\n`
}

/**
 * A part assembled from its stems' fragments, given in code-point order of
 * their stems: the same bytes buildPart produces, without re-serializing
 * stems that did not change.
 */
export function assemblePart (publisher: string, fragments: readonly string[], format: CatalogFormat): SignedCatalogFile {
  const frame = partFrame(publisher, format, fragments.length > 0)
  const members = Buffer.from(fragments.join(','), 'utf8')
  const signature = partSignature(frame, [members])
  return { bytes: Buffer.concat([Buffer.from(frame.head), members, Buffer.from(signedPartTail(frame, signature))]), signature }
}

/** A part: {publisher: {stem: [entries ascending by version]}}. */
export function buildPart (publisher: string, entries: Iterable<VersionEntry>, format: CatalogFormat = 'legacy'): SignedCatalogFile {
  const stems: { [stem: string]: JsonValue[] } = {}
  const byStem = new Map<string, VersionEntry[]>()
  for (const e of entries) {
    const list = byStem.get(e.stem)
    if (list) list.push(e); else byStem.set(e.stem, [e])
  }
  for (const [stem, list] of byStem) {
    list.sort((a, b) => compareVersionStrings(a.version, b.version))
    stems[stem] = list.map(e => ({ ...e.entry, version: e.version }))
  }
  return signCatalogData(withFormat(byStem.size === 0 ? {} : { [publisher]: stems }, format))
}

export interface UpdateLogEntry {
  readonly stem: string
  readonly version: string
  readonly opType: 'add' | 'remove'
  readonly opTime: CatalogTime
  /** part name -> that part's entry for this version, including its "version" key */
  readonly parts: { [part: string]: JsonValue }
}

/** An hourly update log: {publisher: {stem: [entries in the order they happened]}}. */
export function buildUpdateLog (publisher: string, entries: Iterable<UpdateLogEntry>, format: CatalogFormat = 'legacy'): SignedCatalogFile {
  const stems: { [stem: string]: JsonValue[] } = {}
  for (const e of entries) {
    const list = stems[e.stem] ?? (stems[e.stem] = [])
    list.push({ ...e.parts, 'op-time': formatCatalogTime(e.opTime), 'op-type': e.opType, version: e.version })
  }
  return signCatalogData(withFormat(Object.keys(stems).length === 0 ? {} : { [publisher]: stems }, format))
}

export interface FileStamp {
  readonly lastModified: CatalogTime
  readonly signature: string
}

export interface CatalogAttrs {
  readonly created: CatalogTime
  readonly lastModified: CatalogTime
  readonly packageCount: number
  readonly packageVersionCount: number
  readonly parts: ReadonlyMap<string, FileStamp>
  readonly updates: ReadonlyMap<string, FileStamp>
}

function stamps (m: ReadonlyMap<string, FileStamp>): { [name: string]: JsonValue } {
  const out: { [name: string]: JsonValue } = {}
  for (const [name, s] of m) out[name] = { 'last-modified': formatCatalogTime(s.lastModified), 'signature-sha-1': s.signature }
  return out
}

export function buildCatalogAttrs (a: CatalogAttrs, format: CatalogFormat = 'legacy'): SignedCatalogFile {
  return signCatalogData(withFormat({
    created: formatCatalogTime(a.created),
    'last-modified': formatCatalogTime(a.lastModified),
    'package-count': a.packageCount,
    'package-version-count': a.packageVersionCount,
    parts: stamps(a.parts),
    updates: stamps(a.updates),
    version: 1
  }, format))
}

/** Reads a signed catalog file and checks its signature the way the client does. */
export function verifyCatalogFile (bytes: Buffer): { data: { [key: string]: JsonValue }, signature: string } {
  const parsed = JSON.parse(bytes.toString('utf8')) as { [key: string]: JsonValue }
  const sig = parsed._SIGNATURE as { 'sha-1'?: string } | undefined
  delete parsed._SIGNATURE
  const expected = sha1Hex(canonicalJson(parsed, catalogFormatOf(parsed) === 'legacy') + '\n')
  if (!sig || sig['sha-1'] !== expected) throw new Error(`catalog signature mismatch: stored ${sig?.['sha-1']}, computed ${expected}`)
  return { data: parsed, signature: expected }
}
