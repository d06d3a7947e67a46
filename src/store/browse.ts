/**
 * What the web pages read: publishers with their counts, a publisher's
 * stems paged in SQL (by name with a keyset, by last publish with an
 * offset), one stem's versions, the stems that depend on a stem (from the
 * search index's depend tokens), and the recent catalog changes the feed
 * lists. Reads only: the pages never write.
 */
import { compareVersionStrings } from '../ips/catalog.js'
import type { Db } from './db.js'

export interface StemRow {
  readonly stem: string
  /** The newest version in the catalog, by pkg(5) version order. */
  readonly version: string
  readonly published: number
  readonly versions: number
  readonly summary: string | null
  readonly state: '' | 'obsolete' | 'renamed'
}

export interface StemQuery {
  /** A substring of the stem, or a glob (* and ?) matched against the whole stem; case-insensitive. */
  readonly name: string
  readonly obsolete: boolean
  readonly renamed: boolean
  readonly sort: 'name' | 'published'
  /** Name order: the last stem of the previous page. Publish order (FMRI timestamps are whole seconds; ties go by commit order): rows to skip. */
  readonly after: string
  readonly offset: number
  readonly limit: number
}

export interface StemPage {
  readonly rows: StemRow[]
  /** Where the next page starts, or null on the last page. */
  readonly next: { after: string, offset: number } | null
}

/** A name filter as a SQL GLOB over the lower-cased stem. */
function nameGlob (name: string): string {
  const lower = name.toLowerCase()
  // GLOB's own metacharacter [ is taken literally; * and ? keep their meaning.
  const literal = (s: string): string => s.replace(/\[/g, '[[]')
  if (/[*?]/.test(lower)) return literal(lower)
  return `*${literal(lower)}*`
}

const SUMMARY = /^set name=pkg\.summary value=(?:"((?:[^"\\]|\\.)*)"|(\S*))/
function summaryOf (actionsJson: string | null): string | null {
  if (actionsJson === null) return null
  for (const line of JSON.parse(actionsJson) as string[]) {
    const m = SUMMARY.exec(line)
    if (m) return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!
  }
  return null
}

function stateOf (dependencyJson: string | null): StemRow['state'] {
  if (dependencyJson === null) return ''
  const lines = JSON.parse(dependencyJson) as string[]
  if (lines.includes('set name=pkg.obsolete value=true')) return 'obsolete'
  if (lines.includes('set name=pkg.renamed value=true')) return 'renamed'
  return ''
}

export class Browse {
  private readonly stmt
  constructor (db: Db) {
    this.stmt = {
      byName: db.prepare(`SELECT stem, last_published FROM stem_summary WHERE publisher = ? AND stem > ? AND lower(stem) GLOB ?
        ORDER BY stem LIMIT ?`).raw(),
      byPublished: db.prepare(`SELECT stem, last_published FROM stem_summary WHERE publisher = ? AND lower(stem) GLOB ?
        ORDER BY last_published DESC, last_id DESC LIMIT ? OFFSET ?`).raw(),
      versions: db.prepare('SELECT id, version, published FROM package WHERE publisher = ? AND stem = ? AND in_catalog = 1'),
      // A page's stems at once (as JSON): one statement, not one per stem.
      versionsOfStems: db.prepare('SELECT stem, version, id FROM package WHERE publisher = ? AND in_catalog = 1 AND stem IN (SELECT value FROM json_each(?))').raw(),
      partsOf: db.prepare(`SELECT package_id, part, actions FROM package_part WHERE package_id IN (SELECT value FROM json_each(?))
        AND part IN ('catalog.summary.C', 'catalog.dependency.C')`).raw(),
      dependents: db.prepare(`SELECT DISTINCT k.publisher, k.stem FROM search_term t JOIN search_posting s ON s.term_id = t.id
        JOIN search_field f ON f.id = s.field_id JOIN package k INDEXED BY package_ref ON k.id = s.package_id
        WHERE t.token = ? AND f.action_type = 'depend' AND k.in_catalog = 1 AND NOT (k.publisher = ? AND k.stem = ?) ORDER BY k.publisher, k.stem LIMIT ?`),
      changes: db.prepare(`SELECT publisher, stem, version, op_type AS op, op_time AS at FROM update_log_entry
        WHERE (? IS NULL OR publisher = ?) AND log GLOB '*.C' ORDER BY op_time DESC, id DESC LIMIT ?`),
      oldest: db.prepare('SELECT version FROM package WHERE publisher = ? AND stem = ? AND in_catalog = 1').pluck()
    }
  }

