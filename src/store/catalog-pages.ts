/**
 * A catalog part's fragments kept as pages: runs of stems, each page its
 * own block of shared memory, so that a seal allocates only the pages a
 * change touched (a 229k-version part is ~95 MB; a publish changes a few
 * hundred bytes of it), and the SHA-1 resumes from a checkpoint at the
 * first changed page rather than reading the unchanged prefix again.
 *
 * A page's bytes are a comma, then its stems' fragments joined by commas:
 * the first page is served without its comma, every other page whole, so
 * a page moved by an insertion before it keeps its bytes.
 */
import { createHash, type Hash } from 'node:crypto'
import { compareCodePoints } from '../ips/canonical-json.js'
import { type PartFrame, signedPartTail } from '../ips/catalog.js'

/** A stem's fragment (`"stem":[…]`, UTF-8) and its version count. */
export interface Entry { readonly stem: string, readonly bytes: Buffer, readonly versions: number }

export interface Page {
  /** `,` + the fragments joined by `,`, in shared memory. */
  readonly bytes: Buffer
  /** Stems in code-point order, with each fragment's byte length and version count. */
  readonly stems: readonly string[]
  readonly lengths: readonly number[]
  readonly versions: readonly number[]
  readonly versionCount: number
}

/** Pages, their signature, and the SHA-1 state before each page's bytes. */
export interface SignedPages {
  readonly pages: readonly Page[]
  readonly checkpoints: readonly Hash[]
  readonly signature: string
  /** The file as served: head, the pages, the signed tail. */
  readonly chunks: readonly Buffer[]
  readonly size: number
}

const COMMA = 0x2c

/** The index of the page whose range holds `stem`; the first page also takes stems before it. */
export function pageIndexOf (pages: readonly Page[], stem: string): number {
  let lo = 1
  let hi = pages.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (compareCodePoints(pages[mid]!.stems[0]!, stem) <= 0) lo = mid + 1; else hi = mid
  }
  return lo - 1
}

/** A page's stems as entries, each fragment a view of the page's bytes. */
export function entriesOf (page: Page): Entry[] {
  const out: Entry[] = []
  let at = 1
  for (const [i, stem] of page.stems.entries()) {
    const length = page.lengths[i]!
    out.push({ stem, bytes: page.bytes.subarray(at, at + length), versions: page.versions[i]! })
    at += length + 1
  }
  return out
}

function samePage (page: Page, entries: readonly Entry[]): boolean {
  if (page.stems.length !== entries.length) return false
  let at = 1
  for (const [i, e] of entries.entries()) {
    const length = page.lengths[i]!
    if (page.stems[i] !== e.stem || length !== e.bytes.length || page.versions[i] !== e.versions) return false
    if (!e.bytes.equals(page.bytes.subarray(at, at + length))) return false
    at += length + 1
  }
  return true
}

function layOutPage (entries: readonly Entry[]): Page {
  let size = 0
  for (const e of entries) size += e.bytes.length + 1
  const bytes = Buffer.from(new SharedArrayBuffer(size))
  let at = 0
  let versionCount = 0
  for (const e of entries) {
    bytes[at++] = COMMA
    at += e.bytes.copy(bytes, at)
    versionCount += e.versions
  }
  return { bytes, stems: entries.map(e => e.stem), lengths: entries.map(e => e.bytes.length), versions: entries.map(e => e.versions), versionCount }
}

/**
 * The pages holding `entries` (in stem order), which replace `old`: `old`
 * itself when its bytes would not change; none for no entries; several of
 * about `pageBytes` each when they outgrow two pages.
 */
export function repage (old: Page | undefined, entries: readonly Entry[], pageBytes: number): Page[] {
  if (entries.length === 0) return []
  if (old !== undefined && samePage(old, entries)) return [old]
  let size = 0
  for (const e of entries) size += e.bytes.length + 1
  if (size <= 2 * pageBytes) return [layOutPage(entries)]
  // Pieces of even size, each at least a page: a page split by one insertion does not leave a sliver.
  const goal = size / Math.floor(size / pageBytes)
  const pages: Page[] = []
  let start = 0
  let filled = 0
  for (let i = 0; i < entries.length; i++) {
    filled += entries[i]!.bytes.length + 1
    if (filled >= goal && i + 1 < entries.length) {
      pages.push(layOutPage(entries.slice(start, i + 1)))
      start = i + 1
      filled = 0
    }
  }
  pages.push(layOutPage(entries.slice(start)))
  return pages
}

/** What page `i` contributes to the file: the first page without its leading comma. */
const served = (page: Page, i: number): Buffer => i === 0 ? page.bytes.subarray(1) : page.bytes

/**
 * Signs a part made of `pages` inside `frame`. `from`: the SHA-1 state
 * before each page of a previous signing in the same frame, and the
 * number of leading pages both share, whose checkpoints still hold.
 */
export function signPages (frame: PartFrame, pages: readonly Page[], from?: { checkpoints: readonly Hash[], shared: number }): SignedPages {
  // The state before the first changed page; when pages were only appended, before the last shared one.
  const resume = from === undefined ? 0 : Math.max(0, Math.min(from.shared, from.checkpoints.length - 1, pages.length - 1))
  const checkpoints: Hash[] = resume > 0 ? from!.checkpoints.slice(0, resume) : []
  const running = resume > 0 ? from!.checkpoints[resume]!.copy() : createHash('sha1').update(frame.head)
  for (let i = resume; i < pages.length; i++) {
    checkpoints.push(i === resume && resume > 0 ? from!.checkpoints[resume]! : running.copy())
    running.update(served(pages[i]!, i))
  }
  const signature = running.update(frame.tail).digest('hex')
  const head = Buffer.from(frame.head, 'utf8')
  const tail = Buffer.from(signedPartTail(frame, signature), 'utf8')
  const chunks = [head, ...pages.map(served), tail]
  let size = 0
  for (const c of chunks) size += c.length
  return { pages, checkpoints, signature, chunks, size }
}
