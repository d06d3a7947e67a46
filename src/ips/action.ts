/**
 * Actions: the lines of a manifest. Parsing follows pkg5's C parser
 * (_actions.c) state for state; printing follows Action.__str__, which is
 * what catalog parts and stored manifests contain.
 */
import { BadRequestError } from '../errors.js'

export const ACTION_TYPES = ['set', 'depend', 'group', 'user', 'dir', 'file', 'hardlink', 'link',
  'driver', 'license', 'legacy', 'signature', 'unknown'] as const
export type ActionType = typeof ACTION_TYPES[number]

const PAYLOAD_TYPES = new Set<string>(['file', 'license', 'signature'])
const TYPES = new Set<string>(ACTION_TYPES)

export type AttrValue = string | string[]

export interface Action {
  readonly type: ActionType
  readonly hash: string | null
  readonly attrs: Record<string, AttrValue>
}

export class ActionError extends BadRequestError {
  constructor (message: string, code = 'ERR_ACTION') { super(message, code) }
}

export class UnknownActionError extends ActionError {
  constructor (readonly actionType: string) {
    super(`unknown action type '${actionType}'`, 'ERR_UNKNOWN_ACTION')
  }
}

function malformed (line: string, pos: number, why: string): ActionError {
  return new ActionError(`Malformed action at position ${pos}: ${why}: ${line}`, 'ERR_MALFORMED_ACTION')
}

const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n'

function addAttr (attrs: Record<string, AttrValue>, key: string, value: string, concat: boolean): void {
  const prev = attrs[key]
  if (concat && prev !== undefined) {
    if (Array.isArray(prev)) prev[prev.length - 1] += value
    else attrs[key] = prev + value
    return
  }
  if (prev === undefined) attrs[key] = value
  else if (Array.isArray(prev)) prev.push(value)
  else attrs[key] = [prev, value]
}

type ParseState = 'KEY' | 'UQVAL' | 'QVAL' | 'WS'

export function parseAction (line: string): Action {
  const m = /[ \t\n]/.exec(line)
  if (!m) throw malformed(line, line.length, 'no attributes')
  const type = line.slice(0, m.index)
  if (!TYPES.has(type)) throw new UnknownActionError(type)
  const hashAllowed = PAYLOAD_TYPES.has(type)
  const attrs: Record<string, AttrValue> = Object.create(null)
  let hash: string | null = null
  let state: ParseState = 'WS'
  let prev: ParseState = 'WS'
  let ks = 0; let vs = 0
  let key = ''
  let quote = ''
  let concat = false
  let buf = ''

  const finishValue = (value: string, isConcat: boolean): void => {
    if (key === 'hash') {
      if (hash !== null && value !== hash) throw new ActionError(`hash attribute not identical to positional hash: ${line}`)
      hash = value
    } else {
      addAttr(attrs, key, value, isConcat)
    }
  }

  let i = m.index
  for (; i < line.length; i++) {
    const c = line[i]!
    if (state === 'KEY') {
      if (isWs(c)) {
        if (Object.keys(attrs).length > 0 || hash !== null) throw malformed(line, i, 'whitespace in key')
        hash = line.slice(ks, i)
        if (!hashAllowed) throw new ActionError(`action type doesn't allow payload: ${line}`)
        prev = state; state = 'WS'
      } else if (c === '=') {
        key = line.slice(ks, i)
        if (key === 'data') throw new ActionError(`invalid key: 'data': ${line}`)
        if (!hashAllowed && key === 'hash') throw new ActionError(`action type doesn't allow payload: ${line}`)
        if (++i === line.length) throw malformed(line, i, 'missing value')
        const v = line[i]!
        if (v === '"' || v === "'") {
          prev = state; state = 'QVAL'; quote = v; vs = i + 1; buf = ''
        } else if (isWs(v)) {
          throw malformed(line, i, 'missing value')
        } else {
          prev = state; state = 'UQVAL'; vs = i
        }
      } else if (c === '"' || c === "'") {
        throw malformed(line, i, 'quote in key')
      }
    } else if (state === 'QVAL') {
      if (c === '\\') {
        if (i === line.length - 1) { i++; break }
        const next = line[i + 1]!
        // Only an escaped backslash or matching quote loses its backslash.
        buf += (next === '\\' || next === quote) ? next : c + next
        i++
      } else if (c === quote) {
        prev = state; state = 'WS'
        finishValue(buf, concat)
        concat = false
      } else {
        buf += c
      }
    } else if (state === 'UQVAL') {
      if (isWs(c)) {
        prev = state; state = 'WS'
        finishValue(line.slice(vs, i), false)
      }
    } else if (!isWs(c)) {
      state = 'KEY'; ks = i
      if (c === '=') throw malformed(line, i, 'missing key')
      if (prev === 'QVAL' && (c === '"' || c === "'")) {
        state = 'QVAL'; quote = c; vs = i + 1; buf = ''; concat = true
      }
      prev = 'WS'
    }
  }
  if (state === 'UQVAL') finishValue(line.slice(vs, i), false)
  else if (state === 'QVAL') throw malformed(line, i, 'unfinished quoted value')
  else if (state === 'KEY') throw malformed(line, i, 'missing value')

  if (type === 'set') {
    const keys = Object.keys(attrs)
    // "set a=b" is shorthand for "set name=a value=b".
    if (keys.length === 1 && keys[0] !== 'name' && keys[0] !== 'value') {
      const k = keys[0]!
      const v = attrs[k]!
      delete attrs[k]
      attrs.name = k
      attrs.value = v
    }
  }
  if (Object.keys(attrs).length === 0 && hash === null) throw malformed(line, i, 'no attributes')
  return { type: type as ActionType, hash, attrs }
}

export function quoteAttrValue (v: string): string {
  if (v === '' || v.includes(' ') || v.includes("'") || v.includes('"') || v.includes('$(')) {
    if (!v.includes('"')) return `"${v}"`
    if (!v.includes("'")) return `'${v}'`
    return '"' + v.replaceAll('"', '\\"') + '"'
  }
  return v
}

/** Action.__str__: type, positional hash, then attributes sorted by key. */
export function formatAction (a: Action): string {
  let out: string = a.type
  const keys = Object.keys(a.attrs)
  if (a.hash) {
    if (!a.hash.includes('=') && !a.hash.includes(' ') && !a.hash.includes('"')) out += ' ' + a.hash
    else keys.push('hash')
  }
  keys.sort()
  for (const k of keys) {
    const v = k === 'hash' && !(k in a.attrs) ? a.hash! : a.attrs[k]!
    for (const item of Array.isArray(v) ? v : [v]) out += ' ' + k + '=' + quoteAttrValue(item)
  }
  return out
}

export function attrValues (a: Action, key: string): string[] {
  const v = a.attrs[key]
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

export function attrValue (a: Action, key: string): string | undefined {
  const v = a.attrs[key]
  return Array.isArray(v) ? v[0] : v
}

/** The attribute that names an action (Action.key_attr). */
export const KEY_ATTRIBUTES: Readonly<Record<string, string>> = {
  set: 'name', depend: 'fmri', dir: 'path', file: 'path', link: 'path', hardlink: 'path', group: 'groupname',
  user: 'username', driver: 'name', license: 'license', legacy: 'pkg', signature: 'value'
}

export function keyValue (a: Action): string | undefined {
  const key = KEY_ATTRIBUTES[a.type]
  return key === undefined ? undefined : attrValue(a, key)
}
