/**
 * The classic pkg(5) depot protocol. Every request is resolved once
 * (routes.ts) in onRequest: the guard checks the permission the resolved
 * handler declares, before any body is read, and the catch-all route runs
 * exactly that handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { DepotServices } from './context.js'
import { type OpTable, resolveOp, type ResolvedOp } from './routes.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** What the pkg(5) plugin resolved the request to, in onRequest. */
    depotOp: ResolvedOp | null
  }
}

const ROBOTS = 'User-agent: *\nDisallow: /\n'

/** Resolved requests kept per repository generation (a publisher may come or go with any write); long URLs are resolved each time. */
const RESOLVED_ENTRIES = 1024
const RESOLVED_URL_LENGTH = 512

export async function depotProtocol (app: FastifyInstance, opts: { depot: DepotServices, ops: OpTable }): Promise<void> {
  const guard = app.authGuard
  const { depot, ops } = opts

  // Resolving a path showed in profiles of catalog.attrs (~7% of a request): the same few URLs come again and again.
  let resolvedCache = { generation: '', byUrl: new Map<string, ResolvedOp>() }
  const resolve = (method: string, url: string): ResolvedOp => {
    if (url.length > RESOLVED_URL_LENGTH) return resolveOp(ops, depot, method, url)
    const generation = depot.repo.generation()
    if (resolvedCache.generation !== generation) resolvedCache = { generation, byUrl: new Map() }
    const key = `${method} ${url}`
    let hit = resolvedCache.byUrl.get(key)
    if (hit === undefined) {
      hit = resolveOp(ops, depot, method, url)
      if (resolvedCache.byUrl.size >= RESOLVED_ENTRIES) resolvedCache.byUrl.clear()
      resolvedCache.byUrl.set(key, hit)
    }
    return hit
  }

  app.decorateRequest('depotOp', null)
  app.addHook('onRequest', async req => {
    if (req.routeOptions.url !== '/*') return
    const resolved = req.depotOp = resolve(req.method, req.raw.url ?? '/')
    if (resolved.access !== null) {
      // A table with writes exists only with a guard; a missing one must never mean "allowed".
      if (guard === null) throw new Error('a protected operation resolved without an auth guard')
      await guard.check(req, resolved.access)
    }
  })

  // pkg(5) bodies are raw (gzip payloads, manifests, form data): leave them
  // unparsed for the operation that wants them.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, _payload, done) => { done(null, undefined) })

  const dispatch = async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const op = req.depotOp!
    return op.handler({ req, reply, depot, prefix: op.publisher, arg: op.arg, query: op.query })
  }

  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/*', handler: dispatch })
  app.get('/robots.txt', async (_req, reply) => reply.type('text/plain').send(ROBOTS))
}
