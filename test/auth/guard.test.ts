/**
 * The adversarial cases of the OIDC resource-server notes (§6) against the
 * protected routes, over a real socket, with tokens from a local issuer.
 */
import http from 'node:http'
import t, { type Test } from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request, type RawResponse } from '../helpers/http.js'
import { LocalIssuer } from '../helpers/issuer.js'
import { authConfig } from '../helpers/auth-config.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const corp = await LocalIssuer.start()
const github = await LocalIssuer.start()
await corp.addKey('k1', 'RS256')
await corp.addKey('k-es', 'ES256')
await github.addKey('gh1', 'RS256')
const depot = await startDepot({ extraConfig: authConfig(corp.url, github.url) })
t.teardown(async () => { await depot.close(); await corp.close(); await github.close() })

const AUD = 'https://depot.test'
const good = (extra: Record<string, unknown> = {}, opts: Parameters<LocalIssuer['sign']>[1] = {}): Promise<string> =>
  corp.sign({ aud: AUD, scope: 'depot:rebuild depot:publish', depot_publishers: ['test'], client_id: 'ci', ...extra }, opts)

const REST = '/api/v1/publishers/test/rebuild'
const PKG5 = '/test/admin/0?cmd=rebuild-indexes'
const call = (token: string | null, target = REST, headers: Record<string, string> = {}, method?: string): Promise<RawResponse> =>
  request(depot.port, method ?? (target.startsWith('/api/') ? 'POST' : 'GET'), target, token === null ? headers : { Authorization: `Bearer ${token}`, ...headers })

function challenge (tt: Test, res: RawResponse, status: number, error?: string): void {
  tt.equal(res.status, status, `status ${status}`)
  const h = String(res.headers['www-authenticate'] ?? '')
  tt.match(h, /^Bearer realm="depot"/)
  if (error) tt.match(h, new RegExp(`error="${error}"`)); else tt.notMatch(h, /error=/)
}

t.test('allowed: a valid token for the publisher and action', async t => {
  const res = await call(await good())
  t.equal(res.status, 202)
  const job = JSON.parse(res.body.toString()) as { id: string, publisher: string }
  t.equal(job.publisher, 'test')
  await depot.app.depot.jobs.idle()
  const status = JSON.parse((await request(depot.port, 'GET', `/api/v1/jobs/${job.id}`)).body.toString()) as { state: string }
  t.equal(status.state, 'done')
  const pkg5 = await call(await good(), PKG5)
  t.equal(pkg5.status, 200, 'admin/0 answers at once')
  t.equal(pkg5.headers.pragma, 'no-cache')
})

t.test('transport and header handling', async t => {
  challenge(t, await call(null), 401)
  challenge(t, await call(null, REST, { Authorization: 'Basic dXNlcjpwYXNz' }), 401)
  challenge(t, await call(null, REST, { Authorization: 'Bearer' }), 400, 'invalid_request')
  challenge(t, await call(null, REST, { Authorization: 'Bearer a b' }), 400, 'invalid_request')
  const token = await good()
  const twice = await new Promise<RawResponse>((resolve, reject) => {
    {
      const req = http.request({ host: '127.0.0.1', port: depot.port, method: 'POST', path: REST, headers: ['Host', '127.0.0.1', 'Authorization', `Bearer ${token}`, 'Authorization', 'Bearer junk'] as unknown as http.OutgoingHttpHeaders }, res => {
        const chunks: Buffer[] = []
        res.on('data', c => chunks.push(c as Buffer)).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }))
      })
      req.on('error', reject).end()
    }
  })
  challenge(t, twice, 400, 'invalid_request')
  challenge(t, await call(null, `${REST}?access_token=${token}`), 400, 'invalid_request')
  challenge(t, await call(token, `${PKG5}&access_token=${token}`), 400, 'invalid_request')
  t.equal((await call(null, REST, { authorization: `bearer   ${token}` })).status, 202, 'the scheme is case-insensitive')
  challenge(t, await call('a'.repeat(9000)), 401, 'invalid_token')
  t.equal((await call(null, REST, { 'X-Padding': 'x'.repeat(17 * 1024) })).status, 431, 'oversized headers never reach auth')
})

t.test('an unauthorized upload is refused before its body is read', async t => {
  const big = Buffer.alloc(2 * 1024 * 1024, 0x61)
  const res = await request(depot.port, 'POST', REST, { 'Content-Type': 'application/octet-stream' }, big)
  challenge(t, res, 401)
})

