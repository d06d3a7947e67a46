/**
 * pkg(5) search queries: the v1 query string
 * (<case>_<return>_<num>_<start>_<text>) and the query language of its
 * text — terms with * ? [ globs, AND, OR, parentheses, 'phrases',
 * pkg:action:key:token field terms, and <…> / p<…> / pkgs<…> package
 * conversion — with pkg5's error wording and its 404/400 split.
 */
import { BadRequestError, DepotError } from '../errors.js'

export const MAX_TERMS = 100
export const MAX_QUERY_CHARS = 4096

/** Malformed query fields: pkg5 answers 404 (the client reads it as "unsupported"). */
export class MalformedQueryError extends DepotError {
  constructor (message: string) { super('ERR_QUERY_FIELDS', 404, message) }
}

export class QueryParseError extends BadRequestError {
  constructor (message: string) { super(message, 'ERR_QUERY_PARSE') }
}

export const RETURN_PACKAGES = 1
export const RETURN_ACTIONS = 2
export type ReturnType = typeof RETURN_PACKAGES | typeof RETURN_ACTIONS

export interface QuerySpec {
  readonly caseSensitive: boolean
  readonly returnType: ReturnType
  readonly numToReturn: number | null
  readonly startPoint: number | null
  readonly text: string
}

function pyInt (s: string): number | null {
  const t = s.trim()
  return /^[+-]?[0-9]+$/.test(t) ? Number(t) : null
}

export function parseQueryString (s: string): QuerySpec {
  const parts = s.split('_')
  if (parts.length < 5) {
    throw new MalformedQueryError('A query is expected to have five fields: case sensitivity, return type, number of results to return, the number at which to start returning results, and the text of the query.  The query provided lacked at least one of those fields:\n' + s)
  }
  const [cs, rt, num, start] = parts as [string, string, string, string]
  const text = parts.slice(4).join('_')
  const bad = (name: string, v: string): MalformedQueryError => new MalformedQueryError(`In query ${s}, ${name} had a bad value of '${v}'.`)
  if (cs !== 'True' && cs !== 'False') throw bad('case_sensitive', cs)
  const numToReturn = num === 'None' ? null : pyInt(num)
  if (numToReturn === null && num !== 'None') throw bad('num_to_return', num)
  const startPoint = start === 'None' ? null : pyInt(start)
  if (startPoint === null && start !== 'None') throw bad('start_point', start)
  const returnType = pyInt(rt)
  if (returnType !== RETURN_PACKAGES && returnType !== RETURN_ACTIONS) throw bad('return_type', rt)
  if (text.length > MAX_QUERY_CHARS) throw new QueryParseError(`The query is longer than ${MAX_QUERY_CHARS} characters.`)
  const terms = text.split(' ').length
  if (terms > MAX_TERMS) throw new QueryParseError(`The number of terms in the query is ${terms}, which exceeds the maximum supported value of ${MAX_TERMS} terms.`)
  return { caseSensitive: cs === 'True', returnType, numToReturn, startPoint, text }
}

// ---- lexer -----------------------------------------------------------------

type TokenType = 'FTERM' | 'TERM' | 'LPAREN' | 'RPAREN' | 'AND' | 'OR' | 'QUOTE1' | 'QUOTE2' | 'LBRACE' | 'RBRACE'
interface FieldToken { pkg: string, actionType: string, key: string, token: string }
interface Token { type: TokenType, value: string | FieldToken, pos: number }

