/** info/0: a human-readable summary of a package, with its licence texts. */
import zlib from 'node:zlib'
import { NotFoundError } from '../../../errors.js'
import { attrValue } from '../../../ips/action.js'
import { packageInfo } from '../../../ips/info.js'
import { parseManifest } from '../../../ips/manifest.js'
import { catalogTimeToDate } from '../../../ips/timestamp.js'
import { cacheFor, ONE_YEAR, type OpContext, type OpVersion, TEXT } from '../context.js'
import { sendEntity } from '../../entity.js'
import { findPackage } from './common.js'

const MAX_LICENSE_BYTES = 4 * 1024 * 1024

async function info (ctx: OpContext): Promise<unknown> {
  const { fmri, manifest } = findPackage(ctx, ctx.arg, () => new NotFoundError('Nothing matches the given URI'))
  const actions = parseManifest(manifest.body.toString('utf8'))
  const licenses: string[] = []
  for (const a of actions) {
    if (a.type !== 'license' || !a.hash) continue
    const p = ctx.depot.repo.payload(fmri.publisher, a.hash) ?? ctx.depot.repo.payload(null, a.hash)
    if (!p) throw new NotFoundError(`The licence payload ${a.hash} of ${attrValue(a, 'license') ?? ''} is missing from this repository.`)
    const text = zlib.gunzipSync(await ctx.depot.repo.payloads.readAll(p.hash), { maxOutputLength: MAX_LICENSE_BYTES })
    licenses.push(text.toString('utf8'))
  }
  const body = Buffer.from(packageInfo(fmri, actions, catalogTimeToDate(manifest.published), licenses))
  return sendEntity(ctx.req, ctx.reply, {
    contentType: TEXT, cacheControl: cacheFor(ONE_YEAR), maxAge: ONE_YEAR, body, etag: `info-${manifest.sha1}`, compressible: true
  }, ctx.depot.encoder)
}

export const infoOps: Record<number, OpVersion> = { 0: { GET: info, HEAD: info } }
