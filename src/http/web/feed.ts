/**
 * The Atom 1.0 feed (RFC 4287) of recent catalog changes, as pkg.depotd
 * words its entries (same ids, titles and texts), with what its feed lacks
 * for validity (an author) and a "Removed" entry where pkg.depotd says
 * "Added" for a removal.
 */
import { escapeHtml } from './html.js'
import { urls } from './urls.js'

export interface FeedChange { readonly publisher: string, readonly stem: string, readonly version: string, readonly kind: 'added' | 'updated' | 'removed', readonly at: number }

/** RFC 3339 to the second, as pkg.depotd writes it. */
function rfc3339 (ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** pkg.depotd's tag URI of an FMRI: its publisher, the date of its timestamp, stem@version. */
export function entryId (c: FeedChange): string {
  const ts = /:([0-9]{4})([0-9]{2})([0-9]{2})T/.exec(c.version)
  const date = ts === null ? '1970-01-01' : `${ts[1]!}-${ts[2]!}-${ts[3]!}`
  return `tag:${c.publisher},${date}:${c.stem}@${c.version}`
}

const WORDS = {
  added: ['Added', (f: string) => `${f} was added to the repository.`],
  updated: ['Updated', (f: string) => `${f}, a new version of an existing package, was added to the repository.`],
  removed: ['Removed', (f: string) => `${f} was removed from the repository.`]
} as const

export function atomFeed (opts: { publisher: string | null, feedId: string, updated: number, changes: readonly FeedChange[] }): string {
  const x = escapeHtml
  const self = urls.feed(opts.publisher)
  const home = opts.publisher === null ? urls.home : urls.publisher(opts.publisher)
  const entries = opts.changes.map(c => {
    const fmri = `pkg://${c.publisher}/${c.stem}@${c.version}`
    const [verb, text] = WORDS[c.kind]
    const link = c.kind === 'removed' ? urls.package(c.publisher, c.stem) : urls.package(c.publisher, c.stem, c.version)
    return `<entry><id>${x(entryId(c))}</id><title>${x(`${verb} pkg://${c.publisher}/${c.stem}`)}</title><updated>${rfc3339(c.at)}</updated>` +
      `<link rel="alternate" type="text/html" href="${x(link)}"/><content type="text">${x(text(fmri))}</content></entry>`
  })
  return '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<feed xmlns="http://www.w3.org/2005/Atom">' +
    `<title>${x(opts.publisher === null ? 'package repository feed' : `package repository feed: ${opts.publisher}`)}</title>` +
    `<link href="${x(self)}" rel="self" type="application/atom+xml"/><link href="${x(home)}" rel="alternate" type="text/html"/>` +
    `<id>${x(opts.feedId)}</id><updated>${rfc3339(opts.updated)}</updated><author><name>ips-depot</name></author>` +
    entries.join('') + '</feed>\n'
}
