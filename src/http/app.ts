/**
 * Builds the Fastify application: the access log, the one error handler,
 * the security headers, and one plugin per concern (auth, metrics, health,
 * the REST APIs, the pkg(5) depot protocol, the web pages).
 */
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import pino from 'pino'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from 'fastify'
import type { DepotConfig } from '../config.js'
import { DepotError, ServiceUnavailableError, TooManyHeadersError } from '../errors.js'
import { safeDecode } from '../ips/quote.js'
import type { Repository } from '../store/repository.js'
import { ByteLru } from '../lru.js'
import type { DepotServices } from './depot/context.js'
import { JobQueue } from '../jobs.js'
import { Publications } from '../store/transactions.js'
import { SearchPool } from '../store/search-pool.js'
import path from 'node:path'
import { adminApi } from './api/admin.js'
import { publishApi } from './api/publish.js'
import { removeApi } from './api/remove.js'
import { authPlugin } from './auth.js'
import { Encoder } from './compression.js'
import { tokenApi } from './api/token.js'
import { depotProtocol } from './depot/plugin.js'
import { isProtocolPath } from './depot/request-path.js'
import { operationTable } from './depot/routes.js'
import { errorPage } from './error-page.js'
import { healthRoutes } from './health.js'
import { metricsPlugin } from './metrics.js'
import { provenanceApi } from './api/provenance.js'
import { errorPage as pageError } from './web/pages/error.js'
import { PAGE_CSP, webPages } from './web/plugin.js'

declare module 'fastify' {
  interface FastifyInstance {
    depot: DepotServices
  }
}

const SECURITY_HEADERS = {
  'X-Frame-Options': 'SAMEORIGIN',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'self';"
}

/**
 * A request Node's HTTP parser refuses never reaches a route: it is
 * answered here, with the same security headers as every other response.
 */
