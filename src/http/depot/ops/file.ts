/**
 * file/0, file/1 and file/2: payloads as the stored gzip bytes, never with
 * a Content-Encoding, because the client hashes exactly what it receives
 * against chash. HEAD file/2 also reports the compressed digests, which
 * pkgsend copies into the manifests it publishes.
 */
import fs from 'node:fs'
import { NotFoundError } from '../../../errors.js'
import { catalogTimeToDate } from '../../../ips/timestamp.js'
import { cacheFor, ONE_YEAR, type OpContext, type OpVersion } from '../context.js'
import { type Entity, sendEntity } from '../../entity.js'
import type { StoredPayload } from '../../../store/repository.js'

const DATA = 'application/data'
const MAX_NAME = 256

function lookup (ctx: OpContext): StoredPayload {
  const name = ctx.arg
  const found = name.length <= MAX_NAME && name !== '' ? ctx.depot.repo.payload(ctx.prefix, name) : undefined
  if (!found) throw new NotFoundError(`No file could be found for the specified hash name: '${name === '' ? 'None' : name}'.`)
  return found
}

async function payloadEntity (ctx: OpContext, p: StoredPayload, maxAge: number, headers?: Record<string, string>): Promise<Entity> {
  const base = { contentType: DATA, cacheControl: cacheFor(maxAge), maxAge, etag: p.chash, lastModified: catalogTimeToDate(p.firstPublished), ...(headers ? { headers } : {}) }
  if (ctx.req.method === 'HEAD' || p.csize > ctx.depot.config.cache.smallPayloadBytes) return { ...base, file: { path: p.path, size: p.csize } }
  const key = `payload:${p.hash}`
  let body = ctx.depot.cache.get(key)
  if (body === undefined) {
    body = await fs.promises.readFile(p.path)
    ctx.depot.cache.set(key, body)
  }
  return { ...base, body }
}

async function file (ctx: OpContext): Promise<unknown> {
  const p = lookup(ctx)
  ctx.depot.counters.file++
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
