/**
 * The stock tools publish through `ips-depot auth-proxy`: the recorded
 * pkgsend trace, sent without any token, succeeds through the proxy, which
 * adds one read from a file (and re-reads it when it nears expiry).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startAuthProxy } from '../../src/auth-proxy.js'
import { TokenProvider } from '../../src/login/token-source.js'
import { CLI } from '../helpers/cli.js'
import { tempDir } from '../helpers/depot.js'
import { exchanges, replayHeaders } from '../helpers/golden.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { request } from '../helpers/http.js'
import { replayTrace } from '../helpers/replay.js'

const { depot, issuer } = await startPublishingDepot(t, { publishers: [['test', true], ['example.org', false]] })
const dir = tempDir()
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
const tokenFile = path.join(dir, 'token')
const sign = (ttl: number): Promise<string> => issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['test', 'example.org'], exp: Math.floor(Date.now() / 1000) + ttl })

t.test('pkgsend through the proxy, without a token of its own', async t => {
  fs.writeFileSync(tokenFile, await sign(300))
  const proxy = await startAuthProxy(new URL(depot.url), new TokenProvider({ file: tokenFile }), { host: '127.0.0.1', port: 0 })
  t.teardown(() => { proxy.closeAllConnections(); proxy.close() })
  const port = (proxy.address() as { port: number }).port
  const ids = new Map<string, string>()
  for (const x of exchanges('publish-pkgsend-upload.jsonl')) {
    let p = x.request.path
    for (const [g, m] of ids) p = p.split(g).join(m)
    const body = x.request.body_base64 !== undefined ? Buffer.from(x.request.body_base64, 'base64') : x.request.body_text
    const res = await request(port, x.request.method, p, replayHeaders(x), body)
    t.equal(res.status, x.response.status, `${x.request.method} ${x.request.path.slice(0, 50)}`)
    if (x.response.headers['Transaction-Id'] && typeof res.headers['transaction-id'] === 'string') ids.set(x.response.headers['Transaction-Id'], res.headers['transaction-id'])
  }
  t.equal((await request(depot.port, 'GET', '/test/open/0/pkg%3A%2F%2Ftest%2Fx%401.0', { 'Client-Release': '5.11' })).status, 401, 'the depot itself still demands a token')
})

t.test('pkgrecv -d through the proxy with a token that may only publish', async t => {
  const { depot, issuer } = await startPublishingDepot(t, { publishers: [['test', true], ['example.org', false]] })
  fs.writeFileSync(tokenFile, await issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['test', 'example.org'] }))
  const proxy = await startAuthProxy(new URL(depot.url), new TokenProvider({ file: tokenFile }), { host: '127.0.0.1', port: 0 })
  t.teardown(() => { proxy.closeAllConnections(); proxy.close() })
  const trace = exchanges('publish-pkgrecv.jsonl')
  t.ok(trace.some(x => x.request.path.includes('admin/0?cmd=refresh-packages')), 'the trace ends with refresh-packages')
  for (const { x, res } of await replayTrace((proxy.address() as { port: number }).port, trace, null)) {
    t.equal(res.status, x.response.status, `${x.request.method} ${x.request.path.slice(0, 60)}`)
  }
  await depot.app.depot.jobs.idle()
  t.match((await request(depot.port, 'GET', '/test/catalog/0/')).body.toString(), /V pkg:\/example\/lib@/, 'refresh-packages added what pkgrecv closed outside the catalog')
  const rebuild = await request(depot.port, 'GET', '/test/admin/0?cmd=rebuild', { Authorization: `Bearer ${fs.readFileSync(tokenFile, 'utf8')}` })
  t.equal(rebuild.status, 403, 'a rebuild still needs the rebuild scope')
})

t.test('a token near its expiry is read again', async t => {
  fs.writeFileSync(tokenFile, await sign(30))
  const tokens = new TokenProvider({ file: tokenFile })
  const first = await tokens.token()
  const fresh = await sign(600)
  fs.writeFileSync(tokenFile, fresh)
  t.not(first, fresh)
  t.equal(await tokens.token(), fresh, 'a token within a minute of expiry is replaced')
  t.equal(await tokens.token(), fresh, 'a fresh one is kept')
})

t.test('the CLI refuses to listen beyond loopback', async t => {
  const child = spawn(process.execPath, [CLI, 'auth-proxy', '--upstream', depot.url, '--listen', '0.0.0.0:0', '--token-env', 'X'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' })
  let err = ''
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const code = await new Promise(resolve => child.on('exit', resolve))
  t.equal(code, 1)
  t.match(err, /loopback only/)
})
