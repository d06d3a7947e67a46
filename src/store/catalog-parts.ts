/**
 * Catalog parts as signed bytes in memory, patched stem by stem.
 *
 * The rows of catalog_part_stem (one serialized fragment per stem) are the
 * stored form of a part; catalog_file holds its signature. A part's bytes
 * are never written back: a publish into a catalog of 100k versions would
 * otherwise rewrite megabytes per part. Instead each connection keeps the
 * bytes it last built, valid while the stored signature still matches
 * them, and rebuilds from the fragments when another process (or a rolled
 * back transaction) changed the part.
 */
import { compareCodePoints } from '../ips/canonical-json.js'
import { type CatalogFormat, partFrame, partSignature, signedPartTail } from '../ips/catalog.js'
import type { Db } from './db.js'

export interface StemFragment {
  /** "stem":[entries], as partFragment writes it. */
  readonly fragment: string
  readonly versions: number
}

export interface CatalogPart {
  readonly signature: string
  /** The signed file, as served. */
  readonly bytes: Buffer
  readonly stemCount: number
  readonly versionCount: number
}

interface PartState extends CatalogPart {
  readonly format: CatalogFormat
  readonly membersStart: number
  readonly membersEnd: number
  /** Stems in code-point order, with each fragment's byte length and version count. */
  readonly stems: string[]
  readonly lengths: number[]
  readonly versions: number[]
}

const COMMA = Buffer.from(',')

function lowerBound (stems: readonly string[], stem: string): number {
  let lo = 0
  let hi = stems.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareCodePoints(stems[mid]!, stem) < 0) lo = mid + 1; else hi = mid
  }
  return lo
}

/** Signs a part whose fragments are the comma-joined `runs`, and lays out its file. */
function sign (publisher: string, format: CatalogFormat, runs: readonly Buffer[]): Pick<PartState, 'signature' | 'bytes' | 'membersStart' | 'membersEnd'> {
  const frame = partFrame(publisher, format, runs.length > 0)
  const members: Buffer[] = []
  let length = 0
  for (const run of runs) {
    if (members.length > 0) { members.push(COMMA); length++ }
    members.push(run)
    length += run.length
  }
  const signature = partSignature(frame, members)
  const head = Buffer.from(frame.head, 'utf8')
  const bytes = Buffer.concat([head, ...members, Buffer.from(signedPartTail(frame, signature), 'utf8')])
  return { signature, bytes, membersStart: head.length, membersEnd: head.length + length }
}

interface Splice { readonly at: number, readonly remove: 0 | 1, readonly insert?: { stem: string, length: number, versions: number } }

export class CatalogParts {
  private readonly db: Db
  private readonly states = new Map<string, PartState>()

  constructor (db: Db) { this.db = db }

  /** The part as stored now; callers inside a transaction see their own writes. */
  current (publisher: string, part: string): CatalogPart {
    return this.state(publisher, part)
  }

