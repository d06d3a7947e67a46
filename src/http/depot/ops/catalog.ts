/** catalog/0 (the legacy full listing) and catalog/1 (the v1 catalog files). */
import { NotFoundError } from '../../../errors.js'
import { isCatalogFileName, UPDATE_LOG_NAME, compareVersionStrings } from '../../../ips/catalog.js'
import { catalogTimeToDate, type CatalogTime } from '../../../ips/timestamp.js'
import { displayPath } from '../request-path.js'
import { cacheFor, type OpContext, type OpVersion, TEXT } from '../context.js'
import { sendEntity } from '../../entity.js'
import { refreshSeconds, requestPublisher, requireArg } from './common.js'

/** Python isoformat with UTC offset, as catalog/0 prints Last-Modified. */
function isoFormat (t: CatalogTime): string {
  const us = Number(t % 1_000_000n)
  const base = catalogTimeToDate(t).toISOString().slice(0, 19)
  return (us === 0 ? base : `${base}.${String(us).padStart(6, '0')}`) + '+00:00'
}

async function catalog0 (ctx: OpContext): Promise<unknown> {
  const pub = requestPublisher(ctx)
  ctx.depot.counters.catalog++
  const versions = ctx.depot.repo.versions(pub.name)
    .sort((a, b) => a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : compareVersionStrings(a.version, b.version))
  const lines = [`S Last-Modified: ${isoFormat(pub.catalogLastModified)}`, 'S prefix: CRSV', `S npkgs: ${versions.length}`,
    ...versions.map(v => `V pkg:/${v.stem}@${v.version}`)]
  const rs = Math.min(refreshSeconds(pub), 86400)
  return sendEntity(ctx.req, ctx.reply, {
    contentType: TEXT,
    cacheControl: cacheFor(rs),
    maxAge: rs,
    body: Buffer.from(lines.join('\n') + '\n'),
    etag: `catalog0-${pub.name}-${pub.catalogLastModified}`,
    lastModified: catalogTimeToDate(pub.catalogLastModified),
    compressible: true,
    headers: { 'X-Catalog-Type': 'full' }
  }, ctx.depot.encoder)
}

async function catalog1 (ctx: OpContext): Promise<unknown> {
  const name = requireArg(ctx)
  const pub = requestPublisher(ctx)
  const file = isCatalogFileName(name) ? await ctx.depot.repo.catalogFile(pub.name, name) : undefined
  if (!file) throw new NotFoundError(`The path '${displayPath(ctx.req.raw.url ?? '')}' was not found.`)
  ctx.depot.counters.catalog++
  // catalog.attrs and the update logs change in place: clients must always revalidate them.
  const mutable = name === 'catalog.attrs' || UPDATE_LOG_NAME.test(name)
  const rs = Math.min(refreshSeconds(pub), 86400)
  return sendEntity(ctx.req, ctx.reply, {
    contentType: TEXT,
    cacheControl: mutable ? 'no-cache, no-transform' : cacheFor(rs),
    ...(mutable ? {} : { maxAge: rs }),
    body: file.body,
    etag: file.signature,
    lastModified: catalogTimeToDate(file.lastModified),
    compressible: true
  }, ctx.depot.encoder)
}

export const catalogOps: Record<number, OpVersion> = {
  0: { GET: catalog0, HEAD: catalog0 },
  1: { GET: catalog1, HEAD: catalog1 }
}
