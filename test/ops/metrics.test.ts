/**
 * GET /metrics through `ips-depot serve` with a [metrics] listener: served
 * there and not on the public port, in Prometheus text, counting what the
 * depot did.
 */
import net from 'node:net'
import t from 'tap'
import { prepareDepot, runCli, spawnServe } from '../helpers/cli.js'
import { request } from '../helpers/http.js'

t.test('metrics on their own listener, counting requests, catalogs, cache, issuers and refusals', async t => {
  const { issuer, config, token: sign } = await prepareDepot(t, { extraConfig: '[metrics]\nlisten = "127.0.0.1:0"\n' })
  const depot = await spawnServe(t, ['--config', config])
  const m = /metrics listening at http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(depot.output())
  t.ok(m, 'the log says where the metrics are')
  const metricsPort = Number(m![1])
  t.not(metricsPort, depot.port)
  t.equal((await request(depot.port, 'GET', '/metrics')).status, 404, 'not on the public port')

  const token = await sign()
  const auth = { Authorization: `Bearer ${token}`, 'Client-Release': '5.11' }
  const id = String((await request(depot.port, 'GET', '/open/0/pkg:%2F%2Ftest%2Fmetered%401.0', auth)).headers['transaction-id'])
  t.equal((await request(depot.port, 'GET', `/close/0/${id}`, auth)).status, 200)
  // Compressed representations are cached: the first is a miss, the next two hits.
  for (let i = 0; i < 3; i++) t.equal((await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs', { 'Accept-Encoding': 'gzip' })).status, 200)
  t.equal((await request(depot.port, 'GET', '/test/manifest/0/nosuch@1.0')).status, 404)
  t.equal((await request(depot.port, 'GET', '/open/0/pkg:%2F%2Ftest%2Fx%401.0', { 'Client-Release': '5.11' })).status, 401)

  const res = await request(metricsPort, 'GET', '/metrics')
  t.equal(res.status, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body.toString()
  const value = (series: string): number | undefined => {
    const line = text.split('\n').find(l => l.startsWith(series + ' '))
    return line === undefined ? undefined : Number(line.slice(series.length + 1))
  }
  t.equal(value('ips_depot_requests_total{op="catalog/1",status="200"}'), 3, 'requests by op and status')
  t.equal(value('ips_depot_requests_total{op="manifest/0",status="404"}'), 1)
  t.equal(value('ips_depot_request_duration_seconds_count{op="catalog/1"}'), 3, 'a latency histogram')
  t.ok((value('ips_depot_response_bytes_total{op="catalog/1"}') ?? 0) > 0, 'bytes sent')
  t.equal(value('ips_depot_publishes_total{via="pkg5"}'), 1, 'publishes')
  t.equal(value('ips_depot_catalog_versions{publisher="test"}'), 1, 'catalog versions per publisher')
  t.equal(value('ips_depot_catalog_stems{publisher="test"}'), 1)
  t.equal(value('ips_depot_catalog_unsealed_changes{publisher="test"}'), 0, 'seal lag')
  t.equal(value('ips_depot_search_queue_depth'), 0, 'search queue depth')
  t.equal(value('ips_depot_search_timeouts_total'), 0)
  t.equal(value('ips_depot_search_refusals_total{reason="client_queue"}'), 0, 'search refusals by reason')
  t.equal(value(`ips_depot_issuer_key_fetches_total{issuer="${issuer.url}",result="ok"}`), 1, 'key-set fetches per issuer')
  t.equal(value('ips_depot_auth_refusals_total{code="ERR_AUTH_REQUIRED"}'), 1, 'refusals by reason')
  t.equal(value('ips_depot_cache_hits_total'), 2, 'cache hits')
  t.equal(value('ips_depot_cache_misses_total'), 1, 'and misses')
  t.equal(value('ips_depot_compressions_total'), 1, 'compressions')
  t.ok(value('ips_depot_nodejs_eventloop_lag_seconds') !== undefined, 'event-loop delay')
  t.equal((await request(metricsPort, 'GET', '/')).status, 404, 'the metrics listener serves nothing else')
})

t.test('a metrics listener that cannot bind stops the start, as the main one does', async t => {
  const taken = net.createServer()
  await new Promise<void>(resolve => taken.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { taken.close() })
  const port = (taken.address() as net.AddressInfo).port
  const { config } = await prepareDepot(t, { extraConfig: `[metrics]\nlisten = "127.0.0.1:${port}"\n` })
  const res = await runCli(['serve', '--config', config, '--listen', '127.0.0.1:0'], process.env, 30_000)
  t.equal(res.code, 1, 'the depot exits 1 instead of running on without metrics')
  t.match(res.stderr, `metrics.listen 127.0.0.1:${port}: listen EADDRINUSE`)
})
