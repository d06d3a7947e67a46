/**
 * A person publishing from their machine: `ips-depot login` with the device
 * flow against a real OpenID Provider, `ips-depot publish` with the stored
 * login, an access token that expires and is refreshed without a new
 * login, whoami, and logout.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { addPublisher } from '../../src/store/publish.js'
import { CLI, type CliResult, runCli } from '../helpers/cli.js'
import { startDepot, tempDir } from '../helpers/depot.js'
import { AUDIENCE, LOGIN_CLIENT, privateJwk, startProvider } from '../helpers/oidc-op.js'

// Long enough for a login, a publish and a whoami on a loaded 2-core machine (4 s expired between them once), short enough to wait out twice.
const TTL = 8

const op = await startProvider({ keys: [await privateJwk('k1', 'ES256')], signWith: 'k1', clients: [{ id: 'build-bot', publishers: ['test'] }], accounts: { alice: ['test'], bob: [] }, accessTokenTTL: TTL })
const depot = await startDepot({
  source: null,
  extraConfig: `
[auth]
resource = "${AUDIENCE}"
[[auth.issuers]]
id = "corp"
issuer = "${op.issuer}"
audiences = ["${AUDIENCE}"]
algorithms = ["ES256"]
token_type = "at+jwt"
clock_tolerance = 0
scopes_claim = "/scope"
publishers_claim = "/depot_publishers"
login_client_id = "${LOGIN_CLIENT}"
[auth.issuers.actions]
publish = ["depot:publish"]
`
})
addPublisher(depot.repo, 'test', true, 'utf8')
const home = tempDir()
t.teardown(async () => { await depot.close(); await op.close(); fs.rmSync(home, { recursive: true, force: true }) })

const env = { ...process.env, IPS_DEPOT_CONFIG_DIR: path.join(home, 'config'), IPS_DEPOT_TOKEN: '' }
const credentials = path.join(home, 'config', 'credentials.json')

const run = (args: string[]): Promise<CliResult> => runCli(args, env)

/** Runs `ips-depot login`, approving the device code it shows as `account` would in a browser. */
async function login (account: string): Promise<{ code: number | null, output: string }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'login', '--depot', depot.url], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' })
  let output = ''
  let approved = false
  child.stdout!.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
    const m = /enter the code (\S+)/.exec(output)
    if (m && !approved) { approved = true; void op.approveDevice(m[1]!, account) }
  })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  return { code, output }
}

const proto = tempDir()
t.teardown(() => { fs.rmSync(proto, { recursive: true, force: true }) })
fs.writeFileSync(path.join(proto, 'hello'), 'hello from my machine\n')
const manifest = (version: string): string => {
  const file = path.join(proto, `hello-${version}.p5m`)
  fs.writeFileSync(file, `set name=pkg.fmri value=desk/hello@${version}\nset name=pkg.summary value="published from a laptop"\nfile hello path=opt/hello mode=0444 owner=root group=bin\n`)
  return file
}
const stored = (): { accessToken: string, refreshToken?: string, expiresAt: number } => JSON.parse(fs.readFileSync(credentials, 'utf8'))[depot.url]