  /** One stem's versions in the catalog, newest first. */
  versions (publisher: string, stem: string): Array<{ id: number, version: string, published: number }> {
    const rows = this.stmt.versions.all(publisher, stem) as Array<{ id: number, version: string, published: number | bigint }>
    return rows.sort((a, b) => compareVersionStrings(b.version, a.version)).map(r => ({ id: r.id, version: r.version, published: Number(r.published) }))
  }

  /**
   * The rows of a page's stems: each stem's newest version (a linear scan in
   * pkg(5) version order), its number of versions, and the newest's summary
   * and state from its catalog parts.
   */
  private stemRows (publisher: string, stems: ReadonlyArray<readonly [string, number | bigint]>): StemRow[] {
    const newest = new Map<string, { version: string, id: number, count: number }>()
    for (const [stem, version, id] of this.stmt.versionsOfStems.all(publisher, JSON.stringify(stems.map(s => s[0]))) as Array<[string, string, number]>) {
      const best = newest.get(stem)
      if (best === undefined) newest.set(stem, { version, id, count: 1 })
      else {
        best.count++
        if (compareVersionStrings(version, best.version) > 0) { best.version = version; best.id = id }
      }
    }
    const parts = new Map<number, Map<string, string>>()
    for (const [id, part, actions] of this.stmt.partsOf.all(JSON.stringify([...newest.values()].map(n => n.id))) as Array<[number, string, string]>) {
      const m = parts.get(id) ?? new Map<string, string>()
      m.set(part, actions)
      parts.set(id, m)
    }
    return stems.flatMap(([stem, published]) => {
      const n = newest.get(stem)
      if (n === undefined) return []
      const p = parts.get(n.id)
      return [{ stem, version: n.version, published: Number(published), versions: n.count, summary: summaryOf(p?.get('catalog.summary.C') ?? null), state: stateOf(p?.get('catalog.dependency.C') ?? null) }]
    })
  }

  /**
   * A page of stems. Stems whose newest version is obsolete or renamed are
   * left out unless asked for; the page is filled from further rows, a
   * bounded number of times, so a page is short only at the end.
   */
  stems (publisher: string, q: StemQuery): StemPage {
    const glob = nameGlob(q.name)
    const rows: StemRow[] = []
    let after = q.after
    let offset = q.offset
    for (let round = 0; round < 20; round++) {
      const want = q.limit + 1 - rows.length
      const stems = (q.sort === 'name' ? this.stmt.byName.all(publisher, after, glob, want) : this.stmt.byPublished.all(publisher, glob, want, offset)) as Array<[string, number | bigint]>
      for (const row of this.stemRows(publisher, stems)) {
        if (rows.length === q.limit) return { rows, next: { after, offset } }
        after = row.stem
        offset++
        if ((row.state === 'obsolete' && !q.obsolete) || (row.state === 'renamed' && !q.renamed)) continue
        rows.push(row)
      }
      if (stems.length < want) return { rows, next: null }
    }
    return { rows, next: { after, offset } }
  }

  /**
   * The packages, of any publisher, with a depend action naming `stem` (any
   * type, any version). The index keeps FMRIs without their publisher, so a
   * dependency on another publisher's stem of the same name is listed too.
   */
  dependents (publisher: string, stem: string, limit: number): Array<{ publisher: string, stem: string }> {
    return this.stmt.dependents.all(stem, publisher, stem, limit) as Array<{ publisher: string, stem: string }>
  }

  /**
   * The latest catalog changes, newest first, from the C locale's update
   * logs (the others repeat them with localized data). An added version that is not
   * the oldest of its stem is an update, as pkg.depotd's feed calls it.
   */
  changes (publisher: string | null, limit: number): Array<{ publisher: string, stem: string, version: string, kind: 'added' | 'updated' | 'removed', at: number }> {
    const rows = this.stmt.changes.all(publisher, publisher, limit) as Array<{ publisher: string, stem: string, version: string, op: 'add' | 'remove', at: number | bigint }>
    return rows.map(r => {
      let kind: 'added' | 'updated' | 'removed' = 'removed'
      if (r.op === 'add') {
        const versions = this.stmt.oldest.all(r.publisher, r.stem) as string[]
        const oldest = versions.sort(compareVersionStrings)[0]
        kind = oldest === undefined || oldest === r.version ? 'added' : 'updated'
      }
      return { publisher: r.publisher, stem: r.stem, version: r.version, kind, at: Number(r.at) }
    })
  }
}
