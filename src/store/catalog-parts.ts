/**
 * Catalog parts as signed pages in memory, patched stem by stem.
 *
 * The rows of catalog_part_stem (one serialized fragment per stem) are the
 * stored form of a part; a part's bytes are never written back. The catalog
 * worker keeps the pages it last built, for the catalog revision they
 * reflect, and brings them to a later revision by rebuilding only the pages
 * holding the stems catalog_change lists; without those changes (pruned, or
 * a full regeneration) it reads every fragment again, and still keeps each
 * page whose bytes come out the same. Pages live in shared memory, so the
 * worker hands them to the serving thread without a copy.
 */
import { createHash, type Hash } from 'node:crypto'
import { compareCodePoints } from '../ips/canonical-json.js'
import { type CatalogFormat, type PartFrame, partFrame } from '../ips/catalog.js'
import { type Entry, entriesOf, type Page, pageIndexOf, repage, signPages } from './catalog-pages.js'
import type { Db } from './db.js'

/** What a seal needs of a part. */
export interface PartSummary {
  readonly name: string
  readonly signature: string
  readonly stemCount: number
  readonly versionCount: number
}

export interface CatalogPart extends PartSummary {
  /** The signed file, as served: its chunks in order. */
  readonly chunks: readonly Buffer[]
  readonly size: number
}

/** Brings a part to the catalog's current revision, in the caller's transaction. */
export interface PartSource<P extends PartSummary> {
  advance: (publisher: string, part: string, at: CatalogRevision) => P
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
  readonly frame: PartFrame
  readonly pages: readonly Page[]
  readonly checkpoints: readonly Hash[]
}

/** ~750 pages for a 95 MB part: a publish allocates a page or two, a seal copies that many SHA-1 states. */
export const PAGE_BYTES = 128 * 1024

/** A new stem, or null for one the part no longer has. */
type Change = Entry | null

/** Merges a page's entries (in stem order) with changes to some of its stems (in stem order). */
function merged (entries: readonly Entry[], changes: ReadonlyArray<[string, Change]>): Entry[] {
  const out: Entry[] = []
  let i = 0
  for (const [stem, change] of changes) {
    while (i < entries.length && compareCodePoints(entries[i]!.stem, stem) < 0) out.push(entries[i++]!)
    if (i < entries.length && entries[i]!.stem === stem) i++
    if (change !== null) out.push(change)
  }
  while (i < entries.length) out.push(entries[i++]!)
  return out
}

function formatOf (db: Db, publisher: string): CatalogFormat {
  const format = db.prepare('SELECT catalog_format FROM publisher WHERE name = ?').pluck().get(publisher) as CatalogFormat | undefined
  if (format === undefined) throw new Error(`no publisher ${publisher}`)
  return format
}

export class CatalogParts implements PartSource<CatalogPart> {
  private readonly states = new Map<string, PartState>()
  private replaced = 0

