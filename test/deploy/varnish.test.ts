/**
 * The caching tier, on loopback: Debian's varnish with
 * deploy/varnish/ips-depot.vcl in front of `ips-depot serve`. Manifests,
 * payloads and parts are answered from the cache; catalog.attrs and update
 * logs are revalidated with their ETag on every use; the codings are kept
 * apart; writes and the API pass through. With the depot killed, a client
 * refreshing through Varnish still gets a catalog that validates, a forced
 * refresh (no-cache, as pkgrecv sends) too, before and after the probe
 * notices; with it
 * back, a publish is visible at the next request. npm test installs
 * varnish where it is missing.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { prepareDepot, runCli, spawnServe } from '../helpers/cli.js'
import { checkSignature, fetchCatalog, partSignature, refreshIncrementally } from '../helpers/client-catalog.js'
import { ROOT, tempDir } from '../helpers/depot.js'
import { request, until } from '../helpers/http.js'
import { freePort } from '../helpers/nginx.js'
import { startVarnish, VARNISHD } from '../helpers/varnish.js'

const MANIFEST = '/test/manifest/0/example%2Fhello@1.0%2C5.11-0.1%3A20261123T001653Z'
const PAYLOAD = '/test/file/0/0cdf86295978a9260d89b51ef6e86748363dd3e2'
const ATTRS = '/test/catalog/1/catalog.attrs'
const BASE = '/test/catalog/1/catalog.base.C'

t.test('Varnish in front: cached, revalidated, kept apart, passed through; the last catalog while the depot is down', async t => {
  if (VARNISHD === undefined) { t.fail('varnish is not installed (npm test installs it)'); return }
  const metricsPort = await freePort()
  const d = await prepareDepot(t, { publishers: [], extraConfig: `[metrics]\nlisten = "127.0.0.1:${metricsPort}"\n` })
  t.equal((await runCli(['import', path.join(ROOT, 'fixtures/repo'), '--config', d.config])).code, 0)
  const depotPort = await freePort()
  const serve = async (): ReturnType<typeof spawnServe> => await spawnServe(t, ['--config', d.config, '--listen', `127.0.0.1:${depotPort}`])
  let served = await serve()
  const counted = async (series: string): Promise<number> => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
    return Number(new RegExp(`^${series.replace(/[{}"/.]/g, '\\$&')} (\\d+)$`, 'm').exec(text)?.[1] ?? 0)
  }

  const port = await freePort()
  const prefix = tempDir('ips-depot-varnish-')
  t.teardown(() => fs.rmSync(prefix, { recursive: true, force: true }))
  const vcl = fs.readFileSync(path.join(ROOT, 'deploy/varnish/ips-depot.vcl'), 'utf8').replaceAll('@DEPOT_HOST@', '127.0.0.1').replaceAll('@DEPOT_PORT@', String(depotPort))
  const varnish = await startVarnish(prefix, vcl, port)
  t.teardown(async () => { await varnish.stop() })
  t.equal(varnish.check.status, 0, `the recipe compiles: ${varnish.check.stderr}`)
  if (varnish.check.status !== 0) return
  const healthy = (): boolean => /\bhealthy\b/.test(varnish.admin('backend.list').split('\n').find(l => l.includes('ips_depot')) ?? '')
  await until('Varnish sees the depot healthy', healthy)

  // Immutable: the second answer comes from the cache, byte for byte what the depot sends.
  for (const target of [MANIFEST, PAYLOAD, BASE]) {
    const direct = await request(depotPort, 'GET', target)
    const first = await request(port, 'GET', target)
    const second = await request(port, 'GET', target)
    t.equal(second.headers['x-cache'], 'hit', `${target}: answered from the cache`)
    t.ok(first.body.equals(direct.body) && second.body.equals(direct.body), `${target}: the depot's bytes`)
    t.equal(second.headers['cache-control'], direct.headers['cache-control'])
  }
  t.equal(await counted('ips_depot_requests_total{op="manifest/0",status="200"}'), 2, 'the manifest reached the depot once through Varnish (and once directly)')

  // catalog.attrs: every request is a conditional one to the depot, answered 304 there and 200 here.
  const before304 = await counted('ips_depot_requests_total{op="catalog/1",status="304"}')
  for (let i = 0; i < 3; i++) {
    const res = await request(port, 'GET', ATTRS)
    t.equal(res.status, 200)
    checkSignature(res.body)
  }
  t.equal(await counted('ips_depot_requests_total{op="catalog/1",status="304"}') - before304, 2, 'the second and third were revalidated with the ETag: 304 at the depot')

  // Codings kept apart: each variant is the depot's own for that coding.
  for (const coding of ['zstd', 'gzip', 'identity', 'zstd']) {
    const direct = await request(depotPort, 'GET', BASE, { 'Accept-Encoding': coding })
    const cached = await request(port, 'GET', BASE, { 'Accept-Encoding': coding })
    t.equal(cached.headers['content-encoding'], direct.headers['content-encoding'], `${coding}: its own variant`)
    t.ok(cached.body.equals(direct.body), `${coding}: the same bytes`)
  }

  // Writes and the API pass straight through, never cached.
  const token = await d.issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['test'], exp: Math.floor(Date.now() / 1000) + 3600 })
  for (let i = 0; i < 2; i++) {
    const who = await request(port, 'GET', '/api/v1/whoami', { Authorization: `Bearer ${token}` })
    t.equal(who.status, 200)
    t.not(who.headers['x-cache'], 'hit', 'whoami is not cached')
  }
  const opened = await request(port, 'GET', '/test/open/0/pkg:%2F%2Ftest%2Fvia-varnish%401.0', { Authorization: `Bearer ${token}`, 'Client-Release': '5.11' })
  t.equal(opened.status, 200, 'open/0 reaches the depot')
  const unauthenticated = await request(port, 'GET', '/test/open/0/pkg:%2F%2Ftest%2Fvia-varnish%401.0', { 'Client-Release': '5.11' })
  t.equal(unauthenticated.status, 401, 'and is not answered from a cached copy')

  // The depot goes away: a client refreshing through Varnish gets the last catalog, and it validates.
  const warm = await fetchCatalog(port, 'test')
  const forced = { 'Cache-Control': 'no-cache', Pragma: 'no-cache' }
  const meta = ['/versions/0/', '/test/publisher/0/']
  const warmMeta = await Promise.all(meta.map(async m => (await request(port, 'GET', m, forced)).body))
  served.child.kill('SIGKILL')
  await served.exited
  // Before the probe notices and after: pkgrecv and "pkg refresh --full" send no-cache, and must get the cached copies.
  for (const when of ['before the probe notices', 'once the probe has noticed']) {
    if (when.startsWith('once')) await until('Varnish sees the depot sick', () => !healthy())
    const refreshed = await fetchCatalog(port, 'test', forced)
    t.same(refreshed.attrs, warm.attrs, `${when}: a forced refresh gets catalog.attrs and every part and log from the cache, and they pass the client's checks`)
    for (const [i, m] of meta.entries()) {
      const res = await request(port, 'GET', m, forced)
      t.equal(res.status, 200, `${when}: ${m} with no-cache`)
      t.ok(res.body.equals(warmMeta[i]!), `${when}: ${m}, the cached bytes`)
    }
  }
  const during = await fetchCatalog(port, 'test')
  t.same(during.attrs, warm.attrs, 'a plain refresh too')
  t.equal((await request(port, 'GET', MANIFEST)).status, 200, 'manifests too')
  t.equal((await request(port, 'GET', '/test/manifest/0/never%2Fcached@1.0%2C5.11-0.1%3A20261123T001653Z', forced)).status, 503, 'what the cache never held is 503')

  // The depot is back: a publish is visible through Varnish at the next request.
  served = await serve()
  await until('Varnish sees the depot healthy again', healthy)
  const form = new FormData()
  form.append('manifest', 'set name=pkg.fmri value=example/after-outage@1.0\nset name=pkg.summary value="published after the outage"\n')
  const published = await fetch(`http://127.0.0.1:${port}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  t.equal(published.status, 201, 'published through Varnish')
  const attrs = checkSignature((await request(port, 'GET', ATTRS)).body).data
  t.equal(attrs['package-version-count'], (warm.attrs['package-version-count'] as number) + 1, 'the next catalog.attrs lists it')
  // An incremental client fetches catalog.attrs and the newer update logs only: both revalidated, so it replays onto the new parts.
  const logs = new Map<string, ReturnType<typeof checkSignature>['data']>()
  for (const name of Object.keys(attrs.updates as object)) logs.set(name, checkSignature((await request(port, 'GET', `/test/catalog/1/${name}`)).body).data)
  const { parts } = refreshIncrementally(warm, { attrs, files: logs }, 'test')
  for (const [name, part] of parts) t.equal(partSignature('test', part), (attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `${name}: the replay matches the new catalog.attrs`)
  // A client that fetches the base part whole may get the cached one; its retry with max-age=0 gets the new one.
  const want = (attrs.parts as Record<string, { 'signature-sha-1': string }>)['catalog.base.C']!['signature-sha-1']
  const retried = checkSignature((await request(port, 'GET', BASE, { 'Cache-Control': 'max-age=0' })).body)
  t.equal(retried.signature, want, 'the retry the pkg client makes on a mismatch gets the part catalog.attrs lists')
})
