/**
 * Manifests: text, one action per line. Leading whitespace is stripped,
 * blank lines and '#' comments are skipped, and a trailing backslash
 * continues a line (Manifest.__content_to_actions).
 */
import { BadRequestError } from '../errors.js'
import { type Action, attrValue, attrValues, formatAction, parseAction } from './action.js'

/** An action line, and where it lies in the manifest's UTF-8 bytes (start -1: joined from continued lines). */
export interface LineSpan {
  readonly line: string
  readonly start: number
  readonly length: number
}

export function manifestLineSpans (text: string): LineSpan[] {
  const spans: LineSpan[] = []
  const ascii = Buffer.byteLength(text) === text.length
  const bytes = (s: string): number => ascii ? s.length : Buffer.byteLength(s)
  const breaks = /\r\n|\n|\r/g
  let acc: string | null = null
  let at = 0
  for (let from = 0; from <= text.length;) {
    const m = breaks.exec(text)
    const raw = text.slice(from, m === null ? text.length : m.index)
    const l = raw.replace(/^\s+/, '')
    const start = at + bytes(raw.slice(0, raw.length - l.length))
    at += bytes(raw) + (m === null ? 0 : m[0].length)
    from = m === null ? text.length + 1 : m.index + m[0].length
    if (l.endsWith('\\')) { acc = (acc ?? '') + l.slice(0, -1); continue }
    const line = (acc ?? '') + l
    const joined = acc !== null
    acc = null
    if (line === '' || line.startsWith('#')) continue
    spans.push(joined ? { line, start: -1, length: 0 } : { line, start, length: bytes(l) })
  }
  if (acc !== null && acc !== '' && !acc.startsWith('#')) spans.push({ line: acc, start: -1, length: 0 })
  return spans
}

export function manifestLines (text: string): string[] {
  return manifestLineSpans(text).map(s => s.line)
}

export class TooManyActionsError extends BadRequestError {
  constructor (count: number, max: number) { super(`The manifest has ${count} actions, more than the ${max} allowed (publish.max_actions).`, 'ERR_TOO_MANY_ACTIONS') }
}

export function parseManifest (text: string, maxActions = Infinity): Action[] {
  const lines = manifestLines(text)
  if (lines.length > maxActions) throw new TooManyActionsError(lines.length, maxActions)
  return lines.map(parseAction)
}

/** Catalog part entries for one package version, keyed by part name. */
export type PartActions = Map<string, string[]>

const DEPENDENCY_SET = /^(variant\.|facet\.|pkg\.depend\.)/
const DEPENDENCY_SET_NAMES = new Set(['pkg.obsolete', 'pkg.renamed', 'pkg.legacy'])
const EXCLUDED_SET = /^(info\.source-url|pkg\.debug|pkg\.linted)/
const EXCLUDED_SET_NAMES = new Set(['fmri', 'pkg.fmri', 'publisher'])

/**
 * Which actions of a manifest go into which catalog part
 * (Catalog.__gen_actions): depend actions and variant/facet/dependency
 * sets into catalog.dependency.C, other sets into catalog.summary.<locale>.
 */
export function catalogPartActions (actions: readonly Action[]): PartActions {
  const depends: string[] = []
  const depSets: string[] = []
  const summary = new Map<string, string[]>()
  for (const a of actions) {
    if (a.type === 'depend') { depends.push(formatAction(a)); continue }
    if (a.type !== 'set') continue
    const name = attrValue(a, 'name')
    if (name === undefined) continue
    if (DEPENDENCY_SET.test(name) || DEPENDENCY_SET_NAMES.has(name)) { depSets.push(formatAction(a)); continue }
    if (EXCLUDED_SET_NAMES.has(name) || EXCLUDED_SET.test(name)) continue
    const colon = name.indexOf(':')
    const locale = colon === -1 ? 'C' : name.slice(colon + 1)
    const part = `catalog.summary.${locale}`
    const list = summary.get(part) ?? []
    list.push(formatAction(a))
    summary.set(part, list)
  }
  const parts: PartActions = new Map()
  if (depends.length + depSets.length > 0) parts.set('catalog.dependency.C', [...depends, ...depSets])
  for (const [part, list] of summary) parts.set(part, list)
  return parts
}

/**
 * The content size the actions of a manifest declare for each payload they
 * reference (pkg.size), or null for a payload some action references
 * without one: what an upload of that payload may decompress to.
 */
export function declaredPayloadSizes (actions: readonly Action[]): Map<string, number | null> {
  const declared = new Map<string, number | null>()
  for (const a of actions) {
    if (a.hash === null) continue
    const size = Number(attrValue(a, 'pkg.size') ?? NaN)
    const known = Number.isSafeInteger(size) && size >= 0 ? size : null
    const prev = declared.get(a.hash)
    declared.set(a.hash, prev === undefined ? known : prev === null || known === null ? null : Math.max(prev, known))
  }
  return declared
}

/** The payloads an action needs from the depot: its own, and a signature's chain certificates. */
export function actionPayloads (a: Action): string[] {
  // pkgsign writes the chain as one value, the certificates' hashes separated by spaces (chain="H1 H2").
  const chain = attrValues(a, 'chain').flatMap(v => v.split(/\s+/)).filter(h => h !== '')
  return a.hash ? [a.hash, ...chain] : chain
}

/** Every payload a manifest's actions need, each once. */
export function manifestPayloads (actions: readonly Action[]): Set<string> {
  return new Set(actions.flatMap(actionPayloads))
}
