/**
 * Search at one and at 100 connections, for every query shape pkg(5)
 * clients send: a term, a file basename, field queries, globs over actions
 * and over packages, AND, OR and a phrase; the time to the first result
 * line and to the last; and a plain search while one address floods the
 * worst queries. The depot runs with search.cache_bytes = 0, so every
 * request is searched, and trusts X-Forwarded-For, so the load comes from
 * many clients (load.ts).
 */
import http from 'node:http'
import { load, type LoadResult } from './load.js'

export interface SearchShape { readonly name: string, readonly returns: 1 | 2, readonly query: string }

/** Medians of sequential requests: to the first result line, to the end, and the result lines per second that makes. */
export interface Timing { readonly firstMs: number, readonly totalMs: number, readonly linesPerSecond: number }

export interface SearchRow { readonly shape: SearchShape, readonly results: number, readonly timing: Timing, readonly one: LoadResult, readonly hundred: LoadResult }

/** The depot's [search] settings in the bench: every request searched, the clients told apart by X-Forwarded-For. */
export const SEARCH_BENCH_TOML = '[search]\ncache_bytes = 0\n'

export const TIMED_RUNS = 7

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** One connection kept open, as a client's: the times are the search's, not a connection's setup. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })

/** Times one search as a client sees it: the first chunk that holds a result line, and the end. */
async function timeSearch (url: string, results: number): Promise<Timing> {
  const first: number[] = []
  const total: number[] = []
  for (let i = 0; i < TIMED_RUNS; i++) {
    const started = performance.now()
    const firstAt = await new Promise<number>((resolve, reject) => {
      http.get(url, { agent, headers: { 'X-Forwarded-For': '192.0.2.1' } }, res => {
        let seen = ''
        let at = NaN
        res.on('data', (chunk: Buffer) => {
          if (!Number.isNaN(at)) return
          seen += chunk.toString()
          // The line after "Return from search v1" is the first result.
          if (seen.split('\n').length > 2) at = performance.now() - started
        })
        // A 204 (no result) has no body: its first line is its end.
        res.on('end', () => { resolve(Number.isNaN(at) ? performance.now() - started : at) })
        res.on('error', reject)
      }).on('error', reject)
    })
    total.push(performance.now() - started)
    first.push(firstAt)
  }
  const totalMs = median(total)
  return { firstMs: median(first), totalMs, linesPerSecond: results / (totalMs / 1000) }
}

/** Shapes both corpora answer (every version has a summary naming its component, "synthetic", and an em dash). */
const COMMON: readonly SearchShape[] = [
  { name: 'field: summary', returns: 2, query: ':set:pkg.summary:component-42' },
  { name: 'glob, actions', returns: 2, query: 'component-42*' },
  { name: 'glob, packages', returns: 1, query: 'component-1*' },
  { name: 'AND (a word of every package AND a rare one)', returns: 1, query: 'synthetic AND component-42' },
  { name: 'OR', returns: 1, query: 'component-42 OR component-43' },
  { name: 'phrase', returns: 2, query: "'component-42 —'" }
]

export const ONE_TERM: SearchShape = { name: 'one term', returns: 2, query: 'component-42' }

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
      timing: await timeSearch(url(base, shape), results),
      one: await load(shape.name, url(base, shape), { connections: 1, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS }),
      hundred: await load(shape.name, url(base, shape), { connections: 100, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS, manyClients: true })
    })
    console.log(`search ${shape.query}: ${results} results, p50 ${rows.at(-1)!.one.p50} ms at 1 connection, ${rows.at(-1)!.hundred.reqs} req/s at 100`)
  }
  return rows
}

const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'