  /** `pageBytes`: how large pages grow (tests make them tiny, to cross many page boundaries). */
  constructor (private readonly db: Db, private readonly pageBytes = PAGE_BYTES) {}

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
      else if (!stems.includes(null)) state = this.patch(old, stems as string[], at)
    }
    // A full read still keeps the old pages that come out the same, whatever revision or life they were of.
    state ??= this.load(publisher, part, at, old)
    this.states.set(key, state)
    if (old !== undefined && old.pages !== state.pages) {
      const kept = new Set(state.pages)
      for (const p of old.pages) if (!kept.has(p)) this.replaced += p.bytes.length
    }
    return state
  }

  /** Bytes of the pages replaced since the last call: garbage once no thread holds them. */
  takeReplacedBytes (): number {
    const bytes = this.replaced
    this.replaced = 0
    return bytes
  }

  /** Rebuilds only the pages whose ranges hold a changed stem. */
  private patch (old: PartState, changed: string[], at: CatalogRevision): PartState {
    const fragmentOf = this.db.prepare('SELECT CAST(fragment AS BLOB) AS bytes, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? AND stem = ?')
    const byPage = new Map<number, Array<[string, Change]>>()
    for (const stem of changed.sort(compareCodePoints)) {
      const row = fragmentOf.get(old.publisher, old.name, stem) as { bytes: Buffer, versions: number } | undefined
      const index = pageIndexOf(old.pages, stem)
      const list = byPage.get(index) ?? []
      list.push([stem, row === undefined ? null : { stem, bytes: row.bytes, versions: row.versions }])
      byPage.set(index, list)
    }
    const pages: Page[] = []
    // An empty part has no page 0, but its new stems go there all the same.
    for (let i = 0; i < Math.max(1, old.pages.length); i++) {
      const page = old.pages[i]
      const changes = byPage.get(i)
      if (changes === undefined) { if (page !== undefined) pages.push(page); continue }
      pages.push(...repage(page, merged(page === undefined ? [] : entriesOf(page), changes), this.pageBytes))
    }
    return this.signed(old.publisher, old.name, old.format, at, pages, old)
  }

  /** Builds a part from every stored fragment, page by page, keeping each of `old`'s pages whose bytes come out the same. */
  private load (publisher: string, part: string, at: CatalogRevision, old: PartState | undefined): PartState {
    const format = formatOf(this.db, publisher)
    const oldPages = old?.pages ?? []
    const pages: Page[] = []
    let index = 0
    let group: Entry[] = []
    // The group's fragments are encoded into one reused buffer, not a Buffer per row: a full read of a 229k-version catalog
    // would otherwise leave 183 MB of small native allocations for the collector, and the allocator keeps what it once held.
    let arena = Buffer.allocUnsafeSlow(8 * this.pageBytes)
    let used = 0
    let groupBytes = 0
    const flush = (reuse: boolean): void => {
      pages.push(...repage(reuse ? oldPages[index] : undefined, group, this.pageBytes))
      group = []
      used = 0
      groupBytes = 0
    }
    // SQLite's BINARY order on UTF-8 text is code-point order, the order of the part's keys.
    const rows = this.db.prepare('SELECT stem, fragment, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? ORDER BY stem')
    for (const r of rows.iterate(publisher, part) as IterableIterator<{ stem: string, fragment: string, versions: number }>) {
      while (index + 1 < oldPages.length && compareCodePoints(oldPages[index + 1]!.stems[0]!, r.stem) <= 0) { flush(true); index++ }
      const length = Buffer.byteLength(r.fragment)
      // A larger arena for the rest of the group; the entries already in it keep the old one.
      if (used + length > arena.length) { arena = Buffer.allocUnsafeSlow(Math.max(arena.length, 2 * length)); used = 0 }
      arena.write(r.fragment, used)
      group.push({ stem: r.stem, bytes: arena.subarray(used, used + length), versions: r.versions })
      used += length
      groupBytes += length + 1
      // No old page is this large: lay the run out now rather than hold the whole part's fragments.
      if (groupBytes >= 4 * this.pageBytes) flush(false)
    }
    flush(true)
    return this.signed(publisher, part, format, at, pages, old)
  }

  /** The state of a part made of `pages`, signed from the last checkpoint `old` shares with it. */
  private signed (publisher: string, name: string, format: CatalogFormat, at: CatalogRevision, pages: Page[], old: PartState | undefined): PartState {
    const frame = partFrame(publisher, format, pages.length > 0)
    let shared = 0
    const sameFrame = old !== undefined && old.frame.head === frame.head && old.frame.tail === frame.tail
    if (sameFrame) while (shared < pages.length && shared < old.pages.length && pages[shared] === old.pages[shared]) shared++
    const signedPages = signPages(frame, pages, sameFrame ? { checkpoints: old.checkpoints, shared } : undefined)
    let versionCount = 0
    let stemCount = 0
    for (const p of pages) { versionCount += p.versionCount; stemCount += p.stems.length }
    return { publisher, name, created: at.created, revision: at.revision, format, frame, stemCount, versionCount, ...signedPages }
  }
}

/**
 * Signs parts straight from their stored fragments, keeping nothing: for
 * a seal inside the transaction that regenerated them, which may yet roll
 * back (the catalog worker builds its pages after the commit).
 */
export class StoredPartSigner implements PartSource<PartSummary> {
  constructor (private readonly db: Db) {}

  advance (publisher: string, part: string): PartSummary {
    const format = formatOf(this.db, publisher)
    const rows = this.db.prepare('SELECT fragment, versions FROM catalog_part_stem WHERE publisher = ? AND part = ? ORDER BY stem')
    const frame = partFrame(publisher, format, true)
    const hash = createHash('sha1').update(frame.head)
    let stemCount = 0
    let versionCount = 0
    for (const r of rows.iterate(publisher, part) as IterableIterator<{ fragment: string, versions: number }>) {
      if (stemCount++ > 0) hash.update(',')
      hash.update(r.fragment, 'utf8')
      versionCount += r.versions
    }
    if (stemCount === 0) return { name: part, signature: signPages(partFrame(publisher, format, false), []).signature, stemCount, versionCount }
    return { name: part, signature: hash.update(frame.tail).digest('hex'), stemCount, versionCount }
  }
}
