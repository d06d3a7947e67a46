/**
 * Evaluates a parsed pkg(5) query against the postings index (schema 014)
 * with pkg5's semantics: a term matches dictionary tokens
 * (case-insensitively unless asked, with * ? [ globs); AND over actions
 * keeps the left side's hits whose action also carries a token of the
 * right side; package results are sets.
 *
 * Hits stay integers (package, line, term, field) until they are printed:
 * only printed hits read their manifest. An AND of two terms starts from
 * the rarer one and looks the other up in that one's actions or packages,
 * so "common AND rare" costs what "rare" costs.
 */
import { compareVersionStrings } from '../ips/catalog.js'
import { keyValue, parseAction } from '../ips/action.js'
import { indexEntries, matchLabel } from '../ips/search-tokens.js'
import { compileGlob } from '../ips/fnmatch.js'
import { pyQuote } from '../ips/quote.js'
import { type Fields, parseQuery, type QueryNode, type QuerySpec, RETURN_ACTIONS, returnTypeOf, toPackages } from '../ips/search-query.js'
import { QueryTooBroadError, ServiceUnavailableError } from '../errors.js'
import type { Db } from './db.js'

/** A printed action result. */
export interface ActionHit {
  readonly actionType: string
  readonly key: string
  readonly label: string
  readonly stem: string
  readonly version: string
  readonly seq: number
  readonly line: string
}

export interface SearchLimits {
  /**
   * Work one query may do before it is refused: an index row read is 1,
   * a hit put in result order 1, a dictionary token matched against a glob
   * 1/16, a result line printed LINE_WORK (its manifest line is read and
   * parsed).
   */
  readonly maxWork: number
  /** Milliseconds one query may run. */
  readonly timeBudgetMs: number
}

/** A query stopped at its time budget, by the engine or by the pool. */
export const QUERY_TOO_LONG = 'The query took too long and was stopped; narrow it down.'

