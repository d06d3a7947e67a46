/**
 * publisher/0 and publisher/1: the repository's publishers and their
 * configuration as a p5i document; with a prefix, only that publisher.
 * (pkg.depotd answers publisher/1 with a 500; this answers it.)
 */
import { p5iDocument } from '../../../ips/p5i.js'
import { cacheFor, type OpContext, type OpVersion, P5I, ONE_YEAR } from '../context.js'
import { sendEntity } from '../../entity.js'
import { refreshSeconds } from './common.js'

async function publisher (ctx: OpContext): Promise<unknown> {
  const repo = ctx.depot.repo
  const all = repo.publishers()
  const names = ctx.prefix !== null ? [ctx.prefix] : repo.publisherNames()
  const pubs = names.map(n => all.find(p => p.name === n)!)
  const maxAge = Math.min(refreshSeconds(all.find(p => p.name === (ctx.prefix ?? repo.defaultPublisher))), ONE_YEAR)
  const body = Buffer.from(p5iDocument(pubs.map(p => ({ name: p.name, packages: [], repository: p.repository }))))
  return sendEntity(ctx.req, ctx.reply, { contentType: P5I, cacheControl: cacheFor(maxAge), maxAge, body, compressible: true }, ctx.depot.encoder)
}

export const publisherOps: Record<number, OpVersion> = {
  0: { GET: publisher, HEAD: publisher },
  1: { GET: publisher, HEAD: publisher }
}
