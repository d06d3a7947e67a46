/**
 * `ips-depot login`: the depot names its issuer, client and scope in its
 * RFC 9728 metadata; the CLI gets a token there with the device
 * authorization grant (RFC 8628), authorization code + PKCE on a loopback
 * redirect (RFC 8252), or client credentials, and refreshes it before it
 * expires. Tokens never appear in output or errors.
 */
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import { loadLogin, saveLogin, type StoredLogin } from './credentials.js'

const TIMEOUT_MS = 10_000

export interface DepotLoginInfo {
  readonly resource: string
  readonly issuer: string
  readonly clientId: string
  readonly scope: string
}

interface IssuerEndpoints {
  readonly token_endpoint: string
  readonly device_authorization_endpoint?: string
  readonly authorization_endpoint?: string
}

interface TokenResponse { access_token: string, refresh_token?: string, expires_in?: number }

async function getJson (url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' })
  if (!res.ok) throw new Error(`${url} answered ${res.status}`)
  return await res.json() as Record<string, unknown>
}

/** Where to log in for a depot, from its protected-resource metadata. */
export async function depotLoginInfo (depot: string, issuer?: string): Promise<DepotLoginInfo> {
  const meta = await getJson(new URL('/.well-known/oauth-protected-resource', depot).toString())
  const logins = (meta.ips_depot_login ?? []) as Array<{ issuer: string, client_id: string, scope: string }>
  const login = issuer === undefined ? logins[0] : logins.find(l => l.issuer === issuer)
  if (login === undefined) throw new Error(`${depot} offers no interactive login${issuer === undefined ? '' : ` at ${issuer}`}; use --client-credentials or a token source`)
  return { resource: String(meta.resource), issuer: login.issuer, clientId: login.client_id, scope: login.scope }
}

async function endpoints (issuer: string): Promise<IssuerEndpoints> {
  const doc = await getJson(issuer.replace(/\/$/, '') + '/.well-known/openid-configuration')
  if (doc.issuer !== issuer) throw new Error(`the discovery document of ${issuer} names another issuer`)
  if (typeof doc.token_endpoint !== 'string') throw new Error(`${issuer} has no token endpoint`)
  return doc as unknown as IssuerEndpoints
}

class OAuthError extends Error {
  constructor (readonly code: string, description: string | undefined) {
    super(description ? `${code}: ${description}` : code)
  }
}

async function tokenRequest (endpoint: string, params: Record<string, string>, secret?: { id: string, secret: string }): Promise<TokenResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }
  if (secret) headers.authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(secret.id)}:${encodeURIComponent(secret.secret)}`).toString('base64')
  const res = await fetch(endpoint, { method: 'POST', headers, body: new URLSearchParams(params), signal: AbortSignal.timeout(TIMEOUT_MS) })
  const body = await res.json().catch(() => ({})) as Partial<TokenResponse> & { error?: string, error_description?: string }
  if (!res.ok || typeof body.access_token !== 'string') throw new OAuthError(body.error ?? `HTTP ${res.status}`, body.error_description)
  return body as TokenResponse
}

function stored (info: DepotLoginInfo, tokenEndpoint: string, t: TokenResponse, extra: Partial<StoredLogin> = {}): StoredLogin {
  const now = Math.floor(Date.now() / 1000)
  return {
    issuer: info.issuer, tokenEndpoint, clientId: info.clientId, resource: info.resource, scope: info.scope,
    accessToken: t.access_token,
    ...(t.refresh_token === undefined ? {} : { refreshToken: t.refresh_token }),
    expiresAt: now + (t.expires_in ?? 300),
    obtainedAt: now,
    ...extra
  }
}

const sleep = (ms: number): Promise<void> => new Promise(resolve => setTimeout(resolve, ms))

/** RFC 8628: show a code, poll until the user approved it elsewhere. */
export async function deviceLogin (depot: string, info: DepotLoginInfo, tell: (message: string) => void): Promise<StoredLogin> {
  const ep = await endpoints(info.issuer)
  if (ep.device_authorization_endpoint === undefined) throw new Error(`${info.issuer} does not offer the device flow; try --browser`)
  const res = await fetch(ep.device_authorization_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: info.clientId, scope: info.scope, resource: info.resource }),
    signal: AbortSignal.timeout(TIMEOUT_MS)
  })
  const grant = await res.json() as { device_code?: string, user_code?: string, verification_uri?: string, verification_uri_complete?: string, interval?: number, expires_in?: number, error?: string }
  if (!res.ok || !grant.device_code) throw new Error(`device authorization failed: ${grant.error ?? res.status}`)
  tell(`To log in, open ${grant.verification_uri_complete ?? grant.verification_uri} and enter the code ${grant.user_code}`)
  let interval = (grant.interval ?? 5) * 1000
  const deadline = Date.now() + (grant.expires_in ?? 600) * 1000
  while (Date.now() < deadline) {
    await sleep(interval)
    try {
      const t = await tokenRequest(ep.token_endpoint, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: grant.device_code, client_id: info.clientId, resource: info.resource })
      const login = stored(info, ep.token_endpoint, t)
      saveLogin(depot, login)
      return login
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err
      if (err.code === 'slow_down') interval += 5000
      else if (err.code !== 'authorization_pending') throw new Error(`login failed: ${err.message}`)
    }
  }
  throw new Error('login failed: the code expired before it was approved')
}

/** RFC 8252: authorization code with PKCE (S256), the redirect caught on a loopback port. */
export async function browserLogin (depot: string, info: DepotLoginInfo, open: (url: string) => void): Promise<StoredLogin> {
  const ep = await endpoints(info.issuer)
  if (ep.authorization_endpoint === undefined) throw new Error(`${info.issuer} has no authorization endpoint`)
  const verifier = randomBytes(32).toString('base64url')
  const state = randomBytes(16).toString('base64url')
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const redirectUri = `http://127.0.0.1:${(server.address() as { port: number }).port}/callback`
  try {
    const code = new Promise<string>((resolve, reject) => {
      server.on('request', (req, res) => {
        const url = new URL(req.url ?? '/', redirectUri)
        if (url.pathname !== '/callback') { res.writeHead(404).end(); return }
        const ok = url.searchParams.get('state') === state && url.searchParams.has('code')
        res.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain' }).end(ok ? 'Logged in to the depot; you can close this window.\n' : 'Login failed.\n')
        if (ok) resolve(url.searchParams.get('code')!)
        else reject(new Error(`login failed: ${url.searchParams.get('error') ?? 'state mismatch'}`))
      })
    })
    const auth = new URL(ep.authorization_endpoint)
    for (const [k, v] of Object.entries({
      response_type: 'code', client_id: info.clientId, redirect_uri: redirectUri, scope: info.scope, state, resource: info.resource,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256'
    })) auth.searchParams.set(k, v)
    open(auth.toString())
    const t = await tokenRequest(ep.token_endpoint, { grant_type: 'authorization_code', code: await code, redirect_uri: redirectUri, client_id: info.clientId, code_verifier: verifier, resource: info.resource })
    const login = stored(info, ep.token_endpoint, t)
    saveLogin(depot, login)
    return login
  } finally {
    server.closeAllConnections()
    server.close()
  }
}

