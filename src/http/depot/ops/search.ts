/**
 * search/0 and search/1: pkg5's query language over the SQLite index, which
 * is written with every package and so is never stale or missing. Queries
 * run in the search worker, never on the thread that serves everything else.
 *
 * An answer depends only on the query and the publisher's catalog, so its
 * ETag is a hash of the two: a repeated query is answered 304, or from
 * memory, without reaching a worker. A fresh answer is streamed as the
 * worker prints it.
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { BadRequestError } from '../../../errors.js'
import { parseQueryString } from '../../../ips/search-query.js'
import type { PublisherInfo } from '../../../store/repository.js'
import { readBody } from '../../body.js'
import { etagMatches } from '../../entity.js'
import { cacheFor, type OpContext, type OpVersion, TEXT } from '../context.js'
import { refreshSeconds, requestPublisher } from './common.js'

const MAX_QUERY_BYTES = 64 * 1024
const MAX_QUERIES = 16
const BAD_REQUEST = 'Bad request syntax or unsupported method'
/** Changes when the engine's answers would (a new result order, a new line format): old validators stop matching. */
const ANSWER_FORMAT = '2'

/** A whole answer kept for repeated queries. */
export interface SearchAnswer { readonly status: 200 | 204, readonly body: Buffer, readonly byteLength: number }

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

function etagOf (op: string, pub: PublisherInfo, queries: readonly string[]): string {
  const key = JSON.stringify([ANSWER_FORMAT, op, pub.name, String(pub.catalogCreated), String(pub.catalogLastModified), queries])
  return createHash('sha1').update(key).digest('base64url')
}

interface Answering {
  readonly op: 'search/0' | 'search/1'
  readonly queries: readonly string[]
  /** The first line of a body (search/1's "Return from search v1"), or null. */
  readonly head: string | null
  /** No result at all is 204 (a single search/1 query), or 200 with the head alone. */
  readonly emptyStatus: 200 | 204
  readonly run: () => AsyncIterable<string[]>
}

async function answer (ctx: OpContext, pub: PublisherInfo, a: Answering): Promise<unknown> {
  const { reply } = ctx
  const etag = etagOf(a.op, pub, a.queries)
  const rs = Math.min(refreshSeconds(pub), 86400)
  reply.header('Cache-Control', cacheFor(rs)).header('Expires', new Date(Date.now() + rs * 1000).toUTCString()).header('ETag', `"${etag}"`)
  const inm = ctx.req.headers['if-none-match']
  if (inm !== undefined && etagMatches(inm, etag)) return reply.code(304).send()
  const cache = ctx.depot.searchAnswers
  const kept = cache.get(etag)
  if (kept !== undefined) return kept.status === 204 ? reply.code(204).send() : reply.type(TEXT).send(kept.body)

  const batches = a.run()[Symbol.asyncIterator]()
  // A client that goes away, waiting or reading, gives its search slot back: a search still queued never runs.
  ctx.reply.raw.once('close', () => { if (!ctx.reply.raw.writableFinished) void batches.return?.() })
  // Errors (a parse error, a refusal) come with the first batch: before anything is sent, so they get their own status.
  const first = await batches.next()
  const head = a.head === null ? [] : [Buffer.from(a.head + '\n')]
  if (first.done === true) {
    const status = a.emptyStatus
    const body = status === 204 ? Buffer.alloc(0) : Buffer.concat(head)
    cache.set(etag, { status, body, byteLength: body.length + etag.length })
    return status === 204 ? reply.code(204).send() : reply.type(TEXT).send(body)
  }
  async function * stream (): AsyncGenerator<Buffer> {
    const sent: Buffer[] = [...head]
    let size = 0
    const text = (lines: string[]): Buffer => { const b = Buffer.from(lines.join('\n') + '\n'); size += b.length; if (size <= cache.limit) sent.push(b); return b }
    yield * head
    yield text(first.value as string[])
    for (let next = await batches.next(); next.done !== true; next = await batches.next()) yield text(next.value)
    if (size <= cache.limit) { const body = Buffer.concat(sent); cache.set(etag, { status: 200, body, byteLength: body.length + etag.length }) }
  }
  return reply.type(TEXT).send(Readable.from(stream()))
}

async function search1 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  const queries = await queriesOf(ctx)
  const specs = queries.map(parseQueryString)
  return await answer(ctx, pub, {
    op: 'search/1',
    queries,
    head: 'Return from search v1',
    emptyStatus: specs.length === 1 ? 204 : 200,
    run: () => ctx.depot.search.search(ctx.req.ip, pub.name, specs)
  })
}

/** search/0: one token, case-insensitive, lines "<index> <fmri> <action> <value>". */
async function search0 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  if (ctx.arg === '') throw new BadRequestError('A search token must be given: search/0/<token>.')
  return await answer(ctx, pub, { op: 'search/0', queries: [ctx.arg], head: null, emptyStatus: 200, run: () => ctx.depot.search.legacy(ctx.req.ip, pub.name, ctx.arg) })
}

// HEAD as GET (RFC 9110: wherever GET is): the same search, under the same limits, with the body left out.
export const searchOps: Record<number, OpVersion> = {
  0: { GET: search0, HEAD: search0 },
  1: { GET: search1, HEAD: search1, POST: search1 }
}