function refuseUnparsable (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  const body = `${STATUS_CODES[status] ?? 'Bad Request'}\n`
  this.log.info({ reason: err.code, status }, 'unparsable request')
  if (socket.writable) {
    const headers = Object.entries(SECURITY_HEADERS).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${headers}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}

/**
 * Query parameters that can carry a secret never reach a log as sent. A
 * name is judged as a server would read it: percent-decoded and
 * case-folded (%61ccess_token, TOKEN%3D), whatever the separator (& or ;)
 * and with any suffix (token[]).
 */
const SECRET_NAME = /token|code|secret|password|passwd|key|credential|assertion|signature|auth/
function redactUrl (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const fragment = url.indexOf('#', q)
  const query = url.slice(q + 1, fragment === -1 ? undefined : fragment)
  const redacted = query.split(/([&;])/).map(part => {
    const eq = part.indexOf('=')
    const name = safeDecode((eq === -1 ? part : part.slice(0, eq)).replace(/\+/g, ' ')).toLowerCase()
    return SECRET_NAME.test(name) ? `${eq === -1 ? part : part.slice(0, eq)}=[redacted]` : part
  }).join('')
  return `${url.slice(0, q + 1)}${redacted}${fragment === -1 ? '' : url.slice(fragment)}`
}

/** An incoming X-Request-Id is kept when it is a plain identifier; anything else gets a fresh one. */
const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/
function requestId (req: { headers: Record<string, string | string[] | undefined> }): string {
  const sent = req.headers['x-request-id']
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID()
}

const logged = new WeakSet<object>()
/** Why a request was refused, as its client was told: the access line says it too. */
const reasons = new WeakMap<object, string>()
const LEVELS: Record<string, number> = { ...pino.levels.values, silent: Infinity }

/** One log line per request, written when the response is done: never headers, never tokens. */
function accessLine (error: Error | null, req: FastifyRequest, reply: FastifyReply, ip = req.ip): void {
  // Below the level, no line is built at all (the bench's setting): only a 5xx is logged at error.
  if (LEVELS[req.log.level]! > LEVELS[reply.statusCode >= 500 ? 'error' : 'info']!) return
  if (logged.has(req.raw)) return
  logged.add(req.raw)
  const reason = reasons.get(req.raw)
  const line = {
    method: req.method,
    url: redactUrl(req.raw.url ?? ''),
    status: reply.statusCode,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    ip,
    ua: req.headers['user-agent'],
    ...(reason === undefined ? {} : { reason }),
    ...(error ? { err: error } : {})
  }
  // A 5xx is the operator's problem: at error, where alerts look.
  if (reply.statusCode >= 500) req.log.error(line, 'request'); else req.log.info(line, 'request')
}

class RequestLog extends LogController {
  override incomingRequest (): void {}
  override requestCompleted (error: Error | null, req: FastifyRequest, reply: FastifyReply): void { accessLine(error, req, reply) }
}

export interface AppOptions {
  readonly config: DepotConfig
  readonly repo: Repository
  /** A pino logger instance or options; false for none. */
  readonly logger?: boolean | object
}

export async function buildApp (opts: AppOptions): Promise<FastifyInstance> {
  const { config, repo } = opts
  const app = Fastify({
    // Written asynchronously: lines that arrive while a write is in flight go out together, so under load the access log costs
    // one write(2) per batch instead of one per request, and at rest each line still goes out at once (process exit flushes).
    logger: opts.logger ?? { level: config.log.level, stream: pino.destination({ dest: 1, sync: false }) },
    logController: new RequestLog(),
    bodyLimit: config.server.bodyLimit,
    routerOptions: { maxParamLength: 8192 },
    // A URL Fastify cannot route (not UTF-8, too long) never reaches requestCompleted, and its req.ip ignores
    // trustProxy: its line is written here, with the address trustProxy (true: every hop trusted) gives.
    frameworkErrors: (err, req, reply) => {
      const forwarded = config.server.trustProxy ? String(req.headers['x-forwarded-for'] ?? '').split(',')[0]!.trim() : ''
      reply.raw.once('finish', () => { accessLine(null, req, reply, forwarded === '' ? req.raw.socket.remoteAddress : forwarded) })
      void renderError(err, req, reply)
    },
    clientErrorHandler: refuseUnparsable,
    trustProxy: config.server.trustProxy,
    requestIdHeader: false,
    genReqId: requestId
  })
  // Node keeps the first maxHeadersCount and drops the rest without a word: read one more, and refuse when it is there.
  app.server.maxHeadersCount = config.server.maxHeaders + 1

  const cache = new ByteLru<Buffer>(config.cache.memoryBytes)
  const depot: DepotServices = {
    repo,
    config,
    cache,
    encoder: new Encoder(cache),
    counters: { catalog: 0, file: 0, manifests: 0 },
    jobs: new JobQueue((job, err) => { app.log.warn({ job: job.id, kind: job.kind, publisher: job.publisher, err }, `background job ${job.kind} failed: ${err.message}`) }),
    publications: new Publications(repo, {
      maxDecompressedBytes: config.publish.maxDecompressedBytes,
      maxActions: config.publish.maxActions,
      maxOpenPerSubject: config.publish.maxOpenTransactions,
      catalogFormat: config.publish.catalogFormat
    }),
    search: new SearchPool(path.join(repo.dataDir, 'depot.sqlite'), config.search),
    searchAnswers: new ByteLru(config.search.cacheBytes)
  }
  app.addHook('onClose', async () => { await depot.search.close() })
  app.decorate('depot', depot)

  app.addHook('onRequest', async (req, reply) => {
    reply.headers(SECURITY_HEADERS)
    reply.header('X-Request-Id', req.id)
    if (req.raw.rawHeaders.length / 2 > config.server.maxHeaders) throw new TooManyHeadersError(config.server.maxHeaders)
  })
  app.setErrorHandler(renderError)

  await app.register(authPlugin, { auth: config.auth, repo })
  // Counting costs every request a little: only when the metrics are served.
  if (config.metrics !== null) await app.register(metricsPlugin)
  await app.register(healthRoutes)
  await app.register(adminApi, { prefix: '/api/v1', depot })
  await app.register(publishApi, { prefix: '/api/v1', depot })
  await app.register(removeApi, { prefix: '/api/v1', depot })
  await app.register(tokenApi, { prefix: '/api/v1', depot })
  await app.register(provenanceApi, { prefix: '/api/v1', depot })
  const ops = operationTable(app.authGuard !== null)
  await app.register(depotProtocol, { depot, ops })
  await app.register(webPages, { depot, ops })
  return app
}

/** The one place errors become responses: XHTML for pkg(5) operations, problem+json for the REST API. */
function renderError (thrown: FastifyError | DepotError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
    // SQLite's lock held by another writer (a rebuild, an import) past the busy timeout: nothing was written.
    const err = (thrown as { code?: unknown }).code === 'SQLITE_BUSY' ? new ServiceUnavailableError('The repository is busy with another write (a rebuild or an import); retry shortly.', 5) : thrown
    const status = err instanceof DepotError ? err.status : (err.statusCode ?? 500)
    const message = err instanceof DepotError || status < 500 ? err.message : 'The server encountered an internal error.'
    if (status >= 500 && !(err instanceof DepotError)) req.log.error({ err }, 'request failed')
    reasons.set(req.raw, message)
    for (const h of ['Cache-Control', 'Expires', 'ETag', 'Last-Modified', 'Accept-Ranges', 'Vary', 'Content-Encoding', 'Content-Length']) reply.removeHeader(h)
    if (err instanceof DepotError) reply.headers(err.headers)
    // Framework errors (a URL that is not valid UTF-8) come before the onRequest hook that sets these.
    reply.headers(SECURITY_HEADERS)
    reply.code(status)
    if ((req.raw.url ?? '').startsWith('/api/')) {
      return reply.type('application/problem+json').send({ type: 'about:blank', title: err.name, status, detail: message, code: (err as DepotError).code ?? (err as FastifyError).code })
    }
    if (isProtocolPath(req.raw.url ?? '/')) return reply.type('text/html;charset=utf-8').send(errorPage(status, message))
    return reply.type('text/html; charset=utf-8').header('Content-Security-Policy', PAGE_CSP).send(pageError(status, message).text)
}
