/**
 * search/0 and search/1: pkg5's query language over the SQLite index, which
 * is written with every package and so is never stale or missing.
 */
import { BadRequestError } from '../../../errors.js'
import { keyValue, parseAction } from '../../../ips/action.js'
import { pyQuote } from '../../../ips/quote.js'
import { parseQuery, parseQueryString, type QuerySpec, RETURN_ACTIONS, toPackages } from '../../../ips/search-query.js'
import { SearchEngine, type SearchLimits } from '../../../store/search-engine.js'
import { readBody } from '../../body.js'
import { cacheFor, type OpContext, type OpVersion, TEXT } from '../context.js'
import { refreshSeconds, requestPublisher } from './common.js'

const LIMITS: SearchLimits = { maxRows: 1_000_000, timeBudgetMs: 10_000 }
const MAX_QUERY_BYTES = 64 * 1024
const MAX_QUERIES = 16
const BAD_REQUEST = 'Bad request syntax or unsupported method'

function resultLines (ctx: OpContext, publisher: string, spec: QuerySpec, index: number): string[] {
  const engine = new SearchEngine(ctx.depot.repo.db, publisher, spec.caseSensitive, LIMITS)
  const tree = parseQuery(spec.text)
  const start = spec.startPoint ?? 0
  const keep = <T>(all: T[]): T[] => all.slice(Math.max(start, 0), spec.numToReturn === null ? undefined : Math.max(start, 0) + Math.max(spec.numToReturn, 0))
  if (spec.returnType === RETURN_ACTIONS) {
    const hits = tree.kind === 'pkgs' ? null : engine.actions(tree)
    if (hits === null) return keep(engine.packages(tree)).map(p => `${index} 1 ${p}`)
    return keep(hits).map(h => `${index} 2 pkg:/${h.stem}@${h.version} ${pyQuote(h.label, '/')} ${h.line}`)
  }
  return keep(engine.packages(toPackages(tree))).map(p => `${index} 1 ${p}`)
}

function pyRepr (s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

async function queriesOf (ctx: OpContext): Promise<string[]> {
  if (ctx.req.method === 'POST') {
    const form = new URLSearchParams((await readBody(ctx.req, MAX_QUERY_BYTES)).toString('utf8'))
    const entries = [...form.entries()].filter(([k]) => /^[0-9]+$/.test(k)).sort((a, b) => Number(a[0]) - Number(b[0]))
    if (entries.length === 0) throw new BadRequestError(BAD_REQUEST)
    if (entries.length > MAX_QUERIES) throw new BadRequestError(`At most ${MAX_QUERIES} queries may be sent at once.`)
    return entries.map(([, v]) => v)
  }
  if (ctx.arg === '') throw new BadRequestError(BAD_REQUEST)
  const params = [...ctx.query.entries()]
  if (params.length > 0) throw new BadRequestError(`args:(${pyRepr(ctx.arg)},), params:{${params.map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`)
  return [ctx.arg]
}

async function search1 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  const queries = await queriesOf(ctx)
  const specs = queries.map(parseQueryString)
  const lines = specs.flatMap((spec, i) => resultLines(ctx, pub.name, spec, i))
  if (lines.length === 0 && specs.length === 1) return ctx.reply.code(204).send()
  const rs = Math.min(refreshSeconds(pub), 86400)
  return ctx.reply.header('Cache-Control', cacheFor(rs)).header('Expires', new Date(Date.now() + rs * 1000).toUTCString())
    .type(TEXT).send(['Return from search v1', ...lines].join('\n') + '\n')
}

/** search/0: one token, case-insensitive, lines "<index> <fmri> <action> <value>". */
async function search0 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  if (ctx.arg === '') throw new BadRequestError('A search token must be given: search/0/<token>.')
  const engine = new SearchEngine(ctx.depot.repo.db, pub.name, false, LIMITS)
  const tree = parseQuery(ctx.arg)
  if (tree.kind === 'pkgs') throw new BadRequestError('search/0 takes a single token.')
  const lines = engine.actions(tree).map(h => {
    const value = h.actionType === 'set' ? h.label : keyValue(parseAction(h.line)) ?? ''
    return `${h.key} pkg:/${h.stem}@${h.version} ${h.actionType} ${value}\n`
  })
  const rs = Math.min(refreshSeconds(pub), 86400)
  return ctx.reply.header('Cache-Control', cacheFor(rs)).header('Expires', new Date(Date.now() + rs * 1000).toUTCString()).type(TEXT).send(lines.join(''))
}

export const searchOps: Record<number, OpVersion> = {
  0: { GET: search0 },
  1: { GET: search1, POST: search1 }
}