export function searchTable (rows: readonly SearchRow[]): string[] {
  return [
    '| query | returns | results | first result, ms | last, ms | result lines/s | 1 connection: p50 ms | p99 ms | 100 connections: req/s | p50 ms | p99 ms | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.shape.name}: \`${r.shape.query.replaceAll('|', '\\|')}\` | ${r.shape.returns === 1 ? 'packages' : 'actions'} | ${r.results} | ${fmt(r.timing.firstMs, 1)} | ${fmt(r.timing.totalMs, 1)} | ${fmt(r.timing.linesPerSecond)} | ${fmt(r.one.p50, 1)} | ${fmt(r.one.p99, 1)} | ${fmt(r.hundred.reqs)} | ${fmt(r.hundred.p50, 1)} | ${fmt(r.hundred.p99, 1)} | ${r.one.errors + r.hundred.errors} |`)
  ]
}

/** The worst queries known (they backtracked, or unioned every token twenty times), each made unique so no cache could answer it. */
const ATTACKS: ReadonlyArray<(n: number) => string> = [
  n => `*?*?*?*?*?*?*?*?! OR x${n}`,
  n => Array(15 + (n % 11)).fill('*').join(' OR '),
  n => `'*e* *o* *?*?*?!' OR x${n}`,
  n => `<*?*?*?*?*?*?*?*?! OR * OR x${n}>`
]

export interface AttackRow { readonly quiet: LoadResult, readonly attacked: LoadResult, readonly attacks: number, readonly statuses: Record<number, number> }

/**
 * A plain search from one client at one connection, alone and then while
 * eight connections of another address loop the worst queries.
 */
export async function attackBench (base: string, plain: SearchShape, seconds: number): Promise<AttackRow> {
  const target = url(base, plain)
  const quiet = await load(`${plain.name}, alone`, target, { connections: 1, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS, headers: { 'X-Forwarded-For': '192.0.2.7' } })
  const until = Date.now() + (seconds + 2) * 1000
  const statuses: Record<number, number> = {}
  let attacks = 0
  const attackers = Array.from({ length: 8 }, async (_, i) => {
    for (let n = i; Date.now() < until; n++) {
      const text = ATTACKS[n % ATTACKS.length]!(n)
      const res = await fetch(url(base, { name: 'attack', returns: 2, query: text }), { headers: { 'X-Forwarded-For': '203.0.113.66' } })
      await res.arrayBuffer()
      statuses[res.status] = (statuses[res.status] ?? 0) + 1
      attacks++
    }
  })
  await new Promise(resolve => setTimeout(resolve, 1000))
  const attacked = await load(`${plain.name}, under attack`, target, { connections: 1, seconds, timeoutSeconds: CLIENT_TIMEOUT_SECONDS, headers: { 'X-Forwarded-For': '192.0.2.7' } })
  await Promise.all(attackers)
  console.log(`search under attack: p50 ${attacked.p50} ms, p99 ${attacked.p99} ms (alone ${quiet.p50}/${quiet.p99}); ${attacks} attacks, ${JSON.stringify(statuses)}`)
  return { quiet, attacked, attacks, statuses }
}

export function attackTable (corpus: string, r: AttackRow): string[] {
  return [
    `A plain search (\`component-42\`) at 1 connection, alone and while eight connections of one other address loop the worst queries (backtracking globs, a union of 15 to 25 \`*\`, a phrase of globs, each made unique), at ${corpus}:`,
    '',
    '| plain search | p50 ms | p99 ms | req/s | errors | attacker requests answered | their statuses |',
    '|---|---:|---:|---:|---:|---:|---|',
    `| alone | ${fmt(r.quiet.p50, 1)} | ${fmt(r.quiet.p99, 1)} | ${fmt(r.quiet.reqs)} | ${r.quiet.errors} | | |`,
    `| under attack | ${fmt(r.attacked.p50, 1)} | ${fmt(r.attacked.p99, 1)} | ${fmt(r.attacked.reqs)} | ${r.attacked.errors} | ${r.attacks} | ${Object.entries(r.statuses).map(([s, n]) => `${n}× ${s}`).join(', ')} |`
  ]
}
