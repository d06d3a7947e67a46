/**
 * depot.config.toml: read once at start, checked key by key. An unknown
 * key, a wrong type or an out-of-range value stops the start with a
 * message naming the key; nothing silently falls back to a default.
 */
import { CATALOG_FORMATS, type CatalogFormat } from './ips/catalog.js'
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { ConfigError } from './errors.js'
import { nearest } from './nearest.js'

export interface DepotConfig {
  readonly server: {
    readonly host: string
    readonly port: number
    /** Largest request body accepted, in bytes. */
    readonly bodyLimit: number
    /** Largest number of request headers accepted. */
    readonly maxHeaders: number
    readonly trustProxy: boolean
    /** The depot's URL as its users reach it (pages, the feed); null: taken from each request's Host. */
    readonly publicUrl: string | null
  }
  readonly storage: {
    /** Where depot.sqlite and the payload store live. */
    readonly dataDir: string
    /** A pkg5 repository imported at start when the depot holds no publisher yet. */
    readonly seedRepository: string | null
    /** Where payloads are kept: files under the data directory, or an S3-compatible bucket. */
    readonly payloads: PayloadsConfig
  }
  readonly cache: {
    /** Bytes of compressed catalog files, manifests and small payloads kept in memory. */
    readonly memoryBytes: number
    /** Payloads up to this size are read whole; larger ones are streamed. */
    readonly smallPayloadBytes: number
  }
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  }
  /** Token checks for every route that changes the repository; null: the depot is read-only. */
  readonly auth: AuthConfig | null
  /** Where GET /metrics is served, apart from the public listener; null: no metrics listener. */
  readonly metrics: { readonly listen: { readonly host: string, readonly port: number } } | null
  readonly publish: {
    /** Largest size a payload or manifest may decompress to. */
    readonly maxDecompressedBytes: number
    readonly maxActions: number
    /** Open transactions one token subject may hold. */
    readonly maxOpenTransactions: number
    /** Hours after which an untouched open transaction is dropped. */
    readonly transactionIdleHours: number
    /** The catalog format of publishers the depot creates (an imported publisher keeps its own). */
    readonly catalogFormat: CatalogFormat
  }
  readonly search: SearchConfig
}

/** Bounds on anonymous search: what one query may cost, and what one client may hold. */
export interface SearchConfig {
  /** Index rows, dictionary tokens and result lines one query may touch before it is refused (422). */
  readonly maxWork: number
  /** Milliseconds one query may run on a worker before it is ended (503). */
  readonly timeBudgetMs: number
  /** Milliseconds a query may wait for a worker before it is answered 503. */
  readonly maxWaitMs: number
  /** Searches one client address may have on the workers at once; its others wait behind its own. */
  readonly perClient: number
  /** Searches one client address may have waiting; past that it is answered 429. */
  readonly perClientQueue: number
  /** Bytes of search answers kept in memory for repeated queries (keyed by query and catalog). */
  readonly cacheBytes: number
  /** Search worker threads; one per core unless set. */
  readonly workers?: number
}

export const SEARCH_DEFAULTS: SearchConfig = { maxWork: 2_000_000, timeBudgetMs: 5000, maxWaitMs: 15_000, perClient: 1, perClientQueue: 32, cacheBytes: 16 * 1024 ** 2 }

export type PayloadsConfig = { readonly backend: 'file' } | S3PayloadsConfig

/** Credentials are never here: the AWS SDK's default chain (environment, profile, instance role) supplies them. */
export interface S3PayloadsConfig {
  readonly backend: 's3'
  readonly bucket: string
  /** Prepended to each payload's hash to make its key: '' or ending in '/'. */
  readonly prefix: string
  /** An S3-compatible service's URL; null: AWS S3 of the region. */
  readonly endpoint: string | null
  readonly region: string
  readonly pathStyle: boolean
  /** How a payload GET is answered: through the depot, or a redirect to public_url or to a presigned URL. */
  readonly reads: 'stream' | 'redirect' | 'presigned'
  /** The bucket's objects as the public reaches them (a CDN), ending in '/'; the key is appended. */
  readonly publicUrl: string | null
  readonly presignSeconds: number
}

