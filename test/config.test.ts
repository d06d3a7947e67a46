import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig, parseConfig } from '../src/config.js'
import { ROOT } from './helpers/depot.js'

const good = fs.readFileSync(path.join(ROOT, 'depot.config.toml'), 'utf8')

t.test('the shipped config is valid and resolves paths against its directory', async t => {
  const cfg = loadConfig(path.join(ROOT, 'depot.config.toml'))
  t.equal(cfg.server.host, '127.0.0.1')
  t.equal(cfg.server.port, 10000)
  t.equal(cfg.storage.dataDir, path.join(ROOT, 'data'))
  t.equal(cfg.storage.seedRepository, path.join(ROOT, 'fixtures/repo'))
})

t.test('every mistake names its key and stops the start', async t => {
  const cases: Array<[string, RegExp]> = [
    [good.replace('listen = "127.0.0.1:10000"', 'listen = "nowhere"'), /^server\.listen: 'nowhere' is not HOST:PORT/],
    [good.replace('listen = "127.0.0.1:10000"', 'listen = "127.0.0.1:70000"'), /^server\.listen/],
    [good.replace('body_limit = 536870912', 'body_limit = "big"'), /^server\.body_limit: must be an integer/],
    [good.replace('trust_proxy = false', 'trust_proxy = "no"'), /^server\.trust_proxy: must be true or false/],
    [good.replace('trust_proxy = false', 'trust_proxy = false\nport = 1'), /^server\.port: is not a known setting/],
    [good.replace('trust_proxy = false', 'trust_proxy = false\npublic_url = "ftp://pkg.example.org/"'), /^server\.public_url: must be an http or https URL/],
    [good.replace('trust_proxy = false', 'trust_proxy = false\npublic_url = "pkg.example.org"'), /^server\.public_url: 'pkg\.example\.org' is not a URL/],
    [good + '\n[search]\nmax_work = 5\n', /^search\.max_work: must be an integer from 1000/],
    [good + '\n[search]\nper_client = 0\n', /^search\.per_client: must be an integer from 1/],
    [good + '\n[search]\nmax_works = 5000\n', /^search\.max_works: is not a known setting/],
    [good.replace('level = "info"', 'level = "loud"'), /^log\.level: must be one of/],
    [good.replace('data_dir = "data"\n', ''), /^storage\.data_dir: is required/],
    [good.replace('[cache]', '[cachee]'), /^cache: is required/],
    [good + '\n[extra]\n', /^extra: is not a known setting/],
    ['this is = = not toml', /^\(file\): not valid TOML/]
  ]
  for (const [text, message] of cases) t.throws(() => parseConfig(text, ROOT), { message, code: 'ERR_CONFIG' }, String(message))
  t.throws(() => loadConfig('/nonexistent/depot.config.toml'), { message: /cannot read/ })
})

/** An [auth] section with one issuer; `extra` goes into the issuer's table, `tail` after it. */
const withIssuer = (extra: string, tail = ''): string => `${good}
[auth]
resource = "https://depot.test"
[[auth.issuers]]
id = "corp"
issuer = "https://idp.example.org"
audiences = ["https://depot.test"]
algorithms = ["RS256"]
token_type = "at+jwt"
${extra}
${tail}`

t.test('[auth]: an incoherent configuration stops the start, naming the key', async t => {
  const issuer = (extra: string): string => withIssuer(extra)
  t.equal(parseConfig(issuer(''), ROOT).auth?.issuers[0]?.clockTolerance, 30, 'defaults for optional keys')
  t.same(parseConfig(issuer(''), ROOT).auth?.issuers[0]?.requiredClaims, ['exp', 'iat', 'sub', 'jti'], 'exp, iat, sub and jti are always required')
  const cases: Array<[string, RegExp]> = [
    [issuer('').replace('algorithms = ["RS256"]', 'algorithms = ["HS256"]'), /^auth\.issuers\[0\]\.algorithms: 'HS256' is not an asymmetric/],
    [issuer('').replace('algorithms = ["RS256"]', 'algorithms = ["none"]'), /^auth\.issuers\[0\]\.algorithms/],
    [issuer('').replace('audiences = ["https://depot.test"]', 'audiences = []'), /^auth\.issuers\[0\]\.audiences: must not be empty/],
    [issuer('').replace('audiences = ["https://depot.test"]\n', ''), /^auth\.issuers\[0\]\.audiences: is required/],
    [issuer('admin_role = "admin"\nroles_claim = "/roles"'), /^auth\.issuers\[0\]\.publisher_role: admin_role and publisher_role must be set together/],
    [issuer('').replace('https://idp.example.org', 'http://idp.example.org'), /^auth\.issuers\[0\]\.issuer: must be an https URL/],
    [issuer('').replace('token_type = "at+jwt"', 'token_type = "id"'), /^auth\.issuers\[0\]\.token_type: must be one of at\+jwt, JWT/],
    [issuer('[[auth.bindings]]\nissuer = "nobody"\npublisher = "test"\nactions = ["publish"]\n[auth.bindings.match]\nrepository_id = "1"'), /^auth\.bindings\[0\]\.issuer: 'nobody' is not the id of a configured issuer/],
    [`${good}\n[auth]\nresource = "https://depot.test"\n`, /^auth\.issuers: at least one/]
  ]
  for (const [text, message] of cases) t.throws(() => parseConfig(text, ROOT), { message, code: 'ERR_CONFIG' }, String(message))
})

