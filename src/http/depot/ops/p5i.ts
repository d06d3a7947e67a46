/** p5i/0: a p5i document listing the packages a pattern matches. */
import { BadRequestError, NotFoundError } from '../../../errors.js'
import { compareVersionStrings } from '../../../ips/catalog.js'
import { IllegalFmriError } from '../../../ips/fmri.js'
import { p5iDocument } from '../../../ips/p5i.js'
import { type PackagePattern, parsePattern, stemMatches, versionMatches } from '../../../ips/pattern.js'
import { parseVersion } from '../../../ips/version.js'
import { cacheFor, ONE_YEAR, type OpContext, type OpVersion, P5I } from '../context.js'
import { sendEntity } from '../../entity.js'
import { requestPublisher } from './common.js'

function pattern (arg: string): PackagePattern {
  try {
    return parsePattern(arg.endsWith('.p5i') ? arg.slice(0, -4) : arg)
  } catch (err) {
    if (err instanceof IllegalFmriError) throw new BadRequestError(`'${err.fromVersion ? err.detail : err.message}' is an illegal FMRI`)
    throw err
  }
}

async function p5i (ctx: OpContext): Promise<unknown> {
  const pat = pattern(ctx.arg)
  const pub = requestPublisher(ctx)
  const versions = ctx.depot.repo.versions(pub.name).filter(v => stemMatches(pat, v.stem))
  let packages: string[]
  if (pat.version === null || pat.glob) {
    packages = [...new Set(versions.map(v => v.stem))].sort()
  } else {
    packages = versions.filter(v => versionMatches(pat, parseVersion(v.version)))
      .sort((a, b) => a.stem === b.stem ? compareVersionStrings(b.version, a.version) : a.stem < b.stem ? -1 : 1)
      .map(v => `${v.stem}@${v.version}`)
  }
  if (packages.length === 0) throw new NotFoundError('No matching package found in repository.')
  const body = Buffer.from(p5iDocument([{ name: pub.name, packages, repository: pub.repository }]))
  return sendEntity(ctx.req, ctx.reply, { contentType: P5I, cacheControl: cacheFor(ONE_YEAR), maxAge: ONE_YEAR, body, compressible: true }, ctx.depot.encoder)
}

export const p5iOps: Record<number, OpVersion> = { 0: { GET: p5i, HEAD: p5i } }
