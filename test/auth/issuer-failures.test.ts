/**
 * How an issuer breaks, and what a publisher is told: an outage (500, a
 * redirect, an HTML page, JSON that is no key set) is a 503 with
 * Retry-After, never a 401, never a followed redirect, and never counts as
 * a refresh; a misconfiguration says so; a key the crypto library refuses
 * is the token's problem (401), logged as a warning. Failing issuers are
 * asked with backoff, not once per request. Malformed credentials are
 * 400s, challenge headers stay valid whatever a claim holds, and whoami
 * does not spend a single-use token.
 */
import t, { type Test } from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request, type RawResponse } from '../helpers/http.js'
import { LocalIssuer } from '../helpers/issuer.js'
import { authConfig } from '../helpers/auth-config.js'

const AUD = 'https://depot.test'
const REST = '/api/v1/publishers/test/rebuild'

/** A depot trusting a fresh issuer (and a GitHub-shaped one), with its log lines kept. */
async function setup (t: Test, staleness = 3600): Promise<{ corp: LocalIssuer, github: LocalIssuer, port: number, logs: Array<Record<string, unknown>>, good: (extra?: Record<string, unknown>) => Promise<string> }> {
  const corp = await LocalIssuer.start()
  const github = await LocalIssuer.start()
  await corp.addKey('k1')
  await github.addKey('gh1')
  const logs: Array<Record<string, unknown>> = []
  const depot = await startDepot({ extraConfig: authConfig(corp.url, github.url).replace('jwks_max_staleness = 3600', `jwks_max_staleness = ${staleness}`), log: { write: line => { logs.push(JSON.parse(line) as Record<string, unknown>) } } })
  t.teardown(async () => { await depot.close(); await corp.close(); await github.close() })
  const good = (extra: Record<string, unknown> = {}): Promise<string> => corp.sign({ aud: AUD, scope: 'depot:rebuild', depot_publishers: ['test'], client_id: 'ci', ...extra })
  return { corp, github, port: depot.port, logs, good }
}

const post = (port: number, token: string, headers: Record<string, string> = {}): Promise<RawResponse> =>
  request(port, 'POST', REST, { Authorization: `Bearer ${token}`, ...headers })
const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))
const warnings = (logs: Array<Record<string, unknown>>): string => JSON.stringify(logs.filter(l => l.level === 40))

