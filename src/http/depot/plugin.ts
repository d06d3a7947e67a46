/**
 * The classic pkg(5) depot protocol. One catch-all route dispatches the
 * way pkg.depotd does: optional publisher prefix, operation, integer
 * version, then the operation's arguments, with pkg.depotd's status codes
 * and messages at every step.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError, DepotError, MethodNotAllowedError, NotFoundError } from '../../errors.js'
import type { DepotServices, OpVersion } from './context.js'
import { displayPath, KNOWN_OPS, parseDepotPath } from './request-path.js'
import type { DepotAction } from '../../config.js'
import { parseFmri } from '../../ips/fmri.js'
import { normalizeTransactionId, transactionPublisher } from '../../store/transactions.js'
import type { AccessRequest } from '../auth.js'
import { adminOps, indexOps } from './ops/admin.js'
import { abandonOps, addOps, appendOps, closeOps, openOps, uploads } from './ops/publish.js'
import { catalogOps } from './ops/catalog.js'
import { fileOps } from './ops/file.js'
import { infoOps } from './ops/info.js'
import { manifestOps } from './ops/manifest.js'
import { p5iOps } from './ops/p5i.js'
import { publisherOps } from './ops/publisher.js'
import { searchOps } from './ops/search.js'
import { statusOps } from './ops/status.js'
import { versionsBody, versionsOp } from './ops/versions.js'

export class OperationNotSupportedError extends DepotError {
  constructor () { super('ERR_OP_NOT_SUPPORTED', 404, 'Operation not supported in current server mode.') }
}

/** Operations that change the repository: offered only with an issuer configured, always behind a token. */
const PROTECTED: Record<string, { versions: Record<number, OpVersion>, action: DepotAction }> = {
  admin: { versions: adminOps, action: 'rebuild' },
  index: { versions: indexOps, action: 'rebuild' },
  open: { versions: openOps, action: 'publish' },
  append: { versions: appendOps, action: 'publish' },
  add: { versions: addOps, action: 'publish' },
  close: { versions: closeOps, action: 'publish' },
  abandon: { versions: abandonOps, action: 'publish' }
}

function table (writable: boolean): Map<string, Map<number, OpVersion>> {
  const ops = new Map<string, Map<number, OpVersion>>()
  const add = (op: string, versions: Record<number, OpVersion>): void => {
    // Copies: a writable depot adds upload methods to its own file/1 and manifest/1.
    ops.set(op, new Map(Object.entries(versions).map(([v, h]) => [Number(v), { ...h }])))
  }
  add('catalog', catalogOps)
  add('file', fileOps)
  add('info', infoOps)
  add('manifest', manifestOps)
  add('p5i', p5iOps)
  add('publisher', publisherOps)
  add('search', searchOps)
  add('status', statusOps)
  if (writable) {
    for (const [op, p] of Object.entries(PROTECTED)) add(op, p.versions)
    Object.assign(ops.get('file')!.get(1)!, uploads.file)
    Object.assign(ops.get('manifest')!.get(1)!, uploads.manifest)
  }
  let body: Buffer | undefined
  add('versions', { 0: versionsOp(() => (body ??= versionsBody(ops))) })
  return ops
}

const ROBOTS = 'User-agent: *\nDisallow: /\n'

/** Uploads pkg5 accepts on otherwise read-only operations (transactions). */
const PUBLICATION_UPLOADS = new Set(['file/1', 'manifest/1'])

export async function depotProtocol (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const guard = app.authGuard
  const ops = table(guard !== null)
  const depot = opts.depot

  /**
   * What a protected request will act on, if a handler will run for it:
   * auth runs only then, and before any body is read.
   */
  const accessFor = (req: FastifyRequest): AccessRequest | null => {
    const path = parseDepotPath(req.raw.url ?? '/')
    if (path === null) return null
    const upload = (path.op === 'file' || path.op === 'manifest') && path.version === '1' && (req.method === 'POST' || req.method === 'PUT')
    if (!upload && !Object.hasOwn(PROTECTED, path.op)) return null
    if (path.publisher !== null && !depot.repo.hasPublisher(path.publisher)) return null
    const handlers = path.version !== undefined && /^[0-9]+$/.test(path.version) ? ops.get(path.op)?.get(Number(path.version)) : undefined
    if (!handlers?.[req.method as keyof OpVersion]) return null
    const arg = path.args.join('/')
    if (path.op === 'admin' || path.op === 'index') return { publisher: path.publisher, action: 'rebuild' }
    if (path.op === 'open' || path.op === 'append') {
      let publisher: string | null = null
      try { publisher = parseFmri(arg).publisher } catch { /* the handler answers 400 */ }
      publisher ??= path.publisher ?? depot.repo.defaultPublisher
      return publisher === null ? { publisher, action: 'publish', authenticateOnly: true } : { publisher, action: 'publish' }
    }
    const id = path.op === 'add' ? arg.slice(0, Math.max(arg.lastIndexOf('/'), 0)) : arg
    const publisher = transactionPublisher(normalizeTransactionId(id))
    return publisher === null ? { publisher, action: 'publish', authenticateOnly: true } : { publisher, action: 'publish' }
  }
  if (guard !== null) {
    app.addHook('onRequest', async req => {
      const access = accessFor(req)
      if (access !== null) await guard.check(req, access)
    })
  }

  // pkg(5) bodies are raw (gzip payloads, manifests, form data): leave them
  // unparsed for the operation that wants them.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, _payload, done) => { done(null, undefined) })

  const notFound = (req: FastifyRequest): NotFoundError => new NotFoundError(`The path '${displayPath(req.raw.url ?? '/')}' was not found.`)

  const dispatch = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const url = req.raw.url ?? '/'
    const path = parseDepotPath(url)
    if (path === null) {
      const bare = url.split('?')[0]
      if (bare === '/robots.txt') return reply.type('text/plain').send(ROBOTS)
      if (bare === '/') return reply.type('text/plain;charset=utf-8').send(`ips-depot: a pkg(5) package repository.\nPublishers: ${depot.repo.publisherNames().join(', ')}\n`)
      throw notFound(req)
    }
    if (path.publisher !== null && !depot.repo.hasPublisher(path.publisher)) throw new BadRequestError(`Unknown publisher: ${path.publisher}`)
    const versions = ops.get(path.op)
    if (!versions) {
      if (KNOWN_OPS.has(path.op) && path.op !== 'feed') throw new OperationNotSupportedError()
      throw notFound(req)
    }
    if (path.version === undefined || path.version === '') throw new BadRequestError('Missing version')
    if (!/^-?[0-9]+$/.test(path.version)) throw new BadRequestError('Non-integer version')
    const handlers = versions.get(Number(path.version))
    if (!handlers) throw new NotFoundError(`Version '${path.version}' not supported for operation '${path.op}'`)
    const handler = handlers[req.method as keyof OpVersion]
    if (!handler) {
      if ((req.method === 'POST' || req.method === 'PUT') && PUBLICATION_UPLOADS.has(`${path.op}/${path.version}`)) throw new OperationNotSupportedError()
      throw new MethodNotAllowedError(req.method, Object.keys(handlers))
    }
    return handler({ req, reply, depot, prefix: path.publisher, arg: path.args.join('/'), query: path.query })
  }

  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/*', handler: dispatch })
  app.route({ method: ['GET', 'HEAD'], url: '/', handler: dispatch })
}
