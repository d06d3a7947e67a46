import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import t, { type Test } from 'tap'
import { addPublisher } from '../../src/store/publish.js'
import { CLI, runCli } from '../helpers/cli.js'
import { type RunningDepot, startDepot } from '../helpers/depot.js'
import { LocalIssuer } from '../helpers/issuer.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

function config (github: string, exchangesPerMinute: number): string {
  return `
[auth]
resource = "https://depot.test"
[[auth.issuers]]
id = "github"
issuer = "${github}"
audiences = ["depot.test"]
algorithms = ["RS256"]
token_type = "JWT"
single_use_jti = true
required_claims = ["repository_id", "repository_owner_id", "workflow_ref"]
[auth.tokens]
issuer = "http://127.0.0.1/"
algorithm = "ES256"
lifetime = 300
exchanges_per_minute = ${exchangesPerMinute}
[[auth.bindings]]
issuer = "github"
publisher = "test"
actions = ["publish"]
[auth.bindings.match]
repository_owner_id = "1001"
repository_id = "2002"
workflow = "release.yml"
environment = "release"
`
}

interface Setup { depot: RunningDepot, github: LocalIssuer, ciToken: (claims?: Record<string, unknown>) => Promise<string> }

async function setup (t: Test, exchangesPerMinute = 1000, trustProxy = false): Promise<Setup> {
  const github = await LocalIssuer.start()
  await github.addKey('gh1')
  const depot = await startDepot({ source: null, extraConfig: config(github.url, exchangesPerMinute), trustProxy })
  addPublisher(depot.repo, 'test', true, 'utf8')
  addPublisher(depot.repo, 'other', false, 'utf8')
  t.teardown(async () => { await depot.close(); await github.close() })
  const ciToken = (claims: Record<string, unknown> = {}): Promise<string> => github.sign({
    aud: 'depot.test', repository: 'Example/pkgs', repository_id: '2002', repository_owner_id: '1001', event_name: 'push',
    workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', ref: 'refs/tags/v1.0', environment: 'release',
    sub: 'repo:Example/pkgs:environment:release', ...claims
  }, { typ: 'JWT' })
  return { depot, github, ciToken }
}

async function exchange (depot: RunningDepot, body: unknown): Promise<{ status: number, body: Record<string, unknown>, headers: Headers }> {
  const res = await fetch(`${depot.url}/api/v1/token/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers }
}

async function publish (depot: RunningDepot, token: string, publisher: string, name: string): Promise<{ status: number, body: string }> {
  const content = Buffer.from(`payload of ${name}\n`)
  const form = new FormData()
  form.append('manifest', `set name=pkg.fmri value=${name}@1.0\nset name=pkg.summary value=exchanged\nfile ${sha1(content)} path=opt/${name} mode=0444 owner=root group=bin\n`)
  form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
  const res = await fetch(`${depot.url}/api/v1/publishers/${publisher}/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: res.status, body: await res.text() }
}

