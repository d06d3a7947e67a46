/** status/0: repository configuration and per-publisher catalog state (pkgrepo info/get). */
import type { JsonValue } from '../../../ips/canonical-json.js'
import { prettyJson } from '../../../ips/p5i.js'
import { formatCatalogTime } from '../../../ips/timestamp.js'
import { cacheFor, type OpContext, type OpVersion } from '../context.js'
import { sendEntity } from '../../entity.js'

const DEFAULT_REPOSITORY_CONFIG = {
  'check-certificate-revocation': false,
  'signature-required-names': [],
  'trust-anchor-directory': '/etc/ssl/pkg/',
  version: 4
}

async function status (ctx: OpContext): Promise<unknown> {
  const repo = ctx.depot.repo
  const publishers: { [name: string]: JsonValue } = {}
  for (const p of repo.publishers()) {
    const c = await repo.counts(p.name)
    publishers[p.name] = {
      'last-catalog-update': formatCatalogTime(p.catalogLastModified),
      'package-count': c.stems,
      'package-version-count': c.versions,
      status: 'online'
    }
  }
  const stored = repo.setting('repository/configuration')
  const configuration: { [key: string]: JsonValue } = {
    repository: stored === undefined ? DEFAULT_REPOSITORY_CONFIG : JSON.parse(stored) as JsonValue
  }
  if (repo.defaultPublisher !== null) configuration.publisher = { prefix: repo.defaultPublisher }
  const { catalog, file, manifests } = ctx.depot.counters
  const body = Buffer.from(prettyJson({
    repository: { configuration, publishers, requests: { catalog, file, manifests }, status: 'online', version: 4 },
    version: 1
  }))
  return sendEntity(ctx.req, ctx.reply, { contentType: 'application/json; charset=utf-8', cacheControl: cacheFor(300), maxAge: 300, body }, ctx.depot.encoder)
}

export const statusOps: Record<number, OpVersion> = { 0: { GET: status, HEAD: status } }
