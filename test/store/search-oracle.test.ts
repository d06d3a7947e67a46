/**
 * The search index answers what the manifests say. The expected results
 * are worked out here from the stored manifests alone (each action's index
 * entries, as pkg5's generate_indices gives them) and compared with
 * search/1 over HTTP, for generated terms, field terms, globs, and ANDs
 * in both orders: an AND is evaluated from its rarer side, and must give
 * what a left-to-right evaluation gives.
 */
import fc from 'fast-check'
import t from 'tap'
import { parseAction } from '../../src/ips/action.js'
import { compileGlob } from '../../src/ips/fnmatch.js'
import { manifestLines } from '../../src/ips/manifest.js'
import { pyQuote } from '../../src/ips/quote.js'
import { type IndexEntry, indexEntries, matchLabel } from '../../src/ips/search-tokens.js'
import { startDepot } from '../helpers/depot.js'
import { runs } from '../helpers/fuzz.js'
import { request } from '../helpers/http.js'

const depot = await startDepot()
t.teardown(() => depot.close())

interface IndexedLine { readonly fmri: string, readonly line: string, readonly type: string, readonly entries: readonly IndexEntry[] }

const base = JSON.parse((await request(depot.port, 'GET', '/test/catalog/1/catalog.base.C')).body.toString('utf8')) as { test: { [stem: string]: Array<{ version: string }> } }
const lines: IndexedLine[] = []
for (const [stem, versions] of Object.entries(base.test)) {
  for (const { version } of versions) {
    const res = await request(depot.port, 'GET', `/test/manifest/0/${encodeURIComponent(stem)}@${encodeURIComponent(version)}`)
    for (const line of manifestLines(res.body.toString('utf8'))) {
      const action = parseAction(line)
      lines.push({ fmri: `pkg:/${stem}@${version}`, line, type: action.type, entries: indexEntries(action) })
    }
  }
}
const tokens = [...new Set(lines.flatMap(l => l.entries.map(e => e.token)))]
  .filter(tk => tk !== '' && !/[\s()'"<>:*?[\]\\]/.test(tk) && !/^(AND|OR)$/i.test(tk))
const fields = [...new Set(lines.flatMap(l => l.entries.map(e => `${l.type}:${e.key}`)))]
t.ok(tokens.length > 50 && fields.length > 5, `the fixtures index ${tokens.length} searchable tokens in ${fields.length} fields`)

/** What one term matches on a line: its entries, one per distinct (token, full value) (as the index once stored them). */
function hitsOf (l: IndexedLine, test: (token: string) => boolean, type: string | null, key: string | null): string[] {
  if (type !== null && l.type !== type) return []
  const seen = new Set<string>()
  return l.entries.filter(e => (key === null || e.key === key) && test(e.token)).flatMap(e => {
    const id = `${e.token}\0${e.fullValue}`
    if (e.fullValue !== null) { if (seen.has(id)) return []; seen.add(id) }
    return [`0 2 ${l.fmri} ${pyQuote(matchLabel(l.type, e), '/')} ${l.line}`]
  })
}

const matcher = (term: string): ((token: string) => boolean) => {
  const re = /[*?[]/.test(term) ? compileGlob(term.toLowerCase(), false) : null
  return re ? token => re.test(token.toLowerCase()) : token => token.toLowerCase() === term.toLowerCase()
}

function expected (left: string, right: string | null, type: string | null, key: string | null): string[] {
  const l = matcher(left)
  const r = right === null ? null : matcher(right)
  return lines.flatMap(line => r !== null && !line.entries.some(e => r(e.token)) ? [] : hitsOf(line, l, type, key)).sort()
}

async function search (query: string): Promise<string[]> {
  const res = await request(depot.port, 'GET', `/test/search/1/False_2_None_None_${encodeURIComponent(query)}`)
  if (res.status === 204) return []
  if (res.status !== 200) throw new Error(`${query}: HTTP ${res.status} ${res.body.toString()}`)
  return res.body.toString('utf8').split('\n').filter(x => x !== '' && x !== 'Return from search v1').sort()
}

const token = fc.constantFrom(...tokens)
const spelling = (tk: string): fc.Arbitrary<string> => {
  const cps = [...tk]
  return fc.constantFrom(tk, tk.toUpperCase(), cps.slice(0, Math.max(1, cps.length - 2)).join('') + '*', '*' + cps.slice(1).join(''))
}

await t.test('a term, in any case, or a glob, finds every action the manifests index it for', async tt => {
  await fc.assert(fc.asyncProperty(token.chain(spelling), async term => {
    tt.same(await search(term), expected(term, null, null, null), term)
  }), { numRuns: runs(60) })
})

await t.test('a field term keeps the action type and key', async tt => {
  await fc.assert(fc.asyncProperty(token, fc.constantFrom(...fields), async (term, field) => {
    const [type, key] = field.split(':') as [string, string]
    tt.same(await search(`:${type}:${key}:${term}`), expected(term, null, type, key), `:${type}:${key}:${term}`)
  }), { numRuns: runs(60) })
})

await t.test('A AND B keeps the hits of A whose action also carries B, whichever side is rarer', async tt => {
  // Pairs from one line, so that most ANDs have results; and any pair, so that some have none.
  const sameLine = fc.constantFrom(...lines.filter(l => l.entries.length > 1)).chain(l => fc.tuple(fc.constantFrom(...l.entries.map(e => e.token)), fc.constantFrom(...l.entries.map(e => e.token))))
  const pair = fc.oneof(sameLine, fc.tuple(token, token)).filter(([a, b]) => tokens.includes(a) && tokens.includes(b))
  let nonEmpty = 0
  await fc.assert(fc.asyncProperty(pair, async ([a, b]) => {
    for (const [l, r] of [[a, b], [b, a]] as const) {
      const want = expected(l, r, null, null)
      if (want.length > 0) nonEmpty++
      tt.same(await search(`${l} AND ${r}`), want, `${l} AND ${r}`)
    }
  }), { numRuns: runs(60) })
  tt.ok(nonEmpty > 10, `${nonEmpty} of the ANDs had results`)
})