t.test('token structure and signature', async t => {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const valid = await good()
  const [h, p] = valid.split('.')
  for (const bad of ['not-a-jwt', 'a.b', 'a.b.c.d.e', `${b64('x')}.${p}.sig`, `${h}.${b64([1, 2])}.sig`,
    `${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${p}.`, `${h}.${b64({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), depot_publishers: ['other'] })}.${valid.split('.')[2]}`,
    valid.slice(0, -4) + (valid.endsWith('AAAA') ? 'BBBB' : 'AAAA')]) {
    challenge(t, await call(bad), 401, 'invalid_token')
  }
  const { SignJWT } = await import('jose')
  const hs = await new SignJWT({ iss: corp.url, aud: AUD, sub: 's', jti: 'j', scope: 'depot:rebuild', depot_publishers: ['test'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(corp.publicPem('k1')))
  challenge(t, await call(hs), 401, 'invalid_token')
  await corp.addKey('k384', 'RS384')
  challenge(t, await call(await good({}, { kid: 'k384' })), 401, 'invalid_token')
})

t.test('kid handling and JWKS refetch limits', async t => {
  challenge(t, await call(await good({}, { kid: null })), 401, 'invalid_token')
  await corp.addKey('hidden', 'RS256', false)
  const before = corp.jwksFetches
  const tokens = await Promise.all(Array.from({ length: 20 }, () => good({}, { kid: 'hidden' })))
  const results = await Promise.all(tokens.map(tok => call(tok)))
  t.ok(results.every(r => r.status === 401), 'unknown kid: 401')
  t.ok(corp.jwksFetches - before <= 1, `at most one JWKS fetch (${corp.jwksFetches - before})`)
})

t.test('claims and time', async t => {
  const now = Math.floor(Date.now() / 1000)
  challenge(t, await call(await good({ exp: now - 120 })), 401, 'invalid_token')
  t.equal((await call(await good({ exp: now - 10 }))).status, 202, 'expiry within the clock tolerance')
  challenge(t, await call(await good({ exp: undefined })), 401, 'invalid_token')
  challenge(t, await call(await good({ exp: String(now + 300) })), 401, 'invalid_token')
  challenge(t, await call(await good({ iat: now, exp: now + 30 * 86400 })), 401, 'invalid_token')
  challenge(t, await call(await good({ nbf: now + 600 })), 401, 'invalid_token')
  t.equal((await call(await good({ nbf: now + 10 }))).status, 202)
  challenge(t, await call(await good({ iat: now + 3600, exp: now + 3900 })), 401, 'invalid_token')
  for (const claim of ['jti', 'sub']) challenge(t, await call(await good({ [claim]: undefined })), 401, 'invalid_token')
  challenge(t, await call(await good({ aud: 'https://other' })), 401, 'invalid_token')
  challenge(t, await call(await good({ aud: undefined })), 401, 'invalid_token')
  t.equal((await call(await good({ aud: ['https://other', AUD] }))).status, 202, 'an extra audience is fine for an at+jwt issuer')
  challenge(t, await call(await good({}, { typ: 'JWT' })), 401, 'invalid_token')
  t.equal((await call(await good({}, { typ: 'application/at+jwt' }))).status, 202)
  t.equal((await call(await good({}, { kid: 'k-es' }))).status, 202, 'ES256 key')
  t.equal((await call(await good({ iat: now + 20, exp: now + 320 }))).status, 202, 'a depot clock 20 s behind the issuer')
  const { SignJWT } = await import('jose')
  const mislabelled = await new SignJWT({ iss: corp.url, aud: AUD, sub: 's', jti: 'jm', client_id: 'c', scope: 'depot:rebuild', depot_publishers: ['test'] })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }).setIssuedAt().setExpirationTime('5m').sign(corp.keys.get('k-es')!.privateKey)
  challenge(t, await call(mislabelled), 401, 'invalid_token')
})

t.test('an unknown issuer costs no request', async t => {
  const before = corp.jwksFetches + corp.discoveryFetches
  challenge(t, await call(await good({ iss: 'https://evil.test' })), 401, 'invalid_token')
  challenge(t, await call(await good({ iss: corp.url + '/' })), 401, 'invalid_token')
  challenge(t, await call(await good({ iss: [corp.url] })), 401, 'invalid_token')
  t.equal(corp.jwksFetches + corp.discoveryFetches, before)
  const forged = await corp.sign({ aud: AUD, scope: 'depot:rebuild', depot_publishers: ['test'] }, { issuer: github.url })
  challenge(t, await call(forged), 401, 'invalid_token')
})

