/**
 * Prometheus metrics (prom-client), served by a listener of their own
 * ([metrics] listen, loopback unless the operator says otherwise) so that
 * they are never on the public port. Counts kept by the domain objects
 * (search pool, cache, issuer keys, auth decisions) are read at scrape
 * time; request metrics come from an onResponse hook.
 */
import http from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Registry
  }
}

/** The operation a request was, with bounded cardinality: a pkg(5) op, a REST route template, or "other". */
function opOf (req: FastifyRequest): string {
  const op = req.depotOp
  if (op !== null && op !== undefined) return `${op.op}/${op.version}`
  const route = req.routeOptions.url
  return route === undefined || route === '/*' ? 'other' : route
}

export const metricsPlugin = fp(async (app: FastifyInstance) => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'ips_depot_' })
  const { depot } = app
  const guard = app.authGuard

  const requests = new Counter({ name: 'ips_depot_requests_total', help: 'Requests answered, by operation and status', labelNames: ['op', 'status'], registers: [registry] })
  const duration = new Histogram({ name: 'ips_depot_request_duration_seconds', help: 'Time to answer, by operation', labelNames: ['op'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] })
  const bytes = new Counter({ name: 'ips_depot_response_bytes_total', help: 'Bytes of response bodies sent (by Content-Length), by operation', labelNames: ['op'], registers: [registry] })
  const publishes = new Counter({ name: 'ips_depot_publishes_total', help: 'Packages published, by protocol', labelNames: ['via'], registers: [registry] })
  app.addHook('onResponse', async (req, reply) => {
    const op = opOf(req)
    requests.inc({ op, status: String(reply.statusCode) })
    duration.observe({ op }, reply.elapsedTime / 1000)
    const length = Number(reply.getHeader('content-length') ?? 0)
    if (Number.isFinite(length) && length > 0) bytes.inc({ op }, length)
    if (op === 'close/0' && reply.statusCode === 200) publishes.inc({ via: 'pkg5' })
    if (op === '/api/v1/publishers/:publisher/packages' && req.method === 'POST' && reply.statusCode === 201) publishes.inc({ via: 'rest' })
  })

  const perPublisher = async (pick: (c: { stems: number, versions: number }) => number, g: Gauge): Promise<void> => {
    g.reset()
    for (const name of depot.repo.publisherNames()) g.set({ publisher: name }, pick(await depot.repo.counts(name)))
  }
  new Gauge({ name: 'ips_depot_catalog_versions', help: 'Package versions in the sealed catalog, per publisher', labelNames: ['publisher'], registers: [registry], async collect () { await perPublisher(c => c.versions, this) } })
  new Gauge({ name: 'ips_depot_catalog_stems', help: 'Package stems in the sealed catalog, per publisher', labelNames: ['publisher'], registers: [registry], async collect () { await perPublisher(c => c.stems, this) } })
  new Gauge({
    name: 'ips_depot_catalog_unsealed_changes', help: 'Catalog revisions committed but not yet sealed (seal lag), per publisher', labelNames: ['publisher'], registers: [registry],
    collect () { this.reset(); for (const r of depot.repo.catalogRevisions()) this.set({ publisher: r.name }, r.revision - r.sealed) }
  })
  new Gauge({ name: 'ips_depot_search_queue_depth', help: 'Searches waiting for a worker', registers: [registry], collect () { this.set(depot.search.waiting) } })
  const fromStats = (name: string, help: string, read: () => number): void => {
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
  }
  fromStats('ips_depot_search_timeouts_total', 'Searches ended for taking longer than their time budget', () => depot.search.stats.timeouts)
  fromStats('ips_depot_search_shed_total', 'Searches refused after waiting too long for a worker', () => depot.search.stats.shed)
  new Counter({
    name: 'ips_depot_search_refusals_total', help: 'Searches refused, by reason: too_broad (422), too_long and waited (503), client_queue (429), shutdown', labelNames: ['reason'], registers: [registry],
    collect () { this.reset(); for (const [reason, n] of Object.entries(depot.search.refusals)) this.inc({ reason }, n) }
  })
  fromStats('ips_depot_cache_hits_total', 'Lookups in the memory cache that found their entry', () => depot.cache.stats.hits)
  fromStats('ips_depot_cache_misses_total', 'Lookups in the memory cache that did not', () => depot.cache.stats.misses)
  fromStats('ips_depot_compressions_total', 'Compressions run (not cache hits, not shared ones)', () => depot.encoder.compressions)
  fromStats('ips_depot_jobs_submitted_total', 'Background jobs (admin/0, rebuilds) accepted', () => depot.jobs.submitted)
  const payloadOps = Object.entries(depot.repo.payloads.stats)
  new Counter({
    name: 'ips_depot_payload_store_operations_total', help: 'Calls to the payload store (files or bucket), by operation and result', labelNames: ['op', 'result'], registers: [registry],
    collect () { this.reset(); for (const [op, s] of payloadOps) { this.inc({ op, result: 'ok' }, s.ok); this.inc({ op, result: 'failed' }, s.failed) } }
  })
  new Counter({
    name: 'ips_depot_payload_store_seconds_total', help: 'Time spent in calls to the payload store (a read until its bytes start), by operation: divided by the operations, the mean', labelNames: ['op'], registers: [registry],
    collect () { this.reset(); for (const [op, s] of payloadOps) this.inc({ op }, s.seconds) }
  })
  if (guard !== null) {
    new Counter({
      name: 'ips_depot_issuer_key_fetches_total', help: 'Fetches of an issuer\'s discovery and key set, and those that failed', labelNames: ['issuer', 'result'], registers: [registry],
      collect () {
        this.reset()
        for (const s of guard.verifier.keyStats()) { this.inc({ issuer: s.issuer, result: 'ok' }, s.fetches - s.failures); this.inc({ issuer: s.issuer, result: 'failed' }, s.failures) }
      }
    })
    new Counter({
      name: 'ips_depot_auth_refusals_total', help: 'Requests refused by the auth guard, by error code', labelNames: ['code'], registers: [registry],
      collect () { this.reset(); for (const [code, n] of guard.refusals) this.inc({ code }, n) }
    })
  }
  app.decorate('metrics', registry)
})

/** The metrics listener: GET /metrics and nothing else. */
export async function startMetricsServer (app: FastifyInstance, listen: { host: string, port: number }): Promise<{ close: () => Promise<void>, port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return }
    app.metrics.metrics().then(text => { res.writeHead(200, { 'content-type': app.metrics.contentType }).end(text) }, (err: Error) => {
      app.log.error({ err }, 'metrics collection failed')
      res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n')
    })
  })
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(listen.port, listen.host, resolve) })
  const port = (server.address() as { port: number }).port
  app.log.info({ metrics: `http://${listen.host}:${port}/metrics` }, `metrics listening at http://${listen.host}:${port}/metrics`)
  return { port, close: async () => { server.closeAllConnections(); await new Promise<void>(resolve => server.close(() => { resolve() })) } }
}