const isGlob = (term: string): boolean => /[*?[]/.test(term)
/** A term with its fields: what one search of it answers, whatever else the query holds. */
const termKey = (term: string, f: Fields): string => JSON.stringify([term, f.actionType, f.key, f.pkg])

/** An action's posting that matched: the action (package, line), the token (term) and the field it was indexed under. */
interface Hit {
  readonly pkg: number
  readonly seq: number
  readonly term: number
  readonly field: number
  /** The match shown, once known: a hit is labelled (and split by full value) when its line is read. */
  readonly label?: string
  /** Inside an OR under an AND: which left hit this one stands for. */
  readonly origin?: number
}

interface Pkg { readonly stem: string, readonly version: string }
interface Field { readonly actionType: string, readonly key: string }
interface Term { readonly token: string, readonly lower: string }

/** Actions as package → lines. */
type ActionSet = Map<number, Set<number>>

const hasAction = (set: ActionSet, pkg: number, seq: number): boolean => set.get(pkg)?.has(seq) === true
function addAction (set: ActionSet, pkg: number, seq: number): void {
  let lines = set.get(pkg)
  if (lines === undefined) { lines = new Set(); set.set(pkg, lines) }
  lines.add(seq)
}

/**
 * A glob without a literal prefix is matched against every token. A
 * worker keeps the dictionary in memory for that (reading SQLite's rows
 * was 10x slower than the matching), and brings it up to date with the
 * ids added since: ids are never reused, and a dropped term's id has no
 * postings left to find.
 */
class Dictionary {
  readonly ids: number[] = []
  readonly tokens: string[] = []
  readonly lowers: string[] = []
  private readonly newer

  constructor (db: Db) { this.newer = db.prepare('SELECT id, token, lower FROM search_term WHERE id > ? ORDER BY id').raw() }

  refresh (): this {
    const last = this.ids.length === 0 ? 0 : this.ids[this.ids.length - 1]!
    for (const [id, token, lower] of this.newer.iterate(last) as Iterable<[number, string, string]>) {
      this.ids.push(id); this.tokens.push(token); this.lowers.push(lower)
    }
    return this
  }
}

const dictionaries = new WeakMap<Db, Dictionary>()

function dictionaryOf (db: Db): Dictionary {
  let d = dictionaries.get(db)
  if (d === undefined) { d = new Dictionary(db); dictionaries.set(db, d) }
  return d.refresh()
}

const BATCH = 500
/** The work of printing one result line, against 1 for an index row: measured as about what reading and parsing a line costs. */
export const LINE_WORK = 8
/** Result lines printed at a time: the first few go out before the rest are read. */
const PRINT_BATCHES = [16, 256, 2048]
/** Parsed lines kept for hits to come: enough for any line's repeats within a batch, bounded in memory. */
const PARSED_MAX = 20_000
/** Up to this many candidate actions, an AND looks at each one's tokens rather than at the other term's postings. */
const FEW_ACTIONS = 2000

export class SearchEngine {
  private readonly deadline: number
  private work = 0
  private readonly stmt
  private readonly fields = new Map<number, Field>()
  private readonly terms = new Map<number, Term>()
  private readonly pkgs = new Map<number, Pkg | null>()
  private readonly lines = new Map<number, Map<number, string>>()
  private readonly matches = new Map<string, Set<number>>()
  /** Each distinct (term, fields) is searched once, and ordered once: '* OR * OR *' costs what '*' does. */
  private readonly found = new Map<string, Hit[]>()
  private readonly searched = new Map<string, Hit[]>()
  private readonly parsed = new Map<number, Map<number, ReturnType<typeof indexEntries>>>()
  private parsedLines = 0

  constructor (private readonly db: Db, private readonly publisher: string, private readonly caseSensitive: boolean, private readonly limits: SearchLimits) {
    this.deadline = Date.now() + limits.timeBudgetMs
    this.stmt = {
      exact: db.prepare(caseSensitive ? 'SELECT id, token, lower FROM search_term WHERE token = ?' : 'SELECT id, token, lower FROM search_term WHERE lower = ?').raw(),
      range: db.prepare(caseSensitive
        ? 'SELECT id, token, lower FROM search_term WHERE token >= ? AND token < ?'
        : 'SELECT id, token, lower FROM search_term WHERE lower >= ? AND lower < ?').raw(),
      fields: db.prepare('SELECT id, action_type, key FROM search_field').raw(),
      postings: db.prepare('SELECT package_id, seq, field_id FROM search_posting WHERE term_id = ?').raw(),
      inPackage: db.prepare('SELECT seq, field_id FROM search_posting WHERE term_id = ? AND package_id = ?').raw(),
      ofAction: db.prepare('SELECT term_id, field_id FROM search_posting WHERE package_id = ? AND seq = ?').raw(),
      tokensOfAction: db.prepare('SELECT t.token, t.lower FROM search_posting p JOIN search_term t ON t.id = p.term_id WHERE p.package_id = ? AND p.seq = ?').raw(),
      count: db.prepare('SELECT count(*) FROM (SELECT 1 FROM search_posting WHERE term_id = ? LIMIT ?)').pluck(),
      // A term's listed packages in one statement: the postings are read and joined in SQLite, never brought to JavaScript one by one.
      termPackages: db.prepare(`SELECT k.id, k.stem, k.version FROM package k INDEXED BY package_ref
        WHERE k.id IN (SELECT package_id FROM search_posting WHERE term_id IN (SELECT value FROM json_each(@terms))
          AND (@fields IS NULL OR field_id IN (SELECT value FROM json_each(@fields))))
        AND k.publisher = @publisher AND k.in_catalog = 1`).raw(),
      packages: db.prepare(`SELECT id, stem, version FROM package INDEXED BY package_ref
        WHERE id IN (SELECT value FROM json_each(?)) AND publisher = ? AND in_catalog = 1`).raw(),
      // A line is a slice of the stored manifest's bytes: no manifest is read whole to print a result.
      lines: db.prepare(`SELECT l.package_id, l.seq, coalesce(l.line, CAST(substr(k.manifest, l.start + 1, l.length) AS TEXT)) FROM json_each(?) j
        JOIN search_line l ON l.package_id = j.value ->> 0 AND l.seq = j.value ->> 1 JOIN package k ON k.id = l.package_id`).raw()
    }
  }

  private tick (n = 1): void {
    this.work += n
    if (this.work > this.limits.maxWork) throw new QueryTooBroadError(this.limits.maxWork)
    // The same answer as when the pool ends a worker past the budget: which of the two noticed first does not matter.
    if (Date.now() > this.deadline) throw new ServiceUnavailableError(QUERY_TOO_LONG, 1)
  }

  /** Work the budget has left, and one more: a count up to it tells whether the rest fits (LIMIT takes an integer). */
  private remaining (): number {
    return Math.max(1, Math.ceil(this.limits.maxWork - this.work + 1))
  }

  // ---- the dictionaries ----------------------------------------------------

  /** The field dictionary, read whole when an id is not in it yet (a field added since). */
  private loadFields (): void {
    for (const [fid, actionType, key] of this.stmt.fields.all() as Array<[number, string, string]>) this.fields.set(fid, { actionType, key })
  }

  private field (id: number): Field {
    if (!this.fields.has(id)) this.loadFields()
    return this.fields.get(id)!
  }

  private fieldMatches (id: number, f: Fields): boolean {
    if (f.actionType === null && f.key === null) return true
    const field = this.field(id)
    return (f.actionType === null || field.actionType === f.actionType) && (f.key === null || field.key === f.key)
  }

  /** Whether a dictionary token matches a query term: exactly or as a glob, on the lower-cased forms unless case matters. */
  private tokenTest (term: string): (token: string, lower: string) => boolean {
    const pattern = this.caseSensitive ? term : term.toLowerCase()
    if (!isGlob(term)) return this.caseSensitive ? token => token === pattern : (_, lower) => lower === pattern
    const re = compileGlob(pattern, false)
    return this.caseSensitive ? token => re.test(token) : (_, lower) => re.test(lower)
  }

  /** The dictionary terms a query term matches. Globs are matched here, against distinct tokens, never against postings. */
  private termIds (term: string): Set<number> {
    const known = this.matches.get(term)
    if (known !== undefined) return known
    const pattern = this.caseSensitive ? term : term.toLowerCase()
    const test = this.tokenTest(term)
    let rows: Iterable<[number, string, string]> | null
    if (!isGlob(term)) {
      rows = this.stmt.exact.iterate(pattern) as Iterable<[number, string, string]>
    } else {
      // The literal prefix bounds an index range; the glob itself is checked on what the range yields.
      const prefix = /^[^*?[]*/.exec(pattern)![0]
      rows = prefix === ''
        ? null
        : this.stmt.range.iterate(prefix, prefix.slice(0, -1) + String.fromCodePoint(prefix.codePointAt(prefix.length - 1)! + 1)) as Iterable<[number, string, string]>
    }
    const ids = new Set<number>()
    if (rows === null) {
      const d = dictionaryOf(this.db)
      this.tick(d.ids.length / 16)
      for (let i = 0; i < d.ids.length; i++) {
        if (!test(d.tokens[i]!, d.lowers[i]!)) continue
        ids.add(d.ids[i]!)
        this.terms.set(d.ids[i]!, { token: d.tokens[i]!, lower: d.lowers[i]! })
      }
      rows = []
    }
    for (const [id, token, lower] of rows) {
      this.tick()
      if (!test(token, lower)) continue
      ids.add(id)
      this.terms.set(id, { token, lower })
    }
    this.matches.set(term, ids)
    return ids
  }

  /** How many postings a term has, counted up to `cap`: enough to choose which side of an AND to start from. */
  private estimate (ids: ReadonlySet<number>, cap: number): number {
    let n = 0
    for (const id of ids) {
      this.tick()
      n += this.stmt.count.get(id, cap - n) as number
      if (n >= cap) break
    }
    return n
  }

  /** The publisher's listed packages among these ids (null: another publisher's, or not in the catalog yet). */
  private resolve (ids: Iterable<number>): void {
    const missing = [...new Set(ids)].filter(id => !this.pkgs.has(id))
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH)
      this.tick(batch.length)
      for (const id of batch) this.pkgs.set(id, null)
      for (const [id, stem, version] of this.stmt.packages.all(JSON.stringify(batch), this.publisher) as Array<[number, string, string]>) this.pkgs.set(id, { stem, version })
    }
  }

  private pkg (id: number): Pkg | null { return this.pkgs.get(id) ?? null }

  private pkgMatcher (f: Fields): ((p: Pkg) => boolean) | null {
    if (f.pkg === null) return null
    const re = compileGlob(f.pkg.endsWith('*') ? f.pkg : f.pkg + '*', true)
    return p => re.test(`${p.stem}@${p.version}`)
  }

  /** Reads the lines of these hits that are not read yet, in one statement. */
  private readLines (hits: readonly Hit[]): void {
    const wanted: ActionSet = new Map()
    for (const h of hits) if (this.lines.get(h.pkg)?.has(h.seq) !== true) addAction(wanted, h.pkg, h.seq)
    const pairs = [...wanted].flatMap(([pkg, seqs]) => [...seqs].map(seq => [pkg, seq]))
    if (pairs.length === 0) return
    this.tick(pairs.length)
    for (const [pkg, seq, line] of this.stmt.lines.iterate(JSON.stringify(pairs)) as Iterable<[number, number, Buffer | string]>) {
      let lines = this.lines.get(pkg)
      if (lines === undefined) { lines = new Map(); this.lines.set(pkg, lines) }
      lines.set(seq, typeof line === 'string' ? line : line.toString('utf8'))
    }
  }

  /** A hit's line as index entries, parsed once however many hits (or repeats of a term) it has. */
  private entries (h: Hit): ReturnType<typeof indexEntries> {
    let byLine = this.parsed.get(h.pkg)
    if (byLine === undefined) {
      if (this.parsedLines > PARSED_MAX) { this.parsed.clear(); this.parsedLines = 0 }
      byLine = new Map()
      this.parsed.set(h.pkg, byLine)
    }
    let e = byLine.get(h.seq)
    if (e === undefined) { e = indexEntries(parseAction(this.line(h))); byLine.set(h.seq, e); this.parsedLines++ }
    return e
  }

  private line (h: Hit): string {
    if (this.lines.get(h.pkg)?.has(h.seq) !== true) this.readLines([h])
    return this.lines.get(h.pkg)!.get(h.seq)!
  }

  // ---- hits ----------------------------------------------------------------

  /**
   * A term's hits, in result order: by stem, version (pkg(5) order) and
   * line; hits on one line by token, then by the order the action indexes
   * them. With `within`, only those actions are looked at.
   */
  private termSearch (term: string, f: Fields, within: ActionSet | null = null): Hit[] {
    if (within !== null) return this.ordered(this.termSearchIn(term, f, within))
    const key = termKey(term, f)
    let hits = this.searched.get(key)
    if (hits === undefined) { hits = this.ordered(this.termHits(term, f).slice()); this.searched.set(key, hits) }
    // A copy: callers sort and splice what they are given.
    return hits.slice()
  }

  /**
   * A term's hits in no particular order, shared (not to be changed): what
   * package results need, which are a set, sorted by FMRI at the end.
   * Ordering hits costs each package's place in version order, and the
   * parse of every line with two hits.
   */
  private termHits (term: string, f: Fields): readonly Hit[] {
    const key = termKey(term, f)
    let hits = this.found.get(key)
    if (hits === undefined) { hits = this.termSearchIn(term, f, null); this.found.set(key, hits) }
    return hits
  }

  private termSearchIn (term: string, f: Fields, within: ActionSet | null): Hit[] {
    const ids = this.termIds(term)
    const found: Hit[] = []
    if (within === null) {
      // Counted in SQLite first, and charged before any is read: a term too broad is refused in a fraction of the time reading would take.
      this.tick(this.estimate(ids, this.remaining()))
      let read = 0
      for (const id of ids) {
        for (const [pkg, seq, field] of this.stmt.postings.iterate(id) as Iterable<[number, number, number]>) {
          if ((++read & 4095) === 0) this.tick(0)
          if (this.fieldMatches(field, f)) found.push({ pkg, seq, term: id, field })
        }
      }
    } else {
      for (const [pkg, seqs] of within) {
        for (const seq of seqs) {
          for (const [id, field] of this.stmt.ofAction.iterate(pkg, seq) as Iterable<[number, number]>) {
            this.tick()
            if (ids.has(id) && this.fieldMatches(field, f)) found.push({ pkg, seq, term: id, field })
          }
        }
      }
    }
    this.resolve(found.map(h => h.pkg))
    const matcher = this.pkgMatcher(f)
    return found.filter(h => { const p = this.pkg(h.pkg); return p !== null && (matcher === null || matcher(p)) })
  }

  private ordered (hits: Hit[]): Hit[] {
    // Ordering costs as much as reading the hits did: charged first, so hits too many to print are not sorted before the refusal.
    this.tick(hits.length)
    const rank = this.rankPackages(hits.map(h => h.pkg))
    const column = (h: Hit): string => { const t = this.terms.get(h.term)!; return this.caseSensitive ? t.token : t.lower }
    hits.sort((a, b) => (rank.get(a.pkg)! - rank.get(b.pkg)!) || a.seq - b.seq || (column(a) < column(b) ? -1 : column(a) > column(b) ? 1 : 0))
    // Two postings of one line with the same token (in another case, or under another key) go in the order the action indexes them.
    for (let i = 0; i < hits.length;) {
      let j = i + 1
      while (j < hits.length && hits[j]!.pkg === hits[i]!.pkg && hits[j]!.seq === hits[i]!.seq) j++
      if (j - i > 1) {
        const entries = this.entries(hits[i]!)
        const order = (h: Hit): number => { const { key } = this.field(h.field); const t = this.terms.get(h.term)!.token; return entries.findIndex(e => e.key === key && e.token === t) }
        const run = hits.slice(i, j).sort((a, b) => (column(a) < column(b) ? -1 : column(a) > column(b) ? 1 : 0) || order(a) - order(b))
        hits.splice(i, j - i, ...run)
      }
      i = j
    }
    return hits
  }

  /** Package ids in result order: by stem, then pkg(5) version order. */
  private rankPackages (ids: Iterable<number>): Map<number, number> {
    const distinct = [...new Set(ids)]
    distinct.sort((a, b) => {
      const p = this.pkg(a)!
      const q = this.pkg(b)!
      return p.stem < q.stem ? -1 : p.stem > q.stem ? 1 : compareVersionStrings(p.version, q.version)
    })
    return new Map(distinct.map((id, i) => [id, i]))
  }

  /** The actions of a term's postings, in any field. */
  private actionsOf (ids: ReadonlySet<number>): ActionSet {
    const set: ActionSet = new Map()
    for (const id of ids) {
      for (const [pkg, seq] of this.stmt.postings.iterate(id) as Iterable<[number, number, number]>) {
        this.tick()
        addAction(set, pkg, seq)
      }
    }
    return set
  }

  /** Whether an action carries one of these terms, in any field. */
  private carries (pkg: number, seq: number, ids: ReadonlySet<number>): boolean {
    for (const [id] of this.stmt.ofAction.iterate(pkg, seq) as Iterable<[number, number]>) {
      this.tick()
      if (ids.has(id)) return true
    }
    return false
  }

  /** Whether an action has a token that passes the test, read from its own tokens. */
  private carriesMatch (pkg: number, seq: number, test: (token: string, lower: string) => boolean): boolean {
    for (const [token, lower] of this.stmt.tokensOfAction.iterate(pkg, seq) as Iterable<[string, string]>) {
      this.tick()
      if (test(token, lower)) return true
    }
    return false
  }

  /** The hits a restricting term's fields allow: its action type, key and package pattern apply to the left side's hits. */
  private meetingFields (f: Fields, hits: readonly Hit[]): Hit[] {
    const matcher = this.pkgMatcher(f)
    return hits.filter(h => {
      const field = this.field(h.field)
      if (f.actionType !== null && field.actionType !== f.actionType) return false
      if (f.key !== null && field.key !== f.key) return false
      return matcher === null || matcher(this.pkg(h.pkg)!)
    })
  }

  /** The left side's hits whose action also has a token matching the term (pkg5's _restricted_search_internal). */
  private restrictTerm (term: string, f: Fields, hits: readonly Hit[]): Hit[] {
    const candidates = this.meetingFields(f, hits)
    if (candidates.length === 0) return []
    const actions: ActionSet = new Map()
    for (const h of candidates) addAction(actions, h.pkg, h.seq)
    let carries: (pkg: number, seq: number) => boolean
    const few = candidates.length <= FEW_ACTIONS
    if (few && isGlob(term)) {
      // A glob checked on a few actions' own tokens, rather than expanded over the whole dictionary.
      const test = this.tokenTest(term)
      carries = (pkg, seq) => this.carriesMatch(pkg, seq, test)
    } else {
      const ids = this.termIds(term)
      if (ids.size === 0) return []
      // Either read the term's postings once, or each candidate action's tokens: whichever reads fewer rows.
      if (!few || this.estimate(ids, candidates.length * 8) < candidates.length * 8) {
        const set = this.actionsOf(ids)
        carries = (pkg, seq) => hasAction(set, pkg, seq)
      } else {
        carries = (pkg, seq) => this.carries(pkg, seq, ids)
      }
    }
    const kept: ActionSet = new Map()
    for (const [pkg, seqs] of actions) for (const seq of seqs) if (carries(pkg, seq)) addAction(kept, pkg, seq)
    return candidates.filter(h => hasAction(kept, h.pkg, h.seq))
  }

  /** Reads the hits' lines: each hit becomes one per distinct full value its token has on the line (as the index once stored them), labelled. */
  private labelled (hits: readonly Hit[]): Hit[] {
    this.readLines(hits.filter(h => h.label === undefined))
    return hits.flatMap(h => {
      if (h.label !== undefined) return [h]
      const { actionType, key } = this.field(h.field)
      const token = this.terms.get(h.term)!.token
      const seen = new Set<string>()
      const out: Hit[] = []
      for (const e of this.entries(h)) {
        if (e.key !== key || e.token !== token) continue
        if (e.fullValue !== null) { if (seen.has(e.fullValue)) continue; seen.add(e.fullValue) }
        out.push({ ...h, label: matchLabel(actionType, e) })
      }
      return out
    })
  }

  private phrase (words: readonly string[], f: Fields, restriction: readonly Hit[] | null): Hit[] {
    const full = words.join(' ')
    const compare = this.caseSensitive ? full : full.toLowerCase()
    const first = words.length > 1 && !words[0]!.endsWith('*') ? words[0] + '*' : words[0]!
    const hits = restriction === null ? this.termHits(first, f) : this.restrictTerm(first, f, restriction)
    this.readLines(hits)
    // The line test first: only the hits that pass it are ordered (a restriction's are in order already) and parsed to be labelled.
    const passed = hits.filter(h => { const line = this.line(h); return (this.caseSensitive ? line : line.toLowerCase()).includes(compare) })
    const inLine = restriction === null ? this.ordered(passed) : passed
    return this.labelled(inLine)
      .map(h => {
        const label = h.label!
        const keep = this.field(h.field).actionType !== 'set' || label.includes(compare) || (!this.caseSensitive && label.toLowerCase().includes(compare))
        return keep ? h : { ...h, label: compare }
      })
  }

  /** An AND of two terms: when the right one is much rarer, the left's hits are looked for in the right's actions only. */
  private and (left: QueryNode, right: QueryNode, restriction: readonly Hit[] | null): Hit[] {
    if (restriction === null && left.kind === 'term' && right.kind === 'term') {
      const l = this.termIds(left.term)
      const r = this.termIds(right.term)
      const rare = this.estimate(r, 4096)
      if (rare < 4096 && this.estimate(l, rare * 4 + 1) > rare * 4) {
        // Found within the right term's actions, every hit carries it: only its fields are left to apply.
        return this.meetingFields(right.fields, this.termSearch(left.term, left.fields, this.actionsOf(r)))
      }
    }
    return this.actions(right, this.actions(left, restriction))
  }

  /** Hits of an action-returning node, optionally within a restriction (AND's left side). */
  private actions (n: QueryNode, restriction: readonly Hit[] | null = null): Hit[] {
    switch (n.kind) {
      case 'term': return restriction === null ? this.termSearch(n.term, n.fields) : this.restrictTerm(n.term, n.fields, restriction)
      case 'phrase': return this.phrase(n.words, n.fields, restriction)
      case 'and': return this.and(n.left, n.right, restriction)
      case 'or': {
        if (restriction === null) return [...this.actions(n.left), ...this.actions(n.right)]
        // pkg5 evaluates both sides per left hit (each split by full value), in turn: both sides are evaluated once here,
        // each hit tagged with the left hit it came from, and then interleaved in that order.
        const base = this.labelled(restriction)
        const tagged = base.map((h, i) => ({ ...h, origin: i }))
        const byOrigin = (hits: readonly Hit[]): Map<number, Hit[]> => {
          const m = new Map<number, Hit[]>()
          for (const h of hits) { const list = m.get(h.origin!); if (list) list.push(h); else m.set(h.origin!, [h]) }
          return m
        }
        const left = byOrigin(this.actions(n.left, tagged))
        const right = byOrigin(this.actions(n.right, tagged))
        return base.flatMap((b, i) => [...left.get(i) ?? [], ...right.get(i) ?? []].map(h => ({ ...h, origin: b.origin })))
      }
      case 'pkgs': throw new Error('package conversion inside an action query')
    }
  }

  /**
   * The printed action results of an action-returning node, `skip` of them
   * left out and at most `take` given, in batches as they are printed. The
   * work of printing is charged before the first line, so a query too
   * broad to print is refused before anything is sent.
   */
  * actionResults (n: QueryNode, skip = 0, take = Infinity): Generator<ActionHit[]> {
    const hits = this.actions(n)
    this.tick(Math.min(hits.length, skip + take) * LINE_WORK)
    let at = 0
    let skipped = 0
    let given = 0
    for (let b = 0; at < hits.length && given < take; b++) {
      const size = PRINT_BATCHES[Math.min(b, PRINT_BATCHES.length - 1)]!
      const batch = this.labelled(hits.slice(at, at + size))
      at += size
      const out: ActionHit[] = []
      for (const h of batch) {
        if (skipped < skip) { skipped++; continue }
        if (given >= take) break
        given++
        const p = this.pkg(h.pkg)!
        const { actionType, key } = this.field(h.field)
        out.push({ actionType, key, label: h.label!, stem: p.stem, version: p.version, seq: h.seq, line: this.line(h) })
      }
      // Past the projection (a hit printed as several lines), each line still counts.
      if (batch.length > size) this.tick((batch.length - size) * LINE_WORK)
      if (out.length > 0) yield out
    }
  }

  private fmriOf (id: number): string { const p = this.pkg(id)!; return `pkg:/${p.stem}@${p.version}` }

  /** Package ids of a package-returning node; with `within`, only among those. */
  private packageIds (n: QueryNode, within: ReadonlySet<number> | null = null): Set<number> {
    if (n.kind === 'pkgs') {
      if (returnTypeOf(n.query) !== RETURN_ACTIONS) return this.packageIds(n.query, within)
      const q = n.query
      if (within !== null && q.kind === 'term') return this.termPackagesWithin(q.term, q.fields, within)
      if (q.kind === 'term') return this.termPackages(q.term, q.fields, within)
      const ids = new Set(this.actions(q).map(h => h.pkg))
      return within === null ? ids : new Set([...ids].filter(id => within.has(id)))
    }
    if (n.kind === 'and') {
      const [first, second] = this.rarerFirst(n.left, n.right)
      const narrowed = this.packageIds(first, within)
      return narrowed.size === 0 ? narrowed : this.packageIds(second, narrowed)
    }
    if (n.kind === 'or') return new Set([...this.packageIds(n.left, within), ...this.packageIds(n.right, within)])
    throw new Error('action query where packages were expected')
  }

  /**
   * The listed packages with a hit for a term (within `within`, if given).
   * The postings it reads are counted first, up to what the budget has
   * left, so a term too broad is refused before SQLite reads them all.
   */
  private termPackages (term: string, f: Fields, within: ReadonlySet<number> | null): Set<number> {
    const ids = this.termIds(term)
    const out = new Set<number>()
    if (ids.size === 0) return out
    this.tick(this.estimate(ids, this.remaining()))
    if (this.fields.size === 0) this.loadFields()
    const fields = f.actionType === null && f.key === null ? null : JSON.stringify([...this.fields.keys()].filter(id => this.fieldMatches(id, f)))
    const matcher = this.pkgMatcher(f)
    for (const [id, stem, version] of this.stmt.termPackages.all({ terms: JSON.stringify([...ids]), fields, publisher: this.publisher }) as Array<[number, string, string]>) {
      const p = { stem, version }
      this.pkgs.set(id, p)
      if ((within === null || within.has(id)) && (matcher === null || matcher(p))) out.add(id)
    }
    this.tick(out.size)
    return out
  }

  /** Of two package-returning sides, the one to evaluate first: a plain term with fewer postings. */
  private rarerFirst (a: QueryNode, b: QueryNode): [QueryNode, QueryNode] {
    const termOf = (n: QueryNode): string | null => n.kind === 'pkgs' && n.query.kind === 'term' ? n.query.term : null
    const ta = termOf(a)
    const tb = termOf(b)
    if (ta === null || tb === null) return [a, b]
    const eb = this.estimate(this.termIds(tb), 1 << 16)
    return eb < this.estimate(this.termIds(ta), eb + 1) ? [b, a] : [a, b]
  }

  /** The packages among `within` that have a hit for the term: a lookup per package instead of a scan of the term's postings. */
  private termPackagesWithin (term: string, f: Fields, within: ReadonlySet<number>): Set<number> {
    const ids = this.termIds(term)
    if (ids.size * within.size > this.estimate(ids, ids.size * within.size)) return this.termPackages(term, f, within)
    const matcher = this.pkgMatcher(f)
    const out = new Set<number>()
    for (const pkg of within) {
      const p = this.pkg(pkg)
      if (p === null || (matcher !== null && !matcher(p))) continue
      search: for (const id of ids) {
        for (const [, field] of this.stmt.inPackage.iterate(id, pkg) as Iterable<[number, number]>) {
          this.tick()
          if (this.fieldMatches(field, f)) { out.add(pkg); break search }
        }
      }
    }
    return out
  }

  /** Package results ("pkg:/stem@version") of a package-returning node. */
  packages (n: QueryNode): string[] {
    const ids = this.packageIds(n)
    this.tick(ids.size)
    return [...ids].map(id => this.fmriOf(id)).sort()
  }
}