/** Scopes that mean something for a person only: a service account asks for the depot's scopes alone. */
const PERSON_SCOPES = new Set(['openid', 'offline_access', 'profile', 'email'])

/** A service account: the client's own secret, kept (0600) so the CLI can get new tokens alone. */
export async function clientCredentialsLogin (depot: string, info: DepotLoginInfo, clientId: string, clientSecret: string): Promise<StoredLogin> {
  const ep = await endpoints(info.issuer)
  const scope = info.scope.split(' ').filter(s => s !== '' && !PERSON_SCOPES.has(s)).join(' ')
  const t = await tokenRequest(ep.token_endpoint, { grant_type: 'client_credentials', scope, resource: info.resource }, { id: clientId, secret: clientSecret })
  const login = stored({ ...info, clientId, scope }, ep.token_endpoint, t, { clientSecret })
  saveLogin(depot, login)
  return login
}

/** Refresh when less than a tenth of the token's life (at most a minute) is left. */
function needsRefresh (l: StoredLogin, now: number): boolean {
  return l.expiresAt - now < Math.min(60, (l.expiresAt - l.obtainedAt) / 10)
}

/** The stored login's access token, refreshed first when it is about to expire. */
export async function loginAccessToken (depot: string): Promise<string> {
  const login = loadLogin(depot)
  if (login === undefined) throw new Error(`not logged in to ${depot}; run ips-depot login --depot ${depot}`)
  if (!needsRefresh(login, Date.now() / 1000)) return login.accessToken
  let t: TokenResponse
  try {
    if (login.clientSecret !== undefined) {
      t = await tokenRequest(login.tokenEndpoint, { grant_type: 'client_credentials', scope: login.scope, resource: login.resource }, { id: login.clientId, secret: login.clientSecret })
    } else if (login.refreshToken !== undefined) {
      t = await tokenRequest(login.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: login.refreshToken, client_id: login.clientId, resource: login.resource })
    } else {
      throw new OAuthError('no_refresh_token', 'the issuer gave no refresh token')
    }
  } catch (err) {
    throw new Error(`the login to ${depot} expired and could not be renewed (${(err as Error).message}); run ips-depot login --depot ${depot}`)
  }
  const renewed = stored(login, login.tokenEndpoint, { ...t, refresh_token: t.refresh_token ?? login.refreshToken }, login.clientSecret === undefined ? {} : { clientSecret: login.clientSecret })
  saveLogin(depot, renewed)
  return renewed.accessToken
}