t.test('authorization', async t => {
  const res = await call(await good({ depot_publishers: ['example.org'] }))
  challenge(t, res, 403, 'insufficient_scope')
  t.match(String(res.headers['www-authenticate']), /publisher test is not granted/)
  const scopeless = await call(await good({ scope: 'depot:publish' }))
  challenge(t, scopeless, 403, 'insufficient_scope')
  t.match(String(scopeless.headers['www-authenticate']), /scope="depot:rebuild"/)
  challenge(t, await call(await good({ scope: undefined })), 403, 'insufficient_scope')
  challenge(t, await call(await good({ depot_publishers: '*' })), 403, 'insufficient_scope')
  // A string counts as a list of one (scopes: of its words); other types and non-string items grant nothing; never a 500.
  const rolesOnly = { scope: undefined, depot_publishers: undefined }
  for (const [odd, status] of [
    [{ realm_access: 'x' }, 202], [{ realm_access: null }, 202],
    [{ ...rolesOnly, realm_access: { roles: 'depot-admin' } }, 202], [{ ...rolesOnly, realm_access: { roles: [7, 'depot-admin'] } }, 202],
    [{ ...rolesOnly, realm_access: { roles: { 'depot-admin': true } } }, 403],
    [{ depot_publishers: { test: true } }, 403], [{ depot_publishers: 7 }, 403],
    [{ scope: ['depot:rebuild', 5] }, 202], [{ scope: 7 }, 403]
  ] as const) {
    t.equal((await call(await good(odd))).status, status, `${JSON.stringify(odd)} -> ${status}`)
  }
  t.equal((await call(await good({ scope: undefined, depot_publishers: undefined, realm_access: { roles: ['depot-admin'] } }))).status, 202, 'the admin role')
  challenge(t, await call(await good(), '/api/v1/rebuild'), 403, 'insufficient_scope')
  t.equal((await call(await good({ realm_access: { roles: ['depot-admin'] } }), '/api/v1/rebuild')).status, 202, 'a global rebuild needs the admin role')
  t.equal((await call(await good(), '/example.org/admin/0?cmd=rebuild')).status, 403, 'admin/0 is scoped to the prefixed publisher')
})

t.test('GitHub-shaped ID tokens and bindings', async t => {
  const gh = (extra: Record<string, unknown> = {}): Promise<string> => github.sign({
    aud: 'depot.test', repository: 'Example/pkgs', repository_id: '2002', repository_owner_id: '1001', event_name: 'push',
    workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', ref: 'refs/tags/v1.0', environment: 'release',
    job_workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', runner_environment: 'github-hosted', ...extra
  }, { typ: 'JWT' })
  t.equal((await call(await gh())).status, 202)
  t.equal((await call(await gh({ environment: 'Release' }))).status, 202, 'environment compares case-insensitively')
  t.equal((await call(await gh({ sub: 'repo:Example@1001/pkgs@2002:environment:release' }))).status, 202, 'sub is not bound')
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ event_name: 'pull_request_target' }, 'event_name'],
    [{ repository_owner_id: '9999' }, 'repository_owner_id'],
    [{ workflow_ref: 'Example/pkgs/.github/workflows/ci.yml@refs/tags/v1.0' }, 'workflow'],
    [{ environment: 'staging' }, 'environment'],
    [{ environment: undefined }, 'environment'],
    [{ ref: 'refs/heads/feature' }, 'ref'],
    [{ job_workflow_ref: 'Other/shared/.github/workflows/publish.yml@refs/heads/main' }, 'job_workflow_ref'],
    [{ runner_environment: 'self-hosted' }, 'runner_environment']
  ]
  for (const [claims, which] of cases) {
    const r = await call(await gh(claims))
    challenge(t, r, 403, 'insufficient_scope')
    t.match(String(r.headers['www-authenticate']), new RegExp(`claim ${which}`), `names the failing claim ${which}`)
  }
  const once = await gh()
  challenge(t, await call(once, '/example.org/admin/0?cmd=rebuild'), 403, 'insufficient_scope')
  t.equal((await call(once)).status, 202, 'a refused request does not spend the token')
  const again = await call(once)
  challenge(t, again, 401, 'invalid_token')
  t.match(String(again.headers['www-authenticate']), /token already used/)
  challenge(t, await call(await github.sign({ aud: 'https://github.com/Example', repository_id: '2002', repository_owner_id: '1001', workflow_ref: 'x' }, { typ: 'JWT' })), 401, 'invalid_token')
  challenge(t, await call(await github.sign({ aud: ['depot.test', 'other'], repository_id: '2002', repository_owner_id: '1001', workflow_ref: 'x' }, { typ: 'JWT' })), 401, 'invalid_token')
})

