/**
 * Evaluates a parsed pkg(5) query against the SQLite index with pkg5's
 * semantics: a term matches index tokens (case-insensitively unless asked,
 * with * ? [ globs); AND over actions narrows the left side's actions to
 * those that also carry a matching token; package results are sets.
 */
import { compareVersionStrings } from '../ips/catalog.js'
import { keyValue, parseAction } from '../ips/action.js'
import { matchLabel } from '../ips/search-tokens.js'
import { fnmatchRegExp } from '../ips/fnmatch.js'
import { pyQuote } from '../ips/quote.js'
import { type Fields, parseQuery, type QueryNode, type QuerySpec, RETURN_ACTIONS, returnTypeOf, toPackages } from '../ips/search-query.js'
import { ServiceUnavailableError } from '../errors.js'
import type { Db } from './db.js'

export interface ActionHit {
  readonly actionId: number
  readonly actionType: string
  readonly key: string
  readonly label: string
  readonly stem: string
  readonly version: string
  readonly seq: number
  readonly line: string
}

export interface SearchLimits {
  /** Index rows one query may touch before it is refused. */
  readonly maxRows: number
  /** Milliseconds one query may run. */
  readonly timeBudgetMs: number
}

/** A query stopped at its time budget, by the engine or by the pool. */
export const QUERY_TOO_LONG = 'The query took too long and was stopped; narrow it down.'