t.test('device-flow login, publish, token expiry, publish again without logging in', async t => {
  const before = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('0.9')])
  t.equal(before.code, 1, 'no login, no token')
  t.match(before.stderr, /no token for .*ips-depot login/)

  const l = await login('alice')
  t.equal(l.code, 0, l.output)
  t.match(l.output, /logged in to/)
  const first = stored()
  t.ok(first.refreshToken, 'the provider gave a refresh token')
  t.notOk(l.output.includes(first.accessToken) || l.output.includes(first.refreshToken!), 'tokens are never printed')
  t.equal(fs.statSync(credentials).mode & 0o777, 0o600, 'credentials are private to the user')

  const one = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('1.0')])
  t.equal(one.code, 0, one.stderr)
  t.match(one.stdout, /PUBLISHED\npkg:\/\/test\/desk\/hello@1\.0/)
  t.match(one.stderr, /token from the stored login/)

  const who = await run(['whoami', '--depot', depot.url])
  t.equal(who.code, 0, who.stderr)
  t.match(who.stdout, /^alice \(issuer http:\/\/127\.0\.0\.1:\d+\)\n {2}test: publish\n$/)

  // Let the access token expire: the depot refuses it, the CLI renews it.
  await new Promise(resolve => setTimeout(resolve, (first.expiresAt + 1) * 1000 - Date.now()))
  const stale = await fetch(`${depot.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${first.accessToken}` } })
  t.equal(stale.status, 401, 'the old access token has expired')
  const two = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('2.0')])
  t.equal(two.code, 0, two.stderr)
  t.match(two.stdout, /desk\/hello@2\.0/)
  t.not(stored().accessToken, first.accessToken, 'a new access token was stored')
  t.ok(op.issued.includes('refresh_token'), 'by the refresh-token grant, not a new login')
  t.equal(op.issued.filter(g => g === 'urn:ietf:params:oauth:grant-type:device_code').length, 1, 'logged in once')

  const out = await run(['logout', '--depot', depot.url])
  t.match(out.stdout, /logged out/)
  t.notOk(stored(), 'the login is gone')
  const after = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('3.0')])
  t.equal(after.code, 1)
})

t.test('a login with another publisher cannot publish here, and whoami says so', async t => {
  const l = await login('bob')
  t.equal(l.code, 0, l.output)
  const who = await run(['whoami', '--depot', depot.url])
  t.match(who.stdout, /no publisher is granted/)
  const r = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('4.0')])
  t.equal(r.code, 1)
  t.match(r.stderr, /403/)
  await run(['logout', '--depot', depot.url])
})

t.test('login --browser: authorization code with PKCE on a loopback redirect', async t => {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'login', '--browser', '--depot', depot.url], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, killSignal: 'SIGKILL' })
  let output = ''
  let landed: Promise<Response> | undefined
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
    const m = /^(http:\/\/127\.0\.0\.1:\d+\/auth\?\S+)$/m.exec(output)
    if (m && landed === undefined) landed = op.approveBrowser(m[1]!, 'alice')
  })
  const code = await new Promise<number | null>(resolve => child.on('close', resolve))
  t.equal(code, 0, output)
  const page = await landed!
  t.equal(page.status, 200, 'the browser lands on the CLI\'s loopback page')
  const url = new URL(/^(http:\/\/\S+\/auth\?\S+)$/m.exec(output)![1]!)
  t.equal(url.searchParams.get('code_challenge_method'), 'S256')
  t.match(url.searchParams.get('redirect_uri'), /^http:\/\/127\.0\.0\.1:\d+\/callback$/)
  t.equal(op.issued.filter(g => g === 'authorization_code').length, 1)
  const r = await run(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('5.0')])
  t.equal(r.code, 0, r.stderr)
  await run(['logout', '--depot', depot.url])
})

t.test('login --client-credentials: a service account renews its token alone', async t => {
  const bot = { ...env, IPS_DEPOT_CLIENT_ID: 'build-bot', IPS_DEPOT_CLIENT_SECRET: 'build-bot-secret' }
  const l = await runCli(['login', '--client-credentials', '--depot', depot.url], bot)
  t.equal(l.code, 0, l.stderr)
  const first = stored()
  t.notOk(l.stdout.includes('build-bot-secret') || l.stderr.includes('build-bot-secret'), 'the secret is never printed')
  await new Promise(resolve => setTimeout(resolve, (first.expiresAt + 1) * 1000 - Date.now()))
  const r = await runCli(['publish', '--depot', depot.url, '--publisher', 'test', '-d', proto, manifest('6.0')], env)
  t.equal(r.code, 0, r.stderr)
  t.not(stored().accessToken, first.accessToken, 'a new token from the stored client credentials')
  const bad = await runCli(['login', '--client-credentials', '--depot', depot.url], { ...bot, IPS_DEPOT_CLIENT_SECRET: 'wrong' })
  t.equal(bad.code, 1)
  t.match(bad.stderr, /invalid_client/)
  await run(['logout', '--depot', depot.url])
})
