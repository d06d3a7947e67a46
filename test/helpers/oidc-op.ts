/**
 * A real OpenID Provider (oidc-provider) on loopback for integration
 * tests: client_credentials grants, resource indicators, JWT access tokens
 * signed with keys generated for the run.
 */
import http from 'node:http'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider from 'oidc-provider'

export const AUDIENCE = 'https://depot.test'

export async function privateJwk (kid: string, alg: 'ES256' | 'RS256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' }
}

export interface RunningProvider {
  readonly issuer: string
  token (client: string, scope: string): Promise<string>
  close (): Promise<void>
}

/** Starts a provider; `signWith` picks the kid access tokens are signed with. */
export async function startProvider (opts: { port?: number, keys: JWK[], signWith: string, clients: Array<{ id: string, publishers: string[] }> }): Promise<RunningProvider> {
  const server = http.createServer()
  await new Promise<void>(resolve => server.listen(opts.port ?? 0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const issuer = `http://127.0.0.1:${port}`
  const publishersOf = new Map(opts.clients.map(c => [c.id, c.publishers]))
  const signing = opts.keys.find(k => k.kid === opts.signWith)!
  const provider = new Provider(issuer, {
    clients: opts.clients.map(c => ({ client_id: c.id, client_secret: `${c.id}-secret`, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], id_token_signed_response_alg: 'ES256' })),
    jwks: { keys: opts.keys as never },
    scopes: ['openid', 'depot:publish', 'depot:rebuild'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'depot:publish depot:rebuild',
          audience: AUDIENCE,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: signing.alg as 'ES256', kid: signing.kid } }
        })
      }
    },
    ttl: { ClientCredentials: 300 },
    extraTokenClaims: async (_ctx: unknown, token: unknown) => ({ depot_publishers: publishersOf.get((token as { clientId?: string }).clientId ?? '') ?? [] })
  } as never)
  server.on('request', provider.callback())
  return {
    issuer,
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