const RULES: Array<[TokenType, RegExp]> = [
  ['LBRACE', /(?:[pP](?:[kK](?:[gG][sS]?)?)?)?</y],
  ['RBRACE', />/y],
  ['FTERM', /(?:[^'"(\s][^\s]*)?:(?:[^\s('"][^\s]*[^\s)'">]|[^\s()'">])?/y],
  ['TERM', /[^\s('"][^\s]*[^\s)'">]|[^\s()'"]/y],
  ['LPAREN', /\(/y],
  ['RPAREN', /\)/y],
  ['QUOTE1', /'/y],
  ['QUOTE2', /"/y]
]

function fieldToken (text: string): Token['value'] | null {
  const raw = text.split(':')
  const fields = [raw[0]!]
  for (const f of raw.slice(1)) {
    const last = fields[fields.length - 1]!
    if (last.endsWith('\\')) fields[fields.length - 1] = last.slice(0, -1) + ':' + f
    else fields.push(f)
  }
  if (fields.length === 1) return null
  const token = fields[fields.length - 1]!
  return { pkg: fields.length >= 4 ? fields[fields.length - 4]! : '', actionType: fields.length >= 3 ? fields[fields.length - 3]! : '', key: fields[fields.length - 2]!, token }
}

export function lex (text: string): Token[] {
  const out: Token[] = []
  let pos = 0
  while (pos < text.length) {
    if (text[pos] === ' ') { pos++; continue }
    let matched = false
    for (const [type, re] of RULES) {
      re.lastIndex = pos
      const m = re.exec(text)
      if (!m || m[0] === '') continue
      const start = pos
      pos += m[0].length
      if (type === 'FTERM') {
        const f = fieldToken(m[0])
        if (f === null) {
          const t = m[0].replace(/\\:/g, ':')
          out.push({ type: t === 'AND' || t === 'OR' ? t : 'TERM', value: t, pos: start })
        } else {
          out.push({ type, value: f, pos: start })
        }
      } else if (type === 'TERM' && (m[0] === 'AND' || m[0] === 'OR')) {
        out.push({ type: m[0], value: m[0], pos: start })
      } else {
        out.push({ type, value: m[0], pos: start })
      }
      matched = true
      break
    }
    if (!matched) throw new QueryParseError(`An unparseable character in query at position : ${pos + 1}\n${text}\n${' '.repeat(pos)}^`)
  }
  return out
}

// ---- AST -------------------------------------------------------------------

export interface Fields { readonly pkg: string | null, readonly actionType: string | null, readonly key: string | null }
export type QueryNode =
  | { kind: 'term', term: string, fields: Fields }
  | { kind: 'phrase', words: string[], fields: Fields }
  | { kind: 'and' | 'or', left: QueryNode, right: QueryNode }
  | { kind: 'pkgs', query: QueryNode }

const NO_FIELDS: Fields = { pkg: null, actionType: null, key: null }
const wild = (s: string): string | null => (s === '' || s === '*' ? null : s)

export function returnTypeOf (n: QueryNode): ReturnType {
  switch (n.kind) {
    case 'term': case 'phrase': return RETURN_ACTIONS
    case 'pkgs': return RETURN_PACKAGES
    default: return returnTypeOf(n.left)
  }
}

function describe (n: QueryNode): string {
  const f = (x: Fields): string => [x.pkg ?? '', x.actionType ?? '', x.key ?? ''].map(v => v.split(':').join('\\:')).join(':')
  switch (n.kind) {
    case 'term': return `${f(n.fields)}:${n.term}`
    case 'phrase': return `${f(n.fields)}:'${n.words.join(' ')}'`
    case 'pkgs': return `p<${describe(n.query)}>`
    default: return `(${describe(n.left)} ${n.kind.toUpperCase()} ${describe(n.right)})`
  }
}

function boolean (kind: 'and' | 'or', left: QueryNode, right: QueryNode): QueryNode {
  const l = returnTypeOf(left)
  if (l !== returnTypeOf(right)) {
    const [ac, pc] = l === RETURN_ACTIONS ? [left, right] : [right, left]
    throw new QueryParseError(`This expression produces action results:\n\t${describe(ac)}\nThis expression produces package results:\n\t${describe(pc)}\n'AND' and 'OR' require those expressions to produce the same type of results.`)
  }
  return { kind, left, right }
}

function withFields (n: QueryNode, fields: Fields): QueryNode {
  if (n.kind === 'term' || n.kind === 'phrase') return { ...n, fields }
  return n
}

export function parseQuery (text: string): QueryNode {
  const tokens = lex(text)
  let i = 0
  const peek = (): Token | undefined => tokens[i]
  const fail = (): never => {
    const t = tokens[i]
    const shown = t === undefined ? 'None' : `LexToken(${t.type},${JSON.stringify(typeof t.value === 'string' ? t.value : '')},1,${t.pos})`
    const pos = t === undefined ? text.length : t.pos
    throw new QueryParseError(`Could not parse query.\nProblem occurred with: ${shown}\t\n\t${text}\n\t${' '.repeat(Math.max(pos - 1, 0))}^`)
  }
  const expect = (type: TokenType): Token => { if (peek()?.type !== type) fail(); return tokens[i++]! }
  const startsBaseterm = (t: Token | undefined): boolean => t !== undefined && ['TERM', 'FTERM', 'QUOTE1', 'QUOTE2', 'LPAREN', 'LBRACE'].includes(t.type)

  const phrase = (): QueryNode => {
    const q = tokens[i++]!.type
    const words: string[] = []
    while (peek()?.type === 'TERM') words.push(tokens[i++]!.value as string)
    if (words.length === 0) fail()
    expect(q)
    return { kind: 'phrase', words, fields: NO_FIELDS }
  }
  const fterm = (): QueryNode => {
    const f = tokens[i++]!.value as FieldToken
    const fields: Fields = { pkg: wild(f.pkg), actionType: wild(f.actionType), key: wild(f.key) }
    const next = peek()
    let arg: QueryNode | null = null
    if (next?.type === 'TERM') { i++; arg = { kind: 'term', term: next.value as string, fields: NO_FIELDS } } else if (next?.type === 'QUOTE1' || next?.type === 'QUOTE2') arg = phrase()
    else if (next?.type === 'FTERM') arg = fterm()
    if (arg === null) return { kind: 'term', term: f.token === '' ? '*' : f.token, fields }
    if (f.token === '') return withFields(arg, fields)
    return boolean('and', { kind: 'term', term: f.token, fields }, arg)
  }
  const baseterm = (): QueryNode => {
    const t = peek()
    switch (t?.type) {
      case 'TERM': i++; return { kind: 'term', term: t.value as string, fields: NO_FIELDS }
      case 'FTERM': return fterm()
      case 'QUOTE1': case 'QUOTE2': return phrase()
      case 'LPAREN': { i++; const x = xterm(); expect('RPAREN'); return x }
      case 'LBRACE': { i++; const x = xterm(); expect('RBRACE'); return { kind: 'pkgs', query: x } }
      default: return fail()
    }
  }
  const basetermlist = (): QueryNode => {
    const first = baseterm()
    return startsBaseterm(peek()) ? boolean('and', first, basetermlist()) : first
  }
  function xterm (): QueryNode {
    const left = basetermlist()
    const op = peek()
    if (op?.type === 'AND' || op?.type === 'OR') {
      i++
      return boolean(op.type === 'AND' ? 'and' : 'or', left, xterm())
    }
    return left
  }
  const root = xterm()
  if (i < tokens.length) fail()
  return root
}

/** Makes a query return packages: p<…> around every action-returning branch (TopQuery.propagate_pkg_return). */
export function toPackages (n: QueryNode): QueryNode {
  if (n.kind === 'and' || n.kind === 'or') return { kind: n.kind, left: toPackages(n.left), right: toPackages(n.right) }
  if (n.kind === 'pkgs') return n
  return { kind: 'pkgs', query: n }
}