export type DepotAction = 'publish' | 'rebuild' | 'remove'
export const DEPOT_ACTIONS: readonly DepotAction[] = ['publish', 'rebuild', 'remove']

export interface IssuerConfig {
  readonly id: string
  /** Exact issuer URL; discovery's "issuer" must equal it byte for byte. */
  readonly issuer: string
  readonly audiences: readonly string[]
  readonly algorithms: readonly string[]
  /** 'at+jwt' for OAuth access tokens (RFC 9068), 'JWT' for CI ID tokens. */
  readonly tokenType: 'at+jwt' | 'JWT'
  readonly clockTolerance: number
  readonly maxTokenAge: number
  readonly maxLifetime: number
  readonly requiredClaims: readonly string[]
  /** Claim paths (JSON pointer or dotted) holding scopes, roles and publisher names. */
  readonly scopesClaims: readonly string[]
  readonly rolesClaim: string | null
  readonly publishersClaim: string | null
  /** Scopes that grant each action; an action with no scopes listed is never granted by scope. */
  readonly actionScopes: Readonly<Record<DepotAction, readonly string[]>>
  readonly adminRole: string | null
  readonly publisherRole: string | null
  /** Each token may be used once (CI ID tokens): its jti is claimed after authorization. */
  readonly singleUseJti: boolean
  /** The public client `ips-depot login` uses at this issuer, and the scope it asks for; null: no interactive login. */
  readonly login: { readonly clientId: string, readonly scope: string } | null
  /** Whose pages the provenance of a CI publish links to (repository, commit, run): GitHub's, or none. */
  readonly provenanceLinks: 'github' | 'none'
}

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'

export interface BindingConfig {
  readonly issuer: string
  readonly publisher: string
  readonly actions: readonly DepotAction[]
  /** claim -> required value: exact, or an anchored glob where the value has * or ?. */
  readonly match: Readonly<Record<string, string>>
  readonly denyEvents: readonly string[]
}

/** The depot's own short-lived tokens, minted by the token exchange. */
export interface DepotTokensConfig {
  /** "iss" of depot tokens; discovery and the JWKS are served under it. */
  readonly issuer: string
  readonly algorithm: 'ES256' | 'RS256'
  /** Seconds a depot token is valid. */
  readonly lifetime: number
  /** Exchanges one client address may make per minute. */
  readonly exchangesPerMinute: number
}

/** The id the depot's own issuer goes by in bindings, audit records and logs. */
export const DEPOT_ISSUER_ID = 'ips-depot'

export interface AuthConfig {
  /** This depot's resource identifier (RFC 9728). */
  readonly resource: string
  readonly tokens: DepotTokensConfig | null
  readonly maxTokenBytes: number
  /** How long keys fetched from an issuer may be used while it is unreachable, in seconds. */
  readonly jwksMaxStaleness: number
  /** Least time between two JWKS fetches triggered by unknown kids, in seconds. */
  readonly jwksCooldown: number
  readonly issuers: readonly IssuerConfig[]
  readonly bindings: readonly BindingConfig[]
}

type Table = Record<string, unknown>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

class Reader {
  /** Problems found so far, shared by every reader of one file: all are reported at once. */
  constructor (readonly table: Table, private readonly prefix: string, readonly problems: ConfigError[] = []) {}
  private readonly seen = new Set<string>()

  private key (k: string): string { return this.prefix ? `${this.prefix}.${k}` : k }

  private problem (k: string, message: string): void { this.problems.push(new ConfigError(this.key(k), message)) }

  private get (k: string, required: boolean): unknown {
    this.seen.add(k)
    const v = this.table[k]
    if (v === undefined && required) this.problem(k, 'is required')
    return v
  }

  string (k: string): string
  string (k: string, optional: true): string | null
  string (k: string, optional = false): string | null {
    const v = this.get(k, !optional)
    if (v === undefined) return optional ? null : ''
    if (typeof v !== 'string' || v === '') { this.problem(k, 'must be a non-empty string'); return optional ? null : '' }
    return v
  }