t.test('a broken key set is an outage: 503 with Retry-After, never a 401', async t => {
  const target = await LocalIssuer.start()
  await target.addKey('k1')
  t.teardown(async () => { await target.close() })
  for (const mode of ['status-500', 'redirect', 'html', 'not-a-key-set'] as const) {
    const { corp, port, good, logs } = await setup(t)
    corp.jwksMode = mode
    corp.redirectTo = `${target.url}/jwks`
    const res = await post(port, await good())
    t.equal(res.status, 503, `${mode}: 503`)
    t.ok(Number(res.headers['retry-after']) > 0, `${mode}: Retry-After`)
    t.match(JSON.parse(res.body.toString()).detail, /cannot be obtained right now \(the key set/, `${mode}: the reason`)
    t.match(warnings(logs), /"failure":"outage"/, `${mode}: a warning that names an outage`)
  }
  t.equal(target.jwksFetches, 0, 'the redirect was not followed')
})

t.test('a key set that stops parsing does not keep stale keys alive', async t => {
  const { corp, port, good } = await setup(t, 1)
  t.equal((await post(port, await good())).status, 202, 'fresh keys')
  corp.jwksMode = 'html'
  await sleep(1500)
  t.equal((await post(port, await good())).status, 503, 'past the staleness, an HTML "key set" did not renew the keys')
  corp.jwksMode = 'ok'
  await sleep(1100)
  t.equal((await post(port, await good())).status, 202, 'after the backoff, a good key set restores them')
})

t.test('a failing issuer is asked with backoff: many requests, few fetches', async t => {
  const { corp, port, good } = await setup(t)
  corp.jwksMode = 'status-500'
  const tokens = await Promise.all(Array.from({ length: 40 }, async () => await good()))
  const answers: number[] = []
  for (const tok of tokens) answers.push((await post(port, tok)).status)
  t.ok(answers.every(s => s === 503), 'all 503')
  t.ok(corp.jwksFetches <= 2, `40 requests, ${corp.jwksFetches} key-set fetches`)
})

t.test('discovery naming another issuer is a misconfiguration, and says so', async t => {
  const { corp, port, good, logs } = await setup(t)
  corp.discoveryIssuer = 'https://impostor.example'
  const res = await post(port, await good())
  t.equal(res.status, 503)
  const problem = JSON.parse(res.body.toString()) as { detail: string, code: string }
  t.equal(problem.code, 'ERR_AUTH_MISCONFIGURED')
  t.match(problem.detail, /configuration does not match the issuer.*impostor/)
  t.match(warnings(logs), /"failure":"misconfiguration"/)
})

t.test('a key the crypto library refuses: 401 invalid_token and a warning', async t => {
  const { corp, port, logs } = await setup(t)
  const token = await corp.signWithWeakKey('weak-1024', { aud: AUD, scope: 'depot:rebuild', depot_publishers: ['test'], client_id: 'ci' })
  const res = await post(port, token)
  t.equal(res.status, 401, 'not a 503 the client retries forever')
  t.match(String(res.headers['www-authenticate']), /error="invalid_token", error_description="the issuer's key weak-1024 cannot be used \(RS256 requires key modulusLength to be 2048 bits or larger\)"/)
  t.match(warnings(logs), /issuer key refused/)
  t.notMatch(JSON.stringify(logs), token.split('.')[2]!, 'never the token in the log')
})

t.test('malformed credentials and hostile claim text', async t => {
  const { github, port, good } = await setup(t)
  const tab = await post(port, '', { Authorization: `Bearer\t${await good()}` })
  t.equal(tab.status, 400, 'Bearer<TAB>token is malformed')
  t.match(String(tab.headers['www-authenticate']), /error="invalid_request"/)
  const gh = await github.sign({ aud: 'depot.test', repository_id: '2002', repository_owner_id: '1001', workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1', event_name: 'push', ref: 'refs/tags/v1', environment: 'prod\u{1F680}\u0000"\\\u2028' }, { typ: 'JWT' })
  const res = await post(port, gh)
  t.equal(res.status, 403)
  t.match(String(res.headers['www-authenticate']), /^Bearer realm="depot", error="insufficient_scope", error_description="[\x20-\x7e]*claim environment \(token: 'prod\?+'/, 'the challenge is sent, with the claim text made header-safe')
})

t.test('whoami does not spend a single-use token', async t => {
  const { github, port } = await setup(t)
  const once = await github.sign({ aud: 'depot.test', repository: 'Example/pkgs', repository_id: '2002', repository_owner_id: '1001', event_name: 'push', workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', ref: 'refs/tags/v1.0', environment: 'release', job_workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', runner_environment: 'github-hosted' }, { typ: 'JWT' })
  const who = await request(port, 'GET', '/api/v1/whoami', { Authorization: `Bearer ${once}` })
  t.equal(who.status, 200)
  t.equal((await post(port, once)).status, 202, 'still usable after whoami')
  t.equal((await post(port, once)).status, 401, 'and spent by its first use')
})

t.test('a write waiting on a hanging issuer holds up no read', async t => {
  const { corp, port, good } = await setup(t)
  corp.delayMs = 60_000
  const order: string[] = []
  const write = post(port, await good()).then(r => { order.push('write'); return r })
  await sleep(200)
  const read = await request(port, 'GET', '/test/catalog/1/catalog.attrs')
  order.push('read')
  t.equal(read.status, 200)
  // auth-proxy sends its token with every request, reads included: a read never waits for the token to be checked.
  const withToken = await request(port, 'GET', '/test/catalog/1/catalog.attrs', { Authorization: `Bearer ${await good()}` })
  order.push('read with a token')
  t.equal(withToken.status, 200)
  t.equal((await write).status, 503, 'the write fails closed when the fetch gives up')
  t.same(order, ['read', 'read with a token', 'write'], 'the reads were answered while the write still waited on the issuer')
})

t.test('max_token_bytes refuses a validly signed token for its size alone', async t => {
  const { port, good } = await setup(t)
  const big = await good({ padding: 'x'.repeat(9000) })
  t.ok(big.length > 8192, `a ${big.length}-byte token, signed by the trusted issuer`)
  const res = await post(port, big)
  t.equal(res.status, 401)
  t.match(String(res.headers['www-authenticate']), /error="invalid_token", error_description="token too large"/)
  t.equal((await post(port, await good({ padding: 'x'.repeat(4000) }))).status, 202, 'the same token under the limit is accepted')
})
