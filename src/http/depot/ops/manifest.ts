/** manifest/0 and manifest/1 GET: the stored manifest, byte for byte. */
import { NotFoundError } from '../../../errors.js'
import { catalogTimeToDate } from '../../../ips/timestamp.js'
import { displayPath } from '../request-path.js'
import { cacheFor, ONE_YEAR, type OpContext, type OpVersion, TEXT } from '../context.js'
import { sendEntity } from '../../entity.js'
import { findPackage, requireArg } from './common.js'

async function manifest (ctx: OpContext): Promise<unknown> {
  const arg = requireArg(ctx)
  const { manifest: m } = findPackage(ctx, arg, () => new NotFoundError(`The path '${displayPath(ctx.req.raw.url ?? '')}' was not found.`))
  ctx.depot.counters.manifests++
  return sendEntity(ctx.req, ctx.reply, {
    contentType: TEXT,
    cacheControl: cacheFor(ONE_YEAR),
    maxAge: ONE_YEAR,
    body: m.body,
    etag: m.sha1,
    lastModified: catalogTimeToDate(m.published),
    compressible: true
  }, ctx.depot.encoder)
}

export const manifestOps: Record<number, OpVersion> = {
  0: { GET: manifest, HEAD: manifest },
  1: { GET: manifest }
}
