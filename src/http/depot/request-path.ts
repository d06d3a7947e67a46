/**
 * How pkg.depotd reads a request path: [/<publisher>]/<op>/<version>/<args…>.
 * Each segment is percent-decoded on its own, so an encoded %2F stays
 * inside one argument while bare slashes split arguments that are joined
 * again with '/'; the result is the same FMRI either way.
 */
import { safeDecode } from '../../ips/quote.js'

/** Every operation name pkg5 knows; a publisher cannot be named after one. */
export const KNOWN_OPS = new Set(['versions', 'search', 'catalog', 'info', 'manifest', 'file', 'open', 'append',
  'close', 'abandon', 'add', 'p5i', 'publisher', 'index', 'status', 'admin', 'feed'])

export interface DepotPath {
  readonly publisher: string | null
  readonly op: string
  /** The raw version segment; undefined when the path ends after the op. */
  readonly version: string | undefined
  /** Decoded segments after the version. */
  readonly args: readonly string[]
  readonly query: URLSearchParams
}

const MAX_SEGMENTS = 64

/** The path as pkg.depotd quotes it in "not found" messages: decoded except %2F. */
export function displayPath (rawUrl: string): string {
  const q = rawUrl.indexOf('?')
  const p = q === -1 ? rawUrl : rawUrl.slice(0, q)
  return p.split(/%2F/i).map(safeDecode).join('%2F')
}

export function parseDepotPath (rawUrl: string): DepotPath | null {
  const q = rawUrl.indexOf('?')
  const pathPart = q === -1 ? rawUrl : rawUrl.slice(0, q)
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1))
  const raw = pathPart.split('/').slice(1)
  if (raw.length > MAX_SEGMENTS) return null
  const seg = raw.map(safeDecode)
  let publisher: string | null = null
  let i = 0
  if (!KNOWN_OPS.has(seg[0] ?? '')) {
    if (seg.length < 2 || !KNOWN_OPS.has(seg[1]!)) return null
    publisher = seg[0]!
    i = 1
  }
  return { publisher, op: seg[i]!, version: seg[i + 1], args: seg.slice(i + 2), query }
}

/**
 * Whether a path is the protocol's, whose errors keep pkg.depotd's XHTML
 * (the client reads its <p>): a known operation, or the /<op>/<version>/
 * shape of one it does not know. Every other path is a person's, and gets
 * the pages' own error page.
 */
export function isProtocolPath (rawUrl: string): boolean {
  if (parseDepotPath(rawUrl) !== null) return true
  const q = rawUrl.indexOf('?')
  const seg = (q === -1 ? rawUrl : rawUrl.slice(0, q)).split('/').slice(1)
  return /^[0-9]+$/.test(seg[1] ?? '') || /^[0-9]+$/.test(seg[2] ?? '')
}
