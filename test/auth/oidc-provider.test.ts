/**
 * Against a real OpenID Provider: discovery, client_credentials access
 * tokens, key rotation, and an issuer that goes away.
 */
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request } from '../helpers/http.js'
import { privateJwk, startProvider } from '../helpers/oidc-op.js'

const k1 = await privateJwk('k1', 'ES256')
const k2 = await privateJwk('k2', 'RS256')
const clients = [{ id: 'ci-test', publishers: ['test'] }, { id: 'ci-other', publishers: ['example.org'] }]
let op = await startProvider({ keys: [k1], signWith: 'k1', clients })
const port = Number(new URL(op.issuer).port)

const depotConfig = `
[auth]
resource = "https://depot.test"
jwks_max_staleness = 3600
jwks_cooldown = 0
[[auth.issuers]]
id = "op"
issuer = "${op.issuer}"
audiences = ["https://depot.test"]
algorithms = ["ES256", "RS256"]
token_type = "at+jwt"
required_claims = ["client_id"]
scopes_claim = "/scope"
publishers_claim = "/depot_publishers"
[auth.issuers.actions]
rebuild = ["depot:rebuild"]
`
const depot = await startDepot({ extraConfig: depotConfig })
t.teardown(async () => { await depot.close(); await op.close() })
const rebuild = (token: string, pub = 'test') => request(depot.port, 'GET', `/${pub}/admin/0?cmd=rebuild`, { Authorization: `Bearer ${token}` })

t.test('client_credentials tokens from the provider are accepted for their publishers only', async t => {
  const token = await op.token('ci-test', 'depot:rebuild')
  t.equal((await rebuild(token)).status, 200)
  const other = await rebuild(token, 'example.org')
  t.equal(other.status, 403)
  t.match(other.headers['www-authenticate'], /insufficient_scope/)
  const publishOnly = await op.token('ci-test', 'depot:publish')
  t.equal((await rebuild(publishOnly)).status, 403, 'a token without the rebuild scope')
})

t.test('key rotation: new keys are picked up with one refetch, without downtime', async t => {
  await op.close()
  op = await startProvider({ port, keys: [k1, k2], signWith: 'k2', clients })
  const token = await op.token('ci-test', 'depot:rebuild')
  t.equal(op.keySetFetches(), 0, 'the restarted provider has not been asked for its keys yet')
  t.equal((await rebuild(token)).status, 200, 'a token signed with the new key is accepted')
  t.equal(op.keySetFetches(), 1, 'the unknown kid cost one fetch of the key set')
  t.equal((await rebuild(await op.token('ci-test', 'depot:rebuild'))).status, 200)
  t.equal(op.keySetFetches(), 1, 'the new key is known from then on: no more fetches')
})

t.test('an unreachable issuer never opens a write path; reads go on', async t => {
  const token = await op.token('ci-test', 'depot:rebuild')
  await op.close()
  t.equal((await rebuild(token)).status, 200, 'keys already fetched keep working during an outage')
  const { SignJWT, importJWK } = await import('jose')
  const k3 = await privateJwk('k3', 'ES256')
  const unknownKid = await new SignJWT({ aud: 'https://depot.test', sub: 's', jti: 'j3', client_id: 'ci-test', scope: 'depot:rebuild', depot_publishers: ['test'] })
    .setProtectedHeader({ alg: 'ES256', kid: 'k3', typ: 'at+jwt' }).setIssuer(op.issuer).setIssuedAt().setExpirationTime('5m').sign(await importJWK(k3, 'ES256'))
  const refused = await rebuild(unknownKid)
  t.equal(refused.status, 503, 'an unknown kid while the issuer is down: the refetch failed, fail closed')
  t.ok(Number(refused.headers['retry-after']) >= 1, 'Retry-After: when the depot will ask the issuer again')
  // A hanging issuer (not only a closed one) is in issuer-failures.test.ts.
  t.equal((await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')).status, 200, 'reads are answered')
})

t.test('keys older than the allowed staleness are not used once the issuer is down', async t => {
  const live = await startProvider({ keys: [k1], signWith: 'k1', clients })
  const strict = await startDepot({ extraConfig: depotConfig.replace(op.issuer, live.issuer).replace('jwks_max_staleness = 3600', 'jwks_max_staleness = 1') })
  t.teardown(async () => { await strict.close() })
  const token = await live.token('ci-test', 'depot:rebuild')
  const call = () => request(strict.port, 'GET', '/test/admin/0?cmd=rebuild', { Authorization: `Bearer ${token}` })
  t.equal((await call()).status, 200)
  await live.close()
  await new Promise(resolve => setTimeout(resolve, 1300))
  const res = await call()
  t.equal(res.status, 503, 'stale keys: fail closed')
  t.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After: when the depot will ask the issuer again')
})

t.test('a depot that cannot reach its issuer at start answers 503 on writes and 200 on reads', async t => {
  const cold = await startDepot({ extraConfig: depotConfig })
  t.teardown(() => cold.close())
  const res = await request(cold.port, 'GET', '/test/admin/0?cmd=rebuild', { Authorization: `Bearer ${await (async () => {
    const { SignJWT } = await import('jose')
    const { importJWK } = await import('jose')
    return new SignJWT({ aud: 'https://depot.test', sub: 's', jti: 'j', client_id: 'c', scope: 'depot:rebuild', depot_publishers: ['test'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).setIssuer(op.issuer).setIssuedAt().setExpirationTime('5m').sign(await importJWK(k1, 'ES256'))
  })()}` })
  t.equal(res.status, 503, 'fail closed')
  t.ok(Number(res.headers['retry-after']) >= 1, 'Retry-After: when the depot will ask the issuer again')
  t.equal((await request(cold.port, 'GET', '/test/catalog/1/catalog.attrs')).status, 200)
})