/** The search/1 result lines of one query ("<index> 2 <fmri> <match> <action>" or "<index> 1 <fmri>"), in batches as they are printed. */
export function * resultLines (db: Db, publisher: string, spec: QuerySpec, index: number, limits: SearchLimits): Generator<string[]> {
  const engine = new SearchEngine(db, publisher, spec.caseSensitive, limits)
  const tree = parseQuery(spec.text)
  const skip = Math.max(spec.startPoint ?? 0, 0)
  const take = spec.numToReturn === null ? Infinity : Math.max(spec.numToReturn, 0)
  if (spec.returnType === RETURN_ACTIONS && tree.kind !== 'pkgs') {
    for (const batch of engine.actionResults(tree, skip, take)) {
      yield batch.map(h => `${index} 2 pkg:/${h.stem}@${h.version} ${pyQuote(h.label, '/')} ${h.line}`)
    }
    return
  }
  const pkgs = spec.returnType === RETURN_ACTIONS ? engine.packages(tree) : engine.packages(toPackages(tree))
  const kept = pkgs.slice(skip, take === Infinity ? undefined : skip + take)
  if (kept.length > 0) yield kept.map(p => `${index} 1 ${p}`)
}

/** search/0 lines: "<index> <fmri> <action> <value>", case-insensitive, in batches as they are printed. */
export function * legacyResultLines (db: Db, publisher: string, token: string, limits: SearchLimits): Generator<string[]> {
  const engine = new SearchEngine(db, publisher, false, limits)
  const tree = parseQuery(token)
  if (tree.kind === 'pkgs') return
  for (const batch of engine.actionResults(tree)) {
    yield batch.map(h => {
      const value = h.actionType === 'set' ? h.label : keyValue(parseAction(h.line)) ?? ''
      return `${h.key} pkg:/${h.stem}@${h.version} ${h.actionType} ${value}`
    })
  }
}
