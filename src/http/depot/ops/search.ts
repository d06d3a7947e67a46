/**
 * search/0 and search/1: pkg5's query language over the SQLite index, which
 * is written with every package and so is never stale or missing. Queries
 * run in the search worker, never on the thread that serves everything else.
 */
import { BadRequestError } from '../../../errors.js'
import { parseQueryString } from '../../../ips/search-query.js'
import { readBody } from '../../body.js'
import { cacheFor, type OpContext, type OpVersion, TEXT } from '../context.js'
import { refreshSeconds, requestPublisher } from './common.js'

const MAX_QUERY_BYTES = 64 * 1024
const MAX_QUERIES = 16
const BAD_REQUEST = 'Bad request syntax or unsupported method'

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
  const lines = (await ctx.depot.search.search(pub.name, specs)).flat()
  if (lines.length === 0 && specs.length === 1) return ctx.reply.code(204).send()
  const rs = Math.min(refreshSeconds(pub), 86400)
  return ctx.reply.header('Cache-Control', cacheFor(rs)).header('Expires', new Date(Date.now() + rs * 1000).toUTCString())
    .type(TEXT).send(['Return from search v1', ...lines].join('\n') + '\n')
}

/** search/0: one token, case-insensitive, lines "<index> <fmri> <action> <value>". */
async function search0 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  if (ctx.arg === '') throw new BadRequestError('A search token must be given: search/0/<token>.')
  const lines = (await ctx.depot.search.legacy(pub.name, ctx.arg)).map(l => l + '\n')
  const rs = Math.min(refreshSeconds(pub), 86400)
  return ctx.reply.header('Cache-Control', cacheFor(rs)).header('Expires', new Date(Date.now() + rs * 1000).toUTCString()).type(TEXT).send(lines.join(''))
}

export const searchOps: Record<number, OpVersion> = {
  0: { GET: search0 },
  1: { GET: search1, POST: search1 }
}