  int (k: string, min: number, max: number): number {
    const v = this.get(k, true)
    if (v === undefined) return min
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) { this.problem(k, `must be an integer from ${min} to ${max}`); return min }
    return v
  }

  bool (k: string): boolean {
    const v = this.get(k, true)
    if (v === undefined) return false
    if (typeof v !== 'boolean') { this.problem(k, 'must be true or false'); return false }
    return v
  }

  oneOf<T extends string> (k: string, values: readonly T[]): T {
    const v = this.get(k, true)
    if (v === undefined) return values[0]!
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) { this.problem(k, `must be one of ${values.join(', ')}`); return values[0]! }
    return v as T
  }

  /** The first value is the default when the key is absent. */
  optionalOneOf<T extends string> (k: string, values: readonly T[]): T {
    return this.table[k] === undefined ? (this.seen.add(k), values[0]!) : this.oneOf(k, values)
  }

  section (k: string): Reader {
    const v = this.get(k, true)
    if (v !== undefined && (typeof v !== 'object' || v === null || Array.isArray(v))) this.problem(k, 'must be a table')
    // A missing or broken section still reads as empty, so that its own missing keys are reported too.
    return new Reader(typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Table : {}, this.key(k), this.problems)
  }

  optionalSection (k: string): Reader | null {
    return this.table[k] === undefined ? (this.seen.add(k), null) : this.section(k)
  }

  optionalInt (k: string, min: number, max: number, fallback: number): number {
    return this.table[k] === undefined ? (this.seen.add(k), fallback) : this.int(k, min, max)
  }

  optionalBool (k: string, fallback: boolean): boolean {
    return this.table[k] === undefined ? (this.seen.add(k), fallback) : this.bool(k)
  }

  strings (k: string, opts: { optional?: boolean, nonEmpty?: boolean } = {}): string[] {
    const v = this.get(k, !opts.optional)
    if (v === undefined) return []
    const list = typeof v === 'string' ? [v] : v
    if (!Array.isArray(list) || !list.every(x => typeof x === 'string' && x !== '')) { this.problem(k, 'must be a string or a list of non-empty strings'); return [] }
    if (opts.nonEmpty && list.length === 0) this.problem(k, 'must not be empty')
    return list as string[]
  }

  tables (k: string): Reader[] {
    const v = this.get(k, false)
    if (v === undefined) return []
    if (!Array.isArray(v) || !v.every(x => typeof x === 'object' && x !== null && !Array.isArray(x))) { this.problem(k, 'must be a list of tables ([[…]])'); return [] }
    return v.map((x, i) => new Reader(x as Table, `${this.key(k)}[${i}]`, this.problems))
  }

  stringMap (k: string): Record<string, string> {
    const r = this.optionalSection(k)
    if (r === null) return {}
    const out: Record<string, string> = {}
    for (const key of Object.keys(r.table)) out[key] = r.string(key)
    r.done()
    return out
  }

  fail (k: string, message: string): never { throw new ConfigError(this.key(k), message) }

  /** Every key must have been read: anything else is a typo or an unsupported option. */
  done (): void {
    const missing = [...this.seen].filter(k => this.table[k] === undefined)
    for (const k of Object.keys(this.table)) {
      if (this.seen.has(k)) continue
      const near = nearest(k, missing)
      this.problem(k, `is not a known setting${near === undefined ? '' : ` (did you mean ${near}?)`}`)
    }
  }
}

export function parseListen (value: string, key = 'server.listen'): { host: string, port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(value)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new ConfigError(key, `'${value}' is not HOST:PORT`)
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port }
}

