/**
 * Search at one and at 100 connections, for every query shape pkg(5)
 * clients send: a term, a file basename, field queries, globs over actions
 * and over packages, AND, OR and a phrase.
 */
import { load, type LoadResult } from './load.js'

export interface SearchShape { readonly name: string, readonly returns: 1 | 2, readonly query: string }

export interface SearchRow { readonly shape: SearchShape, readonly results: number, readonly one: LoadResult, readonly hundred: LoadResult }

/** Shapes both corpora answer (every version has a summary naming its component, "synthetic", and an em dash). */
const COMMON: readonly SearchShape[] = [
  { name: 'field: summary', returns: 2, query: ':set:pkg.summary:component-42' },
  { name: 'glob, actions', returns: 2, query: 'component-42*' },
  { name: 'glob, packages', returns: 1, query: 'component-1*' },
  { name: 'AND (a word of every package AND a rare one)', returns: 1, query: 'synthetic AND component-42' },
  { name: 'OR', returns: 1, query: 'component-42 OR component-43' },
  { name: 'phrase', returns: 2, query: "'component-42 —'" }
]

const ONE_TERM: SearchShape = { name: 'one term', returns: 2, query: 'component-42' }

/** Corpus S also has files: basenames f0..f99 under a directory per stem. */
export const S_SHAPES: readonly SearchShape[] = [
  ONE_TERM,
  { name: 'file basename (every stem has an f7)', returns: 2, query: 'f7' },
  { name: 'field: file basename', returns: 2, query: ':file:basename:f7' },
  { name: 'field: file path', returns: 2, query: ':file:path:/usr/library_s3_component-36/f7' },
  ...COMMON
]

/** Corpus L is metadata only: set, dir and depend actions. */
export const L_SHAPES: readonly SearchShape[] = [
  ONE_TERM,
  { name: 'dir basename', returns: 2, query: 'library_l3_component-36' },
  { name: 'field: depend', returns: 1, query: ':depend:require:library/l3/component-36' },
  ...COMMON
]

/** wrk gives up on a response after 2 s unless told; the pkg client waits 30 s (PKG_CLIENT_LOWSPEED_TIMEOUT). */
export const CLIENT_TIMEOUT_SECONDS = 30

const url = (base: string, s: SearchShape): string => `${base}/bench/search/1/False_${s.returns}_None_None_${encodeURIComponent(s.query)}`

export async function searchBench (base: string, shapes: readonly SearchShape[], seconds: number): Promise<SearchRow[]> {
  const rows: SearchRow[] = []
  for (const shape of shapes) {
    const res = await fetch(url(base, shape))
    const text = await res.text()
    if (res.status !== 200 && res.status !== 204) throw new Error(`${shape.query}: HTTP ${res.status} ${text}`)
    const results = text.split('\n').filter(l => l !== '' && l !== 'Return from search v1').length
    rows.push({
      shape,
      results,
      one: await load(shape.name, url(base, shape), { connections: 1, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS }),
      hundred: await load(shape.name, url(base, shape), { connections: 100, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS })
    })
    console.log(`search ${shape.query}: ${results} results, p50 ${rows.at(-1)!.one.p50} ms at 1 connection, ${rows.at(-1)!.hundred.reqs} req/s at 100`)
  }
  return rows
}

const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'

export function searchTable (rows: readonly SearchRow[]): string[] {
  return [
    '| query | returns | results | 1 connection: p50 ms | p99 ms | 100 connections: req/s | p50 ms | p99 ms | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.shape.name}: \`${r.shape.query.replaceAll('|', '\\|')}\` | ${r.shape.returns === 1 ? 'packages' : 'actions'} | ${r.results} | ${fmt(r.one.p50, 1)} | ${fmt(r.one.p99, 1)} | ${fmt(r.hundred.reqs)} | ${fmt(r.hundred.p50, 1)} | ${fmt(r.hundred.p99, 1)} | ${r.one.errors + r.hundred.errors} |`)
  ]
}
