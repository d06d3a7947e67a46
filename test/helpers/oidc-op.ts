/**
 * A real OpenID Provider (oidc-provider) on loopback for integration
 * tests: client_credentials grants, resource indicators, JWT access tokens
 * signed with keys generated for the run; and, for people, the device flow
 * and authorization code + PKCE of a public client (LOGIN_CLIENT) with
 * refresh tokens, the user's step completed programmatically.
 */
import http from 'node:http'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider from 'oidc-provider'

export const AUDIENCE = 'https://depot.test'
export const LOGIN_CLIENT = 'ips-depot-cli'

export async function privateJwk (kid: string, alg: 'ES256' | 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' }
}

export interface RunningProvider {
  readonly issuer: string
  readonly provider: Provider
  /** Grant types the token endpoint has issued tokens for, in order. */
  readonly issued: string[]
  /** How many times the key set (`/jwks`) has been fetched. */
  readonly keySetFetches: () => number
  token (client: string, scope: string): Promise<string>
  /** What a person does in the browser for a device code: log in as `account` and approve. */
  approveDevice (userCode: string, account: string): Promise<void>
  /** What a browser does with an authorization URL when `account` logs in and consents: ends at the redirect URI. */
  approveBrowser (authorizationUrl: string, account: string): Promise<Response>
  close (): Promise<void>
}

export interface ProviderOptions {
  port?: number
  keys: JWK[]
  signWith: string
  clients: Array<{ id: string, publishers: string[] }>
  /** People who may log in with LOGIN_CLIENT, and the publishers their tokens list. */
  accounts?: Record<string, string[]>
  accessTokenTTL?: number
}

/** Starts a provider; `signWith` picks the kid access tokens are signed with. */
export async function startProvider (opts: ProviderOptions): Promise<RunningProvider> {
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const issuer = `http://127.0.0.1:${port}`
  const publishersOf = new Map(opts.clients.map(c => [c.id, c.publishers]))
  const accounts = opts.accounts ?? {}
  const signing = opts.keys.find(k => k.kid === opts.signWith)!
  const issued: string[] = []
  const provider = new Provider(issuer, {
    clients: [
      ...opts.clients.map(c => ({ client_id: c.id, client_secret: `${c.id}-secret`, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' })),
      {
        client_id: LOGIN_CLIENT,
        token_endpoint_auth_method: 'none',
        application_type: 'native',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token', 'authorization_code'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
        id_token_signed_response_alg: 'ES256'
      }
    ],
    jwks: { keys: opts.keys as never },
    scopes: ['openid', 'offline_access', 'depot:publish', 'depot:rebuild'],
    findAccount: (_ctx: unknown, id: string) => id in accounts ? { accountId: id, claims: () => ({ sub: id }) } : undefined,
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'depot:publish depot:rebuild',
          audience: AUDIENCE,
          accessTokenTTL: opts.accessTokenTTL ?? 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signing.alg as 'ES256', kid: signing.kid } }
        })
      }
    },
    ttl: { ClientCredentials: opts.accessTokenTTL ?? 300 },
    extraTokenClaims: async (_ctx: unknown, token: unknown) => {
      const t = token as { clientId?: string, accountId?: string }
      return { depot_publishers: t.accountId !== undefined ? accounts[t.accountId] ?? [] : publishersOf.get(t.clientId ?? '') ?? [] }
    }
  } as never)
  provider.on('grant.success', (ctx: { oidc: { params: { grant_type: string } } }) => { issued.push(ctx.oidc.params.grant_type) })
  // RFC 8628 lets the server set the polling interval (5 s when it is silent, as oidc-provider is): a second keeps logins quick.
  // Provider is a Koa application; its types leave out use().
  ;(provider as unknown as { use: (mw: (ctx: { path: string, body?: unknown }, next: () => Promise<void>) => Promise<void>) => void }).use(async (ctx, next) => {
    await next()
    if (ctx.path === '/device/auth' && typeof ctx.body === 'object' && ctx.body !== null) (ctx.body as { interval?: number }).interval = 1
  })
  let keySetFetches = 0
  const callback = provider.callback()
  server.on('request', (req, res) => {
    if (req.url === '/jwks') keySetFetches++
    callback(req, res)
  })
  return {
    issuer,
    keySetFetches: () => keySetFetches,
    provider,
    issued,
    async approveBrowser (authorizationUrl, account) {
      const cookies = new Map<string, string>()
      const get = async (url: string): Promise<Response> => {
        const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } })
        for (const c of res.headers.getSetCookie()) { const [pair] = c.split(';'); const at = pair!.indexOf('='); cookies.set(pair!.slice(0, at), pair!.slice(at + 1)) }
        return res
      }
      let res = await get(authorizationUrl)
      for (let hops = 0; hops < 10; hops++) {
        const location = res.headers.get('location')
        if (location === null) return res
        const target = new URL(location, issuer)
        const interaction = /^\/interaction\/([^/]+)$/.exec(target.pathname)
        if (target.origin === issuer && interaction) {
          // The login and consent pages, answered as the person would: the interaction's result, then resume.
          const i = await provider.Interaction.find(interaction[1]!)
          if (!i) throw new Error('interaction not found')
          const grant = new provider.Grant({ accountId: account, clientId: i.params.client_id as string })
          grant.addOIDCScope('openid offline_access depot:publish')
          grant.addResourceScope(AUDIENCE, 'depot:publish')
          i.result = { login: { accountId: account }, consent: { grantId: await grant.save() } }
          await i.save(60)
          res = await get(new URL(i.returnTo, issuer).toString())
        } else if (target.origin === issuer) {
          res = await get(target.toString())
        } else {
          return fetch(target)
        }
      }
      throw new Error('too many redirects')
    },
    async approveDevice (userCode, account) {
      // What the verification page does with the code a person types: drop the mask's dashes.
      const code = await provider.DeviceCode.findByUserCode(userCode.replace(/[^A-Z0-9]/gi, '').toUpperCase())
      if (!code) throw new Error(`no device code for user code ${userCode}`)
      const grant = new provider.Grant({ accountId: account, clientId: code.clientId })
      grant.addOIDCScope('openid offline_access')
      grant.addResourceScope(AUDIENCE, 'depot:publish')
      Object.assign(code, { accountId: account, grantId: await grant.save(), authTime: Math.floor(Date.now() / 1000), expiresWithSession: false, scope: 'openid offline_access depot:publish', resource: AUDIENCE })
      await code.save()
    },
    async token (client, scope) {
      const post = (): Promise<Response> => fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from(`${client}:${client}-secret`).toString('base64') },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: AUDIENCE })
      })
      const res = await post().catch(post)
      const body = await res.json() as { access_token?: string, error?: string }
      if (!body.access_token) throw new Error(`token request failed: ${JSON.stringify(body)}`)
      return body.access_token
    },
    close: () => { server.closeAllConnections(); return new Promise(resolve => server.close(() => resolve())) }
  }
}