const isGlob = (term: string): boolean => /[*?[]/.test(term)
const onlyWildcards = (term: string): boolean => /^[*?]*$/.test(term)

export class SearchEngine {
  private readonly deadline: number
  private rows = 0

  constructor (private readonly db: Db, private readonly publisher: string, private readonly caseSensitive: boolean, private readonly limits: SearchLimits) {
    this.deadline = Date.now() + limits.timeBudgetMs
  }

  private tick (n = 1): void {
    this.rows += n
    if (this.rows > this.limits.maxRows) throw new ServiceUnavailableError('The query is too expensive for this server; narrow it down.', 1)
    // The same answer as when the pool ends a worker past the budget: which of the two noticed first does not matter.
    if (Date.now() > this.deadline) throw new ServiceUnavailableError(QUERY_TOO_LONG, 1)
  }

  private pkgMatcher (f: Fields): ((stem: string, version: string) => boolean) | null {
    if (f.pkg === null) return null
    const re = fnmatchRegExp(f.pkg.endsWith('*') ? f.pkg : f.pkg + '*', true)
    return (stem, version) => re.test(`${stem}@${version}`)
  }

  private termSearch (term: string, f: Fields): ActionHit[] {
    const where = ['p.publisher = ?', 'p.in_catalog = 1']
    const params: unknown[] = [this.publisher]
    const column = this.caseSensitive ? 't.token' : 't.token_lower'
    const pattern = this.caseSensitive ? term : term.toLowerCase()
    let exact: RegExp | null = null
    let byToken = true
    if (!isGlob(term)) {
      where.push(`${column} = ?`); params.push(pattern)
    } else if (!onlyWildcards(term)) {
      // The literal prefix bounds an index range; the glob itself is checked on what the range yields.
      const prefix = /^[^*?[]*/.exec(pattern)![0]
      if (prefix !== '') {
        where.push(`${column} >= ? AND ${column} < ?`)
        params.push(prefix, prefix.slice(0, -1) + String.fromCodePoint(prefix.codePointAt(prefix.length - 1)! + 1))
      } else {
        byToken = false
      }
      exact = fnmatchRegExp(pattern, false)
    } else {
      byToken = false
    }
    if (f.actionType !== null) { where.push('a.action_type = ?'); params.push(f.actionType) }
    if (f.key !== null) { where.push('t.key = ?'); params.push(f.key) }
    const pkg = this.pkgMatcher(f)
    // With a token range, drive the join from the token index (CROSS JOIN fixes the order for SQLite's planner).
    const join = byToken ? 'CROSS JOIN' : 'JOIN'
    const stmt = this.db.prepare(`SELECT a.id, a.action_type, a.seq, a.line, t.token, t.token_lower, t.key, t.full_value, p.stem, p.version
      FROM search_token t ${join} search_action a ON a.id = t.action_id ${join} package p ON p.id = a.package_id WHERE ${where.join(' AND ')}`)
    const hits: ActionHit[] = []
    for (const r of stmt.iterate(...params) as Iterable<{ id: number, action_type: string, seq: number, line: string, token: string, token_lower: string, key: string, full_value: string | null, stem: string, version: string }>) {
      this.tick()
      if (exact && !exact.test(this.caseSensitive ? r.token : r.token_lower)) continue
      if (pkg && !pkg(r.stem, r.version)) continue
      hits.push({ actionId: r.id, actionType: r.action_type, key: r.key, label: matchLabel(r.action_type, { key: r.key, token: r.token, fullValue: r.full_value }), stem: r.stem, version: r.version, seq: r.seq, line: r.line })
    }
    return hits.sort((a, b) => a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : (compareVersionStrings(a.version, b.version) || a.seq - b.seq))
  }

  /** The left side's hits whose action also has a token matching the term (_restricted_search_internal). */
  private restrictTerm (term: string, f: Fields, hits: readonly ActionHit[]): ActionHit[] {
    const tokensOf = this.db.prepare('SELECT token FROM search_token WHERE action_id = ?').pluck()
    const glob = !this.caseSensitive || isGlob(term)
    const re = glob ? fnmatchRegExp(term, !this.caseSensitive) : null
    const pkg = this.pkgMatcher(f)
    return hits.filter(h => {
      this.tick()
      if (pkg && !pkg(h.stem, h.version)) return false
      if (f.actionType !== null && h.actionType !== f.actionType) return false
      if (f.key !== null && h.key !== f.key) return false
      const tokens = tokensOf.all(h.actionId) as string[]
      return re ? tokens.some(t => re.test(t)) : tokens.includes(term)
    })
  }

  private phrase (words: readonly string[], f: Fields, restriction: readonly ActionHit[] | null): ActionHit[] {
    const full = words.join(' ')
    const compare = this.caseSensitive ? full : full.toLowerCase()
    const first = words.length > 1 && !words[0]!.endsWith('*') ? words[0] + '*' : words[0]!
    const base = restriction === null ? this.termSearch(first, f) : this.restrictTerm(first, f, restriction)
    return base
      .filter(h => (this.caseSensitive ? h.line : h.line.toLowerCase()).includes(compare))
      .map(h => {
        const keep = h.actionType !== 'set' || h.label.includes(compare) || (!this.caseSensitive && h.label.toLowerCase().includes(compare))
        return keep ? h : { ...h, label: compare }
      })
  }

  /** Action results of an action-returning node, optionally within a restriction (AND's left side). */
  actions (n: QueryNode, restriction: readonly ActionHit[] | null = null): ActionHit[] {
    switch (n.kind) {
      case 'term': return restriction === null ? this.termSearch(n.term, n.fields) : this.restrictTerm(n.term, n.fields, restriction)
      case 'phrase': return this.phrase(n.words, n.fields, restriction)
      case 'and': return this.actions(n.right, this.actions(n.left, restriction))
      case 'or':
        if (restriction === null) return [...this.actions(n.left), ...this.actions(n.right)]
        return restriction.flatMap(h => [...this.actions(n.left, [h]), ...this.actions(n.right, [h])])
      case 'pkgs': throw new Error('package conversion inside an action query')
    }
  }

  /** Package results ("pkg:/stem@version") of a package-returning node. */
  packages (n: QueryNode): string[] {
    let set: Set<string>
    if (n.kind === 'pkgs') {
      set = new Set(returnTypeOf(n.query) === RETURN_ACTIONS ? this.actions(n.query).map(h => `pkg:/${h.stem}@${h.version}`) : this.packages(n.query))
    } else if (n.kind === 'and') {
      const right = new Set(this.packages(n.right))
      set = new Set(this.packages(n.left).filter(p => right.has(p)))
    } else if (n.kind === 'or') {
      set = new Set([...this.packages(n.left), ...this.packages(n.right)])
    } else {
      throw new Error('action query where packages were expected')
    }
    return [...set].sort()
  }
}

/** The search/1 result lines of one query ("<index> 2 <fmri> <match> <action>" or "<index> 1 <fmri>"). */
export function resultLines (db: Db, publisher: string, spec: QuerySpec, index: number, limits: SearchLimits): string[] {
  const engine = new SearchEngine(db, publisher, spec.caseSensitive, limits)
  const tree = parseQuery(spec.text)
  const start = Math.max(spec.startPoint ?? 0, 0)
  const keep = <T>(all: T[]): T[] => all.slice(start, spec.numToReturn === null ? undefined : start + Math.max(spec.numToReturn, 0))
  if (spec.returnType === RETURN_ACTIONS && tree.kind !== 'pkgs') {
    return keep(engine.actions(tree)).map(h => `${index} 2 pkg:/${h.stem}@${h.version} ${pyQuote(h.label, '/')} ${h.line}`)
  }
  const pkgs = spec.returnType === RETURN_ACTIONS ? engine.packages(tree) : engine.packages(toPackages(tree))
  return keep(pkgs).map(p => `${index} 1 ${p}`)
}

/** search/0 lines: "<index> <fmri> <action> <value>", case-insensitive. */
export function legacyResultLines (db: Db, publisher: string, token: string, limits: SearchLimits): string[] {
  const engine = new SearchEngine(db, publisher, false, limits)
  const tree = parseQuery(token)
  if (tree.kind === 'pkgs') return []
  return engine.actions(tree).map(h => {
    const value = h.actionType === 'set' ? h.label : keyValue(parseAction(h.line)) ?? ''
    return `${h.key} pkg:/${h.stem}@${h.version} ${h.actionType} ${value}`
  })
}
