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

function lowerBound (stems: readonly string[], stem: string): number {
  let lo = 0
  let hi = stems.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareCodePoints(stems[mid]!, stem) < 0) lo = mid + 1; else hi = mid
  }
  return lo
}

/**
 * Lays out and signs a part in one allocation: `fill` writes the
 * comma-joined fragments (membersLength bytes) after the head; the
 * signed tail has a fixed length, since a SHA-1 is always 40 digits.
 */
function layOut (publisher: string, format: CatalogFormat, hasStems: boolean, membersLength: number, fill: (target: Buffer, at: number) => void): Pick<PartState, 'signature' | 'bytes' | 'membersStart' | 'membersEnd'> {
  const frame = partFrame(publisher, format, hasStems)
  const head = Buffer.from(frame.head, 'utf8')
  const bytes = Buffer.allocUnsafeSlow(head.length + membersLength + Buffer.byteLength(signedPartTail(frame, '0'.repeat(40))))
  head.copy(bytes, 0)
  fill(bytes, head.length)
  const membersEnd = head.length + membersLength
  const signature = partSignature(frame, [bytes.subarray(head.length, membersEnd)])
  bytes.write(signedPartTail(frame, signature), membersEnd, 'utf8')
  return { signature, bytes, membersStart: head.length, membersEnd }
}

/** A part whose fragments are the comma-joined `runs`. */
function sign (publisher: string, format: CatalogFormat, runs: readonly Buffer[]): Pick<PartState, 'signature' | 'bytes' | 'membersStart' | 'membersEnd'> {
  let length = Math.max(0, runs.length - 1)
  for (const run of runs) length += run.length
  return layOut(publisher, format, runs.length > 0, length, (target, at) => {
    for (const [i, run] of runs.entries()) {
      if (i > 0) target[at++] = 0x2c
      at += run.copy(target, at)
    }
  })
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
    for (const [stem, f] of fragments) insert.run(publisher, part, stem, f.fragment, f.versions)
    return this.remember(publisher, part, this.load(publisher, part))
  }

  private remember (publisher: string, part: string, state: PartState): PartState {
    this.states.set(`${publisher}\0${part}`, state)
    return state
  }

  private state (publisher: string, part: string): PartState {
    const stored = this.db.prepare('SELECT signature FROM catalog_file WHERE publisher = ? AND name = ?').pluck().get(publisher, part) as string | undefined
    const cached = this.states.get(`${publisher}\0${part}`)
    if (cached && cached.signature === stored) return cached
    return this.remember(publisher, part, this.load(publisher, part))
  }

  /** Builds a part from its stored fragments, written straight into the file's buffer (no copy of the part in between). */
  private load (publisher: string, part: string): PartState {
    const format = this.db.prepare('SELECT catalog_format FROM publisher WHERE name = ?').pluck().get(publisher) as CatalogFormat | undefined
    if (format === undefined) throw new Error(`no publisher ${publisher}`)
    const size = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(CAST(fragment AS BLOB))), 0) AS bytes FROM catalog_part_stem WHERE publisher = ? AND part = ?')
      .get(publisher, part) as { n: number, bytes: number }
    const stems: string[] = []
    const lengths: number[] = []
    const versions: number[] = []
    let versionCount = 0
    // SQLite's BINARY order on UTF-8 text is code-point order, the order of the part's keys.
    const rows = this.db.prepare('SELECT stem, fragment, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? ORDER BY stem')
    const laidOut = layOut(publisher, format, size.n > 0, size.bytes + Math.max(0, size.n - 1), (target, at) => {
      for (const r of rows.iterate(publisher, part) as IterableIterator<{ stem: string, fragment: string, versions: number }>) {
        if (stems.length > 0) target[at++] = 0x2c
        const n = target.write(r.fragment, at, 'utf8')
        at += n
        stems.push(r.stem); lengths.push(n); versions.push(r.versions)
        versionCount += r.versions
      }
    })
    if (stems.length !== size.n) throw new Error(`${publisher}/${part}: fragments changed while the part was read`)
    return { format, stems, lengths, versions, stemCount: stems.length, versionCount, ...laidOut }
  }

}

const byDb = new WeakMap<Db, CatalogParts>()

/** The parts kept for one connection. */
export function catalogParts (db: Db): CatalogParts {
  let parts = byDb.get(db)
  if (!parts) { parts = new CatalogParts(db); byDb.set(db, parts) }
  return parts
}