  /**
   * Replaces (or with null removes) the fragments of some stems, in the
   * caller's transaction. The new file is the old one's unchanged runs of
   * bytes around the new fragments; only its SHA-1 reads it all.
   */
  update (publisher: string, part: string, changes: ReadonlyMap<string, StemFragment | null>): CatalogPart {
    const old = this.state(publisher, part)
    // The stem arrays are patched in place below: until the new state is
    // remembered, nothing is, so a failure half-way leaves no stale entry.
    this.states.delete(`${publisher}\0${part}`)
    const upsert = this.db.prepare(`INSERT INTO catalog_part_stem (publisher, part, stem, fragment, versions) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (publisher, part, stem) DO UPDATE SET fragment = excluded.fragment, versions = excluded.versions`)
    const drop = this.db.prepare('DELETE FROM catalog_part_stem WHERE publisher = ? AND part = ? AND stem = ?')
    const { stems, lengths, versions } = old
    const runs: Buffer[] = []
    const splices: Splice[] = []
    let versionCount = old.versionCount
    let next = 0
    let offset = old.membersStart
    const keepUntil = (end: number): void => {
      if (end <= next) return
      const start = offset
      for (let i = next; i < end; i++) offset += lengths[i]! + 1
      runs.push(old.bytes.subarray(start, offset - 1))
      next = end
    }
    for (const stem of [...changes.keys()].sort(compareCodePoints)) {
      const at = lowerBound(stems, stem)
      keepUntil(at)
      const remove = stems[at] === stem ? 1 : 0
      if (remove === 1) { offset += lengths[at]! + 1; next = at + 1; versionCount -= versions[at]! }
      const change = changes.get(stem)!
      if (change === null) {
        drop.run(publisher, part, stem)
        splices.push({ at, remove })
        continue
      }
      upsert.run(publisher, part, stem, change.fragment, change.versions)
      const fragment = Buffer.from(change.fragment, 'utf8')
      runs.push(fragment)
      splices.push({ at, remove, insert: { stem, length: fragment.length, versions: change.versions } })
      versionCount += change.versions
    }
    keepUntil(stems.length)
    // Last first, so earlier indices stay valid; stems inserted at one index keep their order.
    for (const { at, remove, insert } of splices.reverse()) {
      if (insert) {
        stems.splice(at, remove, insert.stem); lengths.splice(at, remove, insert.length); versions.splice(at, remove, insert.versions)
      } else if (remove === 1) {
        stems.splice(at, 1); lengths.splice(at, 1); versions.splice(at, 1)
      }
    }
    return this.remember(publisher, part, { format: old.format, stems, lengths, versions, stemCount: stems.length, versionCount, ...sign(publisher, old.format, runs) })
  }

  /** Replaces every fragment of a part, in the caller's transaction. */
  replace (publisher: string, part: string, fragments: ReadonlyMap<string, StemFragment>): CatalogPart {
    this.db.prepare('DELETE FROM catalog_part_stem WHERE publisher = ? AND part = ?').run(publisher, part)
    const insert = this.db.prepare('INSERT INTO catalog_part_stem (publisher, part, stem, fragment, versions) VALUES (?, ?, ?, ?, ?)')
    const sorted = [...fragments].sort((a, b) => compareCodePoints(a[0], b[0]))
    for (const [stem, f] of sorted) insert.run(publisher, part, stem, f.fragment, f.versions)
    return this.remember(publisher, part, this.build(publisher, sorted.map(([stem, f]) => ({ stem, ...f }))))
  }

  private remember (publisher: string, part: string, state: PartState): PartState {
    this.states.set(`${publisher}\0${part}`, state)
    return state
  }

  private state (publisher: string, part: string): PartState {
    const stored = this.db.prepare('SELECT signature FROM catalog_file WHERE publisher = ? AND name = ?').pluck().get(publisher, part) as string | undefined
    const cached = this.states.get(`${publisher}\0${part}`)
    if (cached && cached.signature === stored) return cached
    // SQLite's BINARY order on UTF-8 text is code-point order, the order of the part's keys.
    const rows = this.db.prepare('SELECT stem, fragment, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? ORDER BY stem')
      .all(publisher, part) as Array<{ stem: string, fragment: string, versions: number }>
    return this.remember(publisher, part, this.build(publisher, rows))
  }

  private build (publisher: string, rows: ReadonlyArray<{ stem: string, fragment: string, versions: number }>): PartState {
    const format = this.db.prepare('SELECT catalog_format FROM publisher WHERE name = ?').pluck().get(publisher) as CatalogFormat | undefined
    if (format === undefined) throw new Error(`no publisher ${publisher}`)
    const runs = rows.length === 0 ? [] : [Buffer.from(rows.map(r => r.fragment).join(','), 'utf8')]
    let versionCount = 0
    for (const r of rows) versionCount += r.versions
    return {
      format,
      stems: rows.map(r => r.stem),
      lengths: rows.map(r => Buffer.byteLength(r.fragment, 'utf8')),
      versions: rows.map(r => r.versions),
      stemCount: rows.length,
      versionCount,
      ...sign(publisher, format, runs)
    }
  }
}

const byDb = new WeakMap<Db, CatalogParts>()

/** The parts kept for one connection. */
export function catalogParts (db: Db): CatalogParts {
  let parts = byDb.get(db)
  if (!parts) { parts = new CatalogParts(db); byDb.set(db, parts) }
  return parts
}