export function parseConfig (text: string, baseDir: string): DepotConfig {
  let doc: Table
  try {
    doc = parseToml(text) as Table
  } catch (err) {
    throw new ConfigError('(file)', `not valid TOML: ${(err as Error).message}`)
  }
  const root = new Reader(doc, '')
  let config: DepotConfig
  try {
    config = readConfig(root, baseDir)
  } catch (err) {
    // A check that cannot go on stops the reading: reported with everything found before it.
    if (err instanceof ConfigError && root.problems.length > 0) throw new ConfigProblems([...root.problems, err])
    throw err
  }
  if (root.problems.length > 0) throw root.problems.length === 1 ? root.problems[0]! : new ConfigProblems(root.problems)
  return config
}

/** Several problems in one file: each on a line of its own, the first as a single problem would be. */
class ConfigProblems extends ConfigError {
  constructor (problems: readonly ConfigError[]) {
    super(problems[0]!.key, `${problems[0]!.message.slice(problems[0]!.key.length + 2)}\n${problems.slice(1).map(p => `  ${p.message}`).join('\n')}`)
  }
}

function readConfig (root: Reader, baseDir: string): DepotConfig {
  const server = root.section('server')
  const listenText = server.string('listen')
  const listen = listenText === '' ? { host: '', port: 0 } : parseListen(listenText)
  const cfgServer = {
    ...listen,
    bodyLimit: server.int('body_limit', 1024, 64 * 1024 ** 3),
    maxHeaders: server.int('max_headers', 16, 1000),
    trustProxy: server.bool('trust_proxy'),
    publicUrl: httpUrl(server, 'public_url')?.replace(/\/+$/, '') ?? null
  }
  server.done()

  const storage = root.section('storage')
  const dataDir = path.resolve(baseDir, storage.string('data_dir'))
  const seed = storage.string('seed_repository', true)
  const payloadsSection = storage.optionalSection('payloads')
  const payloads = payloadsSection === null ? { backend: 'file' as const } : parsePayloads(payloadsSection)
  storage.done()

  const cache = root.section('cache')
  const cfgCache = {
    memoryBytes: cache.int('memory_bytes', 0, 64 * 1024 ** 3),
    smallPayloadBytes: cache.int('small_payload_bytes', 0, 64 * 1024 ** 2)
  }
  cache.done()

  const log = root.section('log')
  const cfgLog = { level: log.oneOf('level', LOG_LEVELS) }
  log.done()
  const pub = root.optionalSection('publish')
  const cfgPublish = {
    maxDecompressedBytes: pub?.optionalInt('max_decompressed_bytes', 1024, 256 * 1024 ** 3, 32 * 1024 ** 3) ?? 32 * 1024 ** 3,
    maxActions: pub?.optionalInt('max_actions', 1, 10_000_000, 100_000) ?? 100_000,
    maxOpenTransactions: pub?.optionalInt('max_open_transactions', 1, 100_000, 100) ?? 100,
    transactionIdleHours: pub?.optionalInt('transaction_idle_hours', 1, 24 * 365, 168) ?? 168,
    catalogFormat: pub?.optionalOneOf('catalog_format', CATALOG_FORMATS) ?? CATALOG_FORMATS[0]
  }
  pub?.done()
  const search = root.optionalSection('search')
  const d = SEARCH_DEFAULTS
  const cfgSearch: SearchConfig = {
    maxWork: search?.optionalInt('max_work', 1000, 1_000_000_000, d.maxWork) ?? d.maxWork,
    timeBudgetMs: search?.optionalInt('time_budget_ms', 10, 600_000, d.timeBudgetMs) ?? d.timeBudgetMs,
    maxWaitMs: search?.optionalInt('max_wait_ms', 1, 600_000, d.maxWaitMs) ?? d.maxWaitMs,
    perClient: search?.optionalInt('per_client', 1, 64, d.perClient) ?? d.perClient,
    perClientQueue: search?.optionalInt('per_client_queue', 0, 10_000, d.perClientQueue) ?? d.perClientQueue,
    cacheBytes: search?.optionalInt('cache_bytes', 0, 16 * 1024 ** 3, d.cacheBytes) ?? d.cacheBytes,
    ...(search?.table.workers === undefined ? {} : { workers: search.int('workers', 1, 256) })
  }
  search?.done()
  const authSection = root.optionalSection('auth')
  const auth = authSection === null ? null : parseAuth(authSection)
  const metricsSection = root.optionalSection('metrics')
  const metrics = metricsSection === null ? null : { listen: parseListen(metricsSection.string('listen', true) ?? '127.0.0.1:9464', 'metrics.listen') }
  metricsSection?.done()
  root.done()

  return {
    server: cfgServer,
    storage: { dataDir, seedRepository: seed === null ? null : path.resolve(baseDir, seed), payloads },
    cache: cfgCache,
    log: cfgLog,
    auth,
    metrics,
    publish: cfgPublish,
    search: cfgSearch
  }
}