t.test('a CI token is exchanged once for a short-lived depot token that publishes to its bound publisher only', async t => {
  const { depot, github, ciToken } = await setup(t)
  const ci = await ciToken()
  const ok = await exchange(depot, { token: ci })
  t.equal(ok.status, 200, JSON.stringify(ok.body))
  t.equal(ok.body.publisher, 'test')
  t.equal(ok.body.token_type, 'Bearer')
  t.equal(ok.body.expires_in, 300)
  const token = ok.body.token as string
  const claims = decodeJwt(token)
  t.equal(claims.iss, 'http://127.0.0.1/')
  t.equal(claims.aud, 'https://depot.test')
  t.same(claims.depot_publishers, ['test'])
  t.equal(claims.scope, 'depot:publish')
  t.equal(claims.exp! - claims.iat!, 300)
  t.equal(decodeProtectedHeader(token).typ, 'at+jwt')

  t.equal((await publish(depot, token, 'test', 'exchanged/one')).status, 201, 'the depot token publishes')
  t.equal((await publish(depot, token, 'test', 'exchanged/two')).status, 201, 'and keeps working for a multi-request publish')
  const other = await publish(depot, token, 'other', 'exchanged/three')
  t.equal(other.status, 403, 'not to another publisher')
  t.match(other.body, /publisher other is not granted/)

  const who = await fetch(`${depot.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })
  t.same(await who.json(), { issuer: 'http://127.0.0.1/', subject: 'repo:Example/pkgs:environment:release', client_id: null, expires: claims.exp, admin: false, publishers: { test: ['publish'] } })

  const again = await exchange(depot, { token: ci })
  t.equal(again.status, 401, 'the same CI token twice')
  t.match(again.body.detail, /already used/)
  const self = await exchange(depot, { token })
  t.equal(self.status, 401)
  t.match(self.body.detail, /depot token cannot be exchanged/)

  const meta = await (await fetch(`${depot.url}/.well-known/oauth-protected-resource`)).json() as Record<string, unknown>
  t.same(meta.ips_depot_exchange, { audiences: { [github.url]: ['depot.test'] } }, 'the CLI learns which audience to ask its CI for')
  const discovery = await (await fetch(`${depot.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>
  t.equal(discovery.issuer, 'http://127.0.0.1/')
  const jwks = await (await fetch(`${depot.url}/.well-known/jwks.json`)).json() as { keys: Array<Record<string, unknown>> }
  t.same(jwks.keys.map(k => k.kid), [decodeProtectedHeader(token).kid])
  t.notOk('d' in jwks.keys[0]!, 'the JWKS has no private key material')
})

t.test('refusals name the claim that failed', async t => {
  const { depot, ciToken } = await setup(t)
  const cases: Array<[string, Record<string, unknown>, number, RegExp]> = [
    ['an unbound repository', { repository_id: '9999' }, 403, /claim repository_id \(token: '9999'; binding: '2002'\)/],
    ['a wrong workflow', { workflow_ref: 'Example/pkgs/.github/workflows/ci.yml@refs/heads/main' }, 403, /claim workflow \(token: 'ci.yml'; binding: 'release.yml'\)/],
    ['a wrong environment', { environment: 'staging' }, 403, /claim environment \(token: 'staging'; binding: 'release'\)/],
    ['no environment', { environment: undefined }, 403, /claim environment \(token: no such claim/],
    ['pull_request_target', { event_name: 'pull_request_target' }, 403, /claim event_name: pull_request_target is never trusted/],
    ['another audience', { aud: 'https://github.com/Example' }, 401, /audience/]
  ]
  for (const [what, claims, status, message] of cases) {
    const r = await exchange(depot, { token: await ciToken(claims) })
    t.equal(r.status, status, what)
    t.match(r.body.detail, message, what)
    t.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  }
  const unbound = await exchange(depot, { token: await ciToken(), publisher: 'other' })
  t.equal(unbound.status, 403)
  t.match(unbound.body.detail, /no trusted publisher binding for issuer github and publisher other/)
  const refused = await ciToken({ environment: 'staging' })
  await exchange(depot, { token: refused })
  t.match((await exchange(depot, { token: refused })).body.detail, /environment/, 'a refused token is not spent')
  for (const body of [{}, { token: '' }, { token: await ciToken(), publisher: '../x' }, { token: 'x'.repeat(20000) }]) {
    t.equal((await exchange(depot, body)).status, 400, `malformed request ${JSON.stringify(body).slice(0, 40)}`)
  }
  const notJwt = await exchange(depot, { token: 'not-a-jwt' })
  t.equal(notJwt.status, 401)
  t.match(notJwt.body.detail, /not a signed JWT/)
  const audit = depot.repo.db.prepare("SELECT result, detail FROM audit_log WHERE result LIKE 'refused%' AND detail LIKE '%workflow%'").all()
  t.ok(audit.length > 0, 'refusals are audited')
})

t.test('exchanges are rate-limited per client address', async t => {
  const { depot, ciToken } = await setup(t, 3)
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await exchange(depot, { token: await ciToken() })).status)
  t.same(statuses, [200, 200, 200, 429, 429])
  const limited = await exchange(depot, { token: await ciToken() })
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After says when to come back')
})

t.test('a key rotation in the middle of a stream of publishes fails none of them', async t => {
  const { depot, ciToken } = await setup(t)
  const cfgFile = path.join(depot.dataDir, 'depot.config.toml')
  const { writeFileSync } = await import('node:fs')
  writeFileSync(cfgFile, `[server]\nlisten = "127.0.0.1:0"\nbody_limit = 1048576\nmax_headers = 100\ntrust_proxy = false\n[storage]\ndata_dir = "${depot.dataDir}"\n[cache]\nmemory_bytes = 8388608\nsmall_payload_bytes = 65536\n[log]\nlevel = "silent"\n${config('http://127.0.0.1:1', 1000)}`)
  const rotate = (): void => {
    const r = spawnSync(process.execPath, [CLI, 'keys', 'rotate', '--config', cfgFile], { encoding: 'utf8', timeout: 60_000 })
    if (r.status !== 0) throw new Error(r.stderr)
  }
  const early = (await exchange(depot, { token: await ciToken() })).body.token as string
  const failures: string[] = []
  const kids = new Set<string>()
  for (let i = 0; i < 12; i++) {
    if (i === 4 || i === 8) rotate()
    const token = (await exchange(depot, { token: await ciToken() })).body.token as string
    kids.add(decodeProtectedHeader(token).kid!)
    const r = await publish(depot, token, 'test', `rotation/p${i}`)
    if (r.status !== 201) failures.push(`${i}: ${r.status} ${r.body}`)
  }
  t.same(failures, [])
  t.equal(kids.size, 3, 'each rotation changed the signing key')
  t.equal((await publish(depot, early, 'test', 'rotation/early')).status, 201, 'a token signed before two rotations still works until it expires')
  const jwks = await (await fetch(`${depot.url}/.well-known/jwks.json`)).json() as { keys: unknown[] }
  t.equal(jwks.keys.length, 3, 'superseded keys stay published while their tokens live')
})

t.test('ips-depot publish in a GitHub Actions job: asks the runner for an ID token, exchanges it, publishes', async t => {
  const { depot, ciToken } = await setup(t)
  const { createServer } = await import('node:http')
  const requested: string[] = []
  // GitHub's token service as the runner sees it: a bearer-protected URL that mints an ID token for the audience asked.
  const service = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.headers.authorization !== 'Bearer runner-request-token') { res.writeHead(401).end(); return }
    requested.push(url.searchParams.get('audience') ?? '')
    void ciToken({ aud: url.searchParams.get('audience') }).then(value => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value })))
  })
  await new Promise<void>(resolve => service.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { service.close() })
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const proto = mkdtempSync(path.join(tmpdir(), 'ips-depot-ci-'))
  t.teardown(() => rmSync(proto, { recursive: true, force: true }))
  writeFileSync(path.join(proto, 'tool'), 'built in CI\n')
  writeFileSync(path.join(proto, 'tool.p5m'), 'set name=pkg.fmri value=ci/tool@1.0\nset name=pkg.summary value="from a workflow"\nfile tool path=opt/tool mode=0555 owner=root group=bin\n')
  const env = {
    ...process.env,
    IPS_DEPOT_CONFIG_DIR: path.join(proto, 'no-login'),
    IPS_DEPOT_TOKEN: '',
    ACTIONS_ID_TOKEN_REQUEST_URL: `http://127.0.0.1:${(service.address() as { port: number }).port}/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token'
  }
  const r = await runCli(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, path.join(proto, 'tool.p5m')], env)
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /PUBLISHED\npkg:\/\/test\/ci\/tool@1\.0/)
  t.match(r.stderr, /token from a trusted-publishing exchange/)
  t.same(requested, ['depot.test'], 'the ID token was asked for the audience the depot advertises')
  const refused = await runCli(['publish', '--depot', depot.url, '--publisher', 'other', '-d', proto, path.join(proto, 'tool.p5m')], env)
  t.equal(refused.code, 1)
  t.match(refused.stderr, /token exchange refused \(403\): Not allowed: no trusted publisher binding for issuer github and publisher other/)
})

t.test('keys rotate: private files, and a superseded key deleted once every token it signed has expired', async t => {
  const fs = await import('node:fs')
  const { clockMovedBy } = await import('../helpers/cli.js')
  const { tempDir, writeConfig } = await import('../helpers/depot.js')
  const dir = tempDir()
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const cfgFile = writeConfig(dir, config('http://127.0.0.1:1', 10))
  const keysDir = path.join(dir, 'data', 'keys')
  /** `keys rotate` run `seconds` from now; the key files afterwards, oldest first. */
  const rotateAt = async (seconds: number): Promise<string[]> => {
    const r = await runCli(['keys', 'rotate', '--config', cfgFile], { ...process.env, NODE_OPTIONS: clockMovedBy(seconds * 1000) })
    t.equal(r.code, 0, r.stderr)
    return fs.readdirSync(keysDir).sort()
  }
  const [a] = await rotateAt(0)
  const afterB = await rotateAt(0)
  t.equal(afterB.length, 2, 'the superseded key stays while tokens it signed may live')
  t.equal(fs.statSync(keysDir).mode & 0o777, 0o700, 'the keys directory is private to the depot user')
  for (const f of afterB) t.equal(fs.statSync(path.join(keysDir, f)).mode & 0o777, 0o600, `${f} is private to the depot user`)
  // lifetime = 300: 300 s + 30 s of tolerance after its successor was made, no token signed by the first key can still be valid.
  const early = await rotateAt(320)
  t.ok(early.includes(a!), 'still there 320 s after it was superseded')
  t.equal(early.length, 3)
  const late = await rotateAt(340)
  t.notOk(late.includes(a!), 'deleted 340 s after it was superseded')
  t.same(late, early.slice(1).concat(late.slice(-1)), 'the others stay, and a new one was added')
  t.same(late.filter(f => !f.endsWith('.json')), [], 'no temporary file is left')
})

t.test('the CLI takes its token from each documented source, and says which', async t => {
  const fs = await import('node:fs')
  const { tempDir } = await import('../helpers/depot.js')
  const { depot, ciToken } = await setup(t)
  const home = tempDir()
  t.teardown(() => { fs.rmSync(home, { recursive: true, force: true }) })
  // No stored login and no CI runner: only what each case gives.
  const { ACTIONS_ID_TOKEN_REQUEST_URL: _url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: _token, ...clean } = process.env
  const env = { ...clean, IPS_DEPOT_CONFIG_DIR: path.join(home, 'config'), IPS_DEPOT_TOKEN: '' }
  const depotToken = async (): Promise<string> => (await exchange(depot, { token: await ciToken() })).body.token as string
  const tokenFile = path.join(home, 'depot-token')
  fs.writeFileSync(tokenFile, await depotToken())
  const ciFile = path.join(home, 'ci-token')
  fs.writeFileSync(ciFile, await ciToken())
  const whoami = (args: string[], extra: Record<string, string> = {}): ReturnType<typeof runCli> => runCli(['whoami', '--depot', depot.url, ...args], { ...env, ...extra })
  for (const [what, args, extra, source] of [
    ['$IPS_DEPOT_TOKEN', [], { IPS_DEPOT_TOKEN: await depotToken() }, '\\$IPS_DEPOT_TOKEN'],
    ['--token-command', ['--token-command', `cat '${tokenFile}'`], {}, 'a command'],
    ['--ci-token-file', ['--ci-token-file', ciFile], {}, 'a trusted-publishing exchange'],
    ['--ci-token-env', ['--ci-token-env', 'MY_CI_TOKEN'], { MY_CI_TOKEN: await ciToken() }, 'a trusted-publishing exchange']
  ] as const) {
    const r = await whoami([...args], extra)
    t.equal(r.code, 0, `${what}: ${r.stderr}`)
    t.match(r.stderr, new RegExp(`token from ${source}`), `${what}: names its source`)
    t.match(r.stdout, /^repo:Example\/pkgs:environment:release \(issuer http:\/\/127\.0\.0\.1\/\)\n {2}test: publish\n$/, `${what}: the identity the depot sees`)
  }
  const failing = await whoami(['--token-command', 'echo no token here >&2; exit 3'])
  t.equal(failing.code, 1, 'a token command that fails')
  t.match(failing.stderr, /no token here/, 'says why, in the command\'s own words')
  const two = await whoami(['--token-file', tokenFile, '--token-command', 'true'])
  t.equal(two.code, 1)
  t.match(two.stderr, /give at most one of --token-file, --token-env, --token-command, --ci-token-file, --ci-token-env/)
  const none = await whoami([])
  t.equal(none.code, 1)
  t.match(none.stderr, /no token for .*set IPS_DEPOT_TOKEN/, 'no source at all: says what would do')
})

t.test('server.trust_proxy: behind a proxy the exchange limit is per forwarded client, otherwise per socket address', async t => {
  for (const trustProxy of [true, false]) {
    const { depot, ciToken } = await setup(t, 2, trustProxy)
    const from = async (client: string): Promise<number> => (await fetch(`${depot.url}/api/v1/token/exchange`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': client }, body: JSON.stringify({ token: await ciToken() })
    })).status
    const statuses = [await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.2')]
    t.same(statuses, trustProxy ? [200, 200, 429, 200] : [200, 200, 429, 429], `trust_proxy = ${trustProxy}`)
  }
})