t.test('JWKS outages fail closed with 503; warm keys keep working', async t => {
  // Each case on a depot of its own, so that when its keys were last fetched is known.
  const withCooldown = async (seconds: number): Promise<Awaited<ReturnType<typeof startDepot>>> => {
    const d = await startDepot({ extraConfig: authConfig(corp.url, github.url).replace('jwks_max_staleness = 3600', `jwks_max_staleness = 3600\njwks_cooldown = ${seconds}`) })
    t.teardown(() => d.close())
    return d
  }
  const eager = await withCooldown(0)
  const patient = await withCooldown(30)
  const rebuild = (d: typeof eager, token: string): Promise<RawResponse> => request(d.port, 'POST', REST, { Authorization: `Bearer ${token}` })
  const warm = await good()
  t.equal((await rebuild(eager, warm)).status, 202, 'keys fetched')
  t.equal((await rebuild(patient, warm)).status, 202, 'keys fetched')
  await corp.addKey('new-during-outage', 'RS256', false)
  const unknownKid = await good({}, { kid: 'new-during-outage' })
  corp.down = true
  try {
    t.equal((await rebuild(eager, warm)).status, 202, 'known kid, warm cache: still served')
    const refetched = await rebuild(eager, unknownKid)
    t.equal(refetched.status, 503, 'unknown kid while down: the refetch fails, so nothing is accepted')
    t.match(JSON.parse(refetched.body.toString()), { code: 'ERR_AUTH_UNAVAILABLE' })
    t.ok(Number(refetched.headers['retry-after']) >= 1, 'Retry-After')
    const cooling = await rebuild(patient, unknownKid)
    challenge(t, cooling, 401, 'invalid_token')
    t.match(String(cooling.headers['www-authenticate']), /no key of the issuer matches the token/, 'within the cooldown an unknown kid is not refetched: an unknown key')
    t.equal((await request(eager.port, 'GET', '/test/catalog/1/catalog.attrs')).status, 200, 'reads are unaffected')
  } finally {
    corp.down = false
  }
})

t.test('an issuer slower than the fetch timeout fails closed instead of hanging', async t => {
  const slow = await LocalIssuer.start()
  await slow.addKey('s1')
  slow.delayMs = 7000
  const other = await startDepot({ extraConfig: authConfig(slow.url, github.url) })
  t.teardown(async () => { await other.close(); await slow.close() })
  const res = await request(other.port, 'POST', REST, { Authorization: `Bearer ${await slow.sign({ aud: AUD, scope: 'depot:rebuild', depot_publishers: ['test'], client_id: 'c' })}` })
  t.equal(res.status, 503)
  t.match(res.body.toString(), /no answer within 5000 ms/, 'the 503 says the issuer did not answer in time')
  t.equal(slow.discoveryFetches, 0, 'answered before the issuer: the depot did not wait for it')
})

t.test('response hygiene and metadata', async t => {
  const token = await good({ depot_publishers: ['nope'] })
  const res = await call(token)
  t.notMatch(res.body.toString(), token.slice(0, 20))
  t.notMatch(String(res.headers['www-authenticate']), token.slice(0, 20))
  t.match(res.headers['content-type'], /application\/problem\+json/)
  const meta = await request(depot.port, 'GET', '/.well-known/oauth-protected-resource')
  t.equal(meta.status, 200)
  t.same(JSON.parse(meta.body.toString()), { resource: 'https://depot.test', authorization_servers: [corp.url, github.url], bearer_methods_supported: ['header'], scopes_supported: ['depot:publish', 'depot:rebuild'], resource_name: 'ips-depot' })
  const withRemove = await startPublishingDepot(t, { publishers: [['test', true]] })
  const scopes = JSON.parse((await request(withRemove.depot.port, 'GET', '/.well-known/oauth-protected-resource')).body.toString()) as { scopes_supported: string[] }
  t.same(scopes.scopes_supported, ['depot:publish', 'depot:rebuild', 'depot:remove'], 'every action\'s scope, remove too')
  const audit = depot.repo.db.prepare("SELECT COUNT(*) FROM audit_log WHERE result LIKE 'refused 403'").pluck().get() as number
  t.ok(audit > 0, 'refusals are audited')
  t.throws(() => depot.repo.db.prepare('DELETE FROM audit_log').run(), /append-only/)
})

t.test('versions/0 offers admin and index once an issuer is configured', async t => {
  const body = (await request(depot.port, 'GET', '/versions/0/')).body.toString()
  t.match(body, /\nadmin 0\n/)
  t.match(body, /\nindex 0\n/)
  t.equal((await call(await good(), '/test/admin/0?cmd=bogus')).status, 400)
  t.equal((await call(await good(), '/test/index/0/bogus')).status, 404)
})