/** An optional http(s) URL; null when the key is absent. */
function httpUrl (r: Reader, k: string): string | null {
  const v = r.string(k, true)
  if (v === null) return null
  let u: URL
  try { u = new URL(v) } catch { return r.fail(k, `'${v}' is not a URL`) }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') r.fail(k, 'must be an http or https URL')
  return v
}

function parsePayloads (r: Reader): PayloadsConfig {
  const backend = r.oneOf('backend', ['file', 's3'] as const)
  if (backend === 'file') { r.done(); return { backend } }
  const bucket = r.string('bucket')
  const prefix = r.string('prefix', true) ?? ''
  if (prefix !== '' && !prefix.endsWith('/')) r.fail('prefix', `'${prefix}' must end in '/'`)
  const endpoint = httpUrl(r, 'endpoint')
  const region = r.string('region')
  const pathStyle = r.optionalBool('path_style', false)
  const reads = r.optionalOneOf('reads', ['stream', 'redirect', 'presigned'] as const)
  const publicUrl = httpUrl(r, 'public_url')
  if (reads === 'redirect' && publicUrl === null) r.fail('public_url', 'is required when reads = "redirect"')
  if (publicUrl !== null && !publicUrl.endsWith('/')) r.fail('public_url', `'${publicUrl}' must end in '/'`)
  const presignSeconds = r.optionalInt('presign_seconds', 1, 7 * 86400, 300)
  r.done()
  return { backend, bucket, prefix, endpoint, region, pathStyle, reads, publicUrl, presignSeconds }
}

const ASYMMETRIC = new Set(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])
const ALWAYS_REQUIRED = ['exp', 'iat', 'sub', 'jti']

function issuerUrl (r: Reader, k: string): string {
  const v = r.string(k)
  let u: URL
  try { u = new URL(v) } catch { return r.fail(k, `'${v}' is not a URL`) }
  const loopback = u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]'
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback)) r.fail(k, 'must be an https URL (http only on loopback, for tests)')
  return v
}

function parseIssuer (r: Reader): IssuerConfig {
  const id = r.string('id')
  const algorithms = r.strings('algorithms', { nonEmpty: true })
  for (const a of algorithms) if (!ASYMMETRIC.has(a)) r.fail('algorithms', `'${a}' is not an asymmetric JWS algorithm (symmetric and 'none' are never accepted)`)
  const tokenType = r.oneOf('token_type', ['at+jwt', 'JWT'] as const)
  const actions = r.optionalSection('actions')
  const actionScopes = Object.fromEntries(DEPOT_ACTIONS.map(a => [a, actions?.strings(a, { optional: true }) ?? []])) as Record<DepotAction, string[]>
  actions?.done()
  const adminRole = r.string('admin_role', true)
  const publisherRole = r.string('publisher_role', true)
  if ((adminRole === null) !== (publisherRole === null)) r.fail(adminRole === null ? 'admin_role' : 'publisher_role', 'admin_role and publisher_role must be set together')
  const rolesClaim = r.string('roles_claim', true)
  if (adminRole !== null && rolesClaim === null) r.fail('roles_claim', 'is required when roles are configured')
  const issuer = issuerUrl(r, 'issuer')
  const cfg: IssuerConfig = {
    id,
    issuer,
    audiences: r.strings('audiences', { nonEmpty: true }),
    algorithms,
    tokenType,
    clockTolerance: r.optionalInt('clock_tolerance', 0, 300, 30),
    maxTokenAge: r.optionalInt('max_token_age', 1, 30 * 86400, 3600),
    maxLifetime: r.optionalInt('max_lifetime', 1, 30 * 86400, 86400),
    requiredClaims: [...new Set([...ALWAYS_REQUIRED, ...r.strings('required_claims', { optional: true })])],
    scopesClaims: r.strings('scopes_claim', { optional: true }),
    rolesClaim,
    publishersClaim: r.string('publishers_claim', true),
    actionScopes,
    adminRole,
    publisherRole,
    singleUseJti: r.optionalBool('single_use_jti', false),
    login: null,
    provenanceLinks: r.optionalOneOf('provenance_links', issuer === GITHUB_ACTIONS_ISSUER ? ['github', 'none'] as const : ['none', 'github'] as const)
  }
  const loginClient = r.string('login_client_id', true)
  const loginScope = r.string('login_scope', true)
  if (loginClient === null && loginScope !== null) r.fail('login_scope', 'needs login_client_id')
  r.done()
  if (loginClient === null) return cfg
  if (tokenType !== 'at+jwt') r.fail('login_client_id', 'interactive login needs an issuer of access tokens (token_type = "at+jwt")')
  return { ...cfg, login: { clientId: loginClient, scope: loginScope ?? ['openid', 'offline_access', ...actionScopes.publish].join(' ') } }
}