t.test('[auth.tokens] and login keys: validated at start, naming the key', async t => {
  const base = withIssuer
  const tokens = '[auth.tokens]\nissuer = "https://depot.example.org/"\nalgorithm = "ES256"\n'
  const ok = parseConfig(base('login_client_id = "ips-depot-cli"\n[auth.issuers.actions]\npublish = ["depot:publish"]', tokens), ROOT).auth!
  t.same(ok.tokens, { issuer: 'https://depot.example.org/', algorithm: 'ES256', lifetime: 900, exchangesPerMinute: 30 })
  t.same(ok.issuers[0]!.login, { clientId: 'ips-depot-cli', scope: 'openid offline_access depot:publish' }, 'the default login scope asks for what grants publish')
  const cases: Array<[string, RegExp]> = [
    [base('', tokens.replace('ES256', 'HS256')), /^auth\.tokens\.algorithm: must be one of ES256, RS256/],
    [base('', tokens.replace('"https://depot.example.org/"', '"http://depot.example.org/"')), /^auth\.tokens\.issuer: must be an https URL/],
    [base('', tokens + 'lifetime = 86400\n'), /^auth\.tokens\.lifetime/],
    [base('', tokens.replace('https://depot.example.org/', 'https://idp.example.org')), /^auth\.tokens: issuer 'https:\/\/idp\.example\.org' is also configured/],
    [base('', tokens + 'surprise = 1\n'), /^auth\.tokens\.surprise/],
    [base('login_scope = "openid"'), /^auth\.issuers\[0\]\.login_scope: needs login_client_id/],
    [base('login_client_id = "cli"').replace('token_type = "at+jwt"', 'token_type = "JWT"'), /^auth\.issuers\[0\]\.login_client_id: interactive login needs an issuer of access tokens/],
    [base('').replace('id = "corp"', 'id = "ips-depot"'), /^auth\.issuers: duplicate or reserved issuer id 'ips-depot'/]
  ]
  for (const [text, message] of cases) t.throws(() => parseConfig(text, ROOT), { message, code: 'ERR_CONFIG' }, String(message))
})

t.test('every problem of a file is reported at once; a misspelt key is named, with the key it was meant to be', async t => {
  const broken = good
    .replace('body_limit = 536870912', 'bodylimit = 536870912')
    .replace('trust_proxy = false', 'trust_proxy = "no"')
    .replace('level = "info"', 'level = "loud"')
  let message = ''
  try { parseConfig(broken, ROOT) } catch (err) { message = (err as Error).message }
  t.match(message, /^server\.body_limit: is required\n/, 'the first problem as a single one would be')
  t.match(message, /\n {2}server\.trust_proxy: must be true or false/)
  t.match(message, /\n {2}server\.bodylimit: is not a known setting \(did you mean body_limit\?\)/)
  t.match(message, /\n {2}log\.level: must be one of/)
  t.equal(message.split('\n').length, 4, 'four problems, four lines')
})

t.test('every configuration example in the README parses as printed', async t => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const examples = [...readme.matchAll(/```toml\n([\s\S]*?)```/g)].map(m => m[1]!.replace(/^ {3}/gm, ''))
  // A whole [auth] section stands on its own beside the shipped file; the fragments (an issuer, a
  // binding) are what the README tells a reader to add to one, so they are read together.
  const whole = examples.filter(e => /^\[auth\]$/m.test(e))
  const fragments = examples.filter(e => !whole.includes(e))
  t.ok(whole.length >= 1 && fragments.length >= 1, `${whole.length} whole [auth] sections, ${fragments.length} fragments`)
  for (const [i, example] of whole.entries()) t.doesNotThrow(() => parseConfig(`${good}\n${example}`, ROOT), `[auth] example ${i + 1}`)
  t.doesNotThrow(() => parseConfig(`${good}\n[auth]\nresource = "https://depot.example.org"\n${fragments.join('\n')}`, ROOT), 'the fragments, added to an [auth] section')
})
