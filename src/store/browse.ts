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
      byName: db.prepare(`SELECT stem FROM stem_summary WHERE publisher = ? AND stem > ? AND lower(stem) GLOB ?
        ORDER BY stem LIMIT ?`).pluck(),
      byPublished: db.prepare(`SELECT stem FROM stem_summary WHERE publisher = ? AND lower(stem) GLOB ?
        ORDER BY last_published DESC, last_id DESC LIMIT ? OFFSET ?`).pluck(),
      versions: db.prepare('SELECT id, version, published FROM package WHERE publisher = ? AND stem = ? AND in_catalog = 1'),
      parts: db.prepare(`SELECT part, actions FROM package_part WHERE package_id = ? AND part IN ('catalog.summary.C', 'catalog.dependency.C')`),
      dependents: db.prepare(`SELECT DISTINCT p.publisher, p.stem FROM search_token t JOIN search_action a ON a.id = t.action_id JOIN package p ON p.id = a.package_id
        WHERE t.token = ? AND a.action_type = 'depend' AND p.in_catalog = 1 AND NOT (p.publisher = ? AND p.stem = ?) ORDER BY p.publisher, p.stem LIMIT ?`),
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

  /** The summary and the obsolete or renamed state of one version, from its catalog parts. */
  private describe (packageId: number): { summary: string | null, state: StemRow['state'] } {
    const parts = new Map((this.stmt.parts.all(packageId) as Array<{ part: string, actions: string }>).map(p => [p.part, p.actions]))
    return { summary: summaryOf(parts.get('catalog.summary.C') ?? null), state: stateOf(parts.get('catalog.dependency.C') ?? null) }
  }

  private stemRow (publisher: string, stem: string): StemRow {
    const all = this.versions(publisher, stem)
    const newest = all[0]!
    return { stem, version: newest.version, published: Math.max(...all.map(v => v.published)), versions: all.length, ...this.describe(newest.id) }
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
      const stems = (q.sort === 'name' ? this.stmt.byName.all(publisher, after, glob, want) : this.stmt.byPublished.all(publisher, glob, want, offset)) as string[]
      for (const stem of stems) {
        if (rows.length === q.limit) return { rows, next: { after, offset } }
        after = stem
        offset++
        const row = this.stemRow(publisher, stem)
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