function parseDepotTokens (r: Reader): DepotTokensConfig {
  const cfg: DepotTokensConfig = {
    issuer: issuerUrl(r, 'issuer'),
    algorithm: r.oneOf('algorithm', ['ES256', 'RS256'] as const),
    lifetime: r.optionalInt('lifetime', 60, 3600, 900),
    exchangesPerMinute: r.optionalInt('exchanges_per_minute', 1, 10_000, 30)
  }
  r.done()
  return cfg
}

function parseAuth (r: Reader): AuthConfig {
  const resource = r.string('resource')
  const issuers = r.tables('issuers').map(parseIssuer)
  if (issuers.length === 0) r.fail('issuers', 'at least one [[auth.issuers]] is required when [auth] is present')
  const ids = new Set<string>()
  for (const i of issuers) {
    if (ids.has(i.id) || i.id === DEPOT_ISSUER_ID) r.fail('issuers', `duplicate or reserved issuer id '${i.id}'`)
    ids.add(i.id)
  }
  const tokensSection = r.optionalSection('tokens')
  const tokens = tokensSection === null ? null : parseDepotTokens(tokensSection)
  if (tokens !== null && issuers.some(i => i.issuer === tokens.issuer)) r.fail('tokens', `issuer '${tokens.issuer}' is also configured in [[auth.issuers]]`)
  const bindings = r.tables('bindings').map(b => {
    const issuer = b.string('issuer')
    if (!ids.has(issuer)) b.fail('issuer', `'${issuer}' is not the id of a configured issuer`)
    const actions = b.strings('actions', { nonEmpty: true })
    for (const a of actions) if (!(DEPOT_ACTIONS as readonly string[]).includes(a)) b.fail('actions', `'${a}' is not one of ${DEPOT_ACTIONS.join(', ')}`)
    const binding: BindingConfig = { issuer, publisher: b.string('publisher'), actions: actions as DepotAction[], match: b.stringMap('match'), denyEvents: b.strings('deny_events', { optional: true }) }
    if (Object.keys(binding.match).length === 0) b.fail('match', 'a binding must match at least one claim')
    b.done()
    return binding
  })
  const cfg: AuthConfig = {
    resource,
    tokens,
    maxTokenBytes: r.optionalInt('max_token_bytes', 256, 65536, 8192),
    jwksMaxStaleness: r.optionalInt('jwks_max_staleness', 0, 7 * 86400, 3600),
    jwksCooldown: r.optionalInt('jwks_cooldown', 0, 3600, 30),
    issuers,
    bindings
  }
  r.done()
  return cfg
}

export function loadConfig (file: string): DepotConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(err as Error).message}`)
  }
  return parseConfig(text, path.dirname(path.resolve(file)))
}
