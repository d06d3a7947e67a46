/**
 * Catalog parts as signed bytes in memory, patched stem by stem.
 *
 * The rows of catalog_part_stem (one serialized fragment per stem) are the
 * stored form of a part; a part's bytes are never written back. The catalog
 * worker keeps the bytes it last built, for the catalog revision they reflect,
 * and brings them to a later revision by splicing in the fragments of the
 * stems catalog_change lists; without those changes (pruned, or a full
 * regeneration) it rebuilds the part from its fragments. Bytes live in
 * shared memory, so the worker hands them to the serving thread
 * without a copy.
 */
import { compareCodePoints } from '../ips/canonical-json.js'
import { type CatalogFormat, partFrame, partSignature, signedPartTail } from '../ips/catalog.js'
import type { Db } from './db.js'

export interface CatalogPart {
  readonly name: string
  readonly signature: string
  /** The signed file, as served. */
  readonly bytes: Buffer
  readonly stemCount: number
  readonly versionCount: number
}

/**
 * Where a publisher's catalog stands: its revision, and the oldest revision
 * whose changes are still listed. `created` tells one life of a publisher
 * from the next: a publisher removed and made again counts revisions from
 * the start, and no copy of the old one's parts may be patched into it.
 */
export interface CatalogRevision {
  readonly revision: number
  readonly floor: number
  readonly created: number
}

interface PartState extends CatalogPart {
  readonly publisher: string
  readonly created: number
  readonly revision: number
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
  const bytes = Buffer.from(new SharedArrayBuffer(head.length + membersLength + Buffer.byteLength(signedPartTail(frame, '0'.repeat(40)))))
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

  /**
   * The part at the catalog's current revision, read in the caller's
   * transaction: patched from the copy in memory when the changes since
   * are listed, else built from the fragments.
   */
  advance (publisher: string, part: string, at: CatalogRevision): CatalogPart {
    const key = `${publisher}\0${part}`
    const old = this.states.get(key)
    if (old?.revision === at.revision && old.created === at.created) return old
    // Until the new state is remembered, nothing is: a failure half-way leaves no stale copy.
    this.states.delete(key)
    let state: PartState | undefined
    if (old !== undefined && old.created === at.created && old.revision >= at.floor && old.revision < at.revision) {
      const stems = this.db.prepare(`SELECT DISTINCT stem FROM catalog_change WHERE publisher = ? AND name IN (?, '*') AND revision > ? AND revision <= ?`)
        .pluck().all(publisher, part, old.revision, at.revision) as Array<string | null>
      if (stems.length === 0) state = { ...old, revision: at.revision }
      else if (!stems.includes(null)) state = this.patch(old, stems as string[], at.revision)
    }
    state ??= this.load(publisher, part, at)
    this.states.set(key, state)
    return state
  }

  /** The new file is the old one's unchanged runs of bytes around the changed stems' fragments; only its SHA-1 reads it all. */
  private patch (old: PartState, changed: string[], revision: number): PartState {
    const fragmentOf = this.db.prepare('SELECT fragment, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? AND stem = ?')
    // Patched in place: advance() forgot the old state before calling this.
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
    for (const stem of changed.sort(compareCodePoints)) {
      const at = lowerBound(stems, stem)
      keepUntil(at)
      const remove = stems[at] === stem ? 1 : 0
      if (remove === 1) { offset += lengths[at]! + 1; next = at + 1; versionCount -= versions[at]! }
      const row = fragmentOf.get(old.publisher, old.name, stem) as { fragment: string, versions: number } | undefined
      if (row === undefined) {
        splices.push({ at, remove })
        continue
      }
      const fragment = Buffer.from(row.fragment, 'utf8')
      runs.push(fragment)
      splices.push({ at, remove, insert: { stem, length: fragment.length, versions: row.versions } })
      versionCount += row.versions
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
    return { ...old, revision, stems, lengths, versions, stemCount: stems.length, versionCount, ...sign(old.publisher, old.format, runs) }
  }

  /** Builds a part from its stored fragments, written straight into the file's buffer (no copy of the part in between). */
  private load (publisher: string, part: string, { revision, created }: CatalogRevision): PartState {
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
    return { publisher, created, name: part, revision, format, stems, lengths, versions, stemCount: stems.length, versionCount, ...laidOut }
  }
}
