/**
 * file/0, file/1 and file/2: payloads as the stored gzip bytes, never with
 * a Content-Encoding, because the client hashes exactly what it receives
 * against chash. HEAD file/2 also reports the compressed digests, which
 * pkgsend copies into the manifests it publishes. Where payloads are in a
 * bucket, a GET may be redirected to it (a CDN's URL or a presigned one):
 * the client hashes what it receives, wherever it came from. HEAD answers
 * from the catalog of record alone.
 */
import type { Readable } from 'node:stream'
import { NotFoundError } from '../../../errors.js'
import { catalogTimeToDate } from '../../../ips/timestamp.js'
import { cacheFor, ONE_YEAR, type OpContext, type OpVersion } from '../context.js'
import { type Entity, sendEntity, sendRedirect } from '../../entity.js'
import type { StoredPayload } from '../../../store/repository.js'
import { PayloadMissingError } from '../../../store/payload-store.js'

const DATA = 'application/data'
const MAX_NAME = 256

const notFound = (name: string): NotFoundError => new NotFoundError(`No file could be found for the specified hash name: '${name === '' ? 'None' : name}'.`)

function lookup (ctx: OpContext): StoredPayload {
  const name = ctx.arg
  const found = name.length <= MAX_NAME && name !== '' ? ctx.depot.repo.payload(ctx.prefix, name) : undefined
  if (!found) throw notFound(name)
  return found
}

/** A payload the catalog lists but the store lacks answers as pkg.depotd does for a missing file: 404. */
async function orNotFound<T> (p: StoredPayload, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (err) {
    throw err instanceof PayloadMissingError ? notFound(p.hash) : err
  }
}

async function payloadEntity (ctx: OpContext, p: StoredPayload, maxAge: number, headers?: Record<string, string>): Promise<Entity> {
  const base = { contentType: DATA, cacheControl: cacheFor(maxAge), maxAge, etag: p.chash, lastModified: catalogTimeToDate(p.firstPublished), ...(headers ? { headers } : {}) }
  const store = ctx.depot.repo.payloads
  if (ctx.req.method === 'HEAD' || p.csize > ctx.depot.config.cache.smallPayloadBytes) {
    return { ...base, stream: { size: p.csize, open: async (span): Promise<Readable> => await orNotFound(p, async () => await store.read(p.hash, span)) } }
  }
  const key = `payload:${p.hash}`
  let body = ctx.depot.cache.get(key)
  if (body === undefined) {
    body = await orNotFound(p, async () => await store.readAll(p.hash))
    ctx.depot.cache.set(key, body)
  }
  return { ...base, body }
}

async function file (ctx: OpContext): Promise<unknown> {
  const p = lookup(ctx)
  ctx.depot.counters.file++
  if (ctx.req.method === 'GET' && ctx.depot.repo.payloads.redirects) {
    const location = await ctx.depot.repo.payloads.redirect(p.hash)
    // A presigned URL stops working: no cache may hand it out later.
    if (location !== null) return sendRedirect(ctx.reply, location.url, location.expiring ? 'no-store' : cacheFor(ONE_YEAR))
  }
  return sendEntity(ctx.req, ctx.reply, await payloadEntity(ctx, p, ONE_YEAR), ctx.depot.encoder)
}

async function file2Head (ctx: OpContext): Promise<unknown> {
  const p = lookup(ctx)
  return sendEntity(ctx.req, ctx.reply, await payloadEntity(ctx, p, 86400, {
    'X-Ipkg-Attr-0': `chash=${p.chash}`,
    'X-Ipkg-Attr-1': `pkg.content-hash=gzip:sha256:${p.gzipSha256}`
  }), ctx.depot.encoder)
}

export const fileOps: Record<number, OpVersion> = {
  0: { GET: file, HEAD: file },
  1: { GET: file },
  2: { GET: file, HEAD: file2Head }
}
