/**
 * A small OpenID issuer on loopback, built on jose: discovery, a JWKS whose
 * keys and availability a test controls, and tokens signed however a test
 * needs (GitHub-Actions-shaped ID tokens, malformed ones). Keys are
 * generated per run; nothing here is a real credential.
 */
import http from 'node:http'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'

type Alg = 'RS256' | 'RS384' | 'ES256' | 'PS256'
interface Key { kid: string, alg: Alg, privateKey: CryptoKey, publicJwk: JWK, publicPem: string }

export class LocalIssuer {
  readonly keys = new Map<string, Key>()
  published: string[] = []
  down = false
  delayMs = 0
  /** How the key set answers: as a key set, or broken in one of the ways issuers break. */
  jwksMode: 'ok' | 'status-500' | 'redirect' | 'html' | 'not-a-key-set' = 'ok'
  /** Where a redirecting key set points. */
  redirectTo = ''
  /** The issuer discovery names; the real one unless a test mismatches it. */
  discoveryIssuer: string | undefined
  jwksFetches = 0
  discoveryFetches = 0
  private constructor (private readonly server: http.Server, readonly url: string) {}

  static async start (): Promise<LocalIssuer> {
    let self: LocalIssuer | undefined
    const server = http.createServer((req, res) => self!.handle(req, res))
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
    self = new LocalIssuer(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`)
    return self
  }

  private handle (req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.down) { req.socket.destroy(); return }
    if (this.delayMs > 0) { setTimeout(() => { if (!res.destroyed) this.respond(req, res) }, this.delayMs).unref(); return }
    this.respond(req, res)
  }

  private respond (req: http.IncomingMessage, res: http.ServerResponse): void {
    if (req.url === '/.well-known/openid-configuration') {
      this.discoveryFetches++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ issuer: this.discoveryIssuer ?? this.url, jwks_uri: `${this.url}/jwks` }))
    } else if (req.url === '/jwks') {
      this.jwksFetches++
      switch (this.jwksMode) {
        case 'status-500': res.statusCode = 500; res.end('{"keys": []}'); return
        case 'redirect': res.writeHead(302, { location: this.redirectTo }).end(); return
        case 'html': res.setHeader('content-type', 'text/html'); res.end('<html><body>Sign in</body></html>'); return
        case 'not-a-key-set': res.setHeader('content-type', 'application/json'); res.end('{"error": "maintenance"}'); return
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({ keys: this.published.map(k => ({ ...this.keys.get(k)!.publicJwk, kid: k, alg: this.keys.get(k)!.alg, use: 'sig' })) }))
    } else {
      res.statusCode = 404
      res.end()
    }
  }

  async addKey (kid: string, alg: Alg = 'RS256', publish = true): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    const { exportSPKI } = await import('jose')
    this.keys.set(kid, { kid, alg, privateKey, publicJwk: await exportJWK(publicKey), publicPem: await exportSPKI(publicKey) })
    if (publish) this.published.push(kid)
  }

  publicPem (kid: string): string { return this.keys.get(kid)!.publicPem }

  /**
   * Publishes a 1024-bit RSA key and returns a token signed with it. jose
   * refuses to sign with such a key, so node:crypto signs.
   */
  async signWithWeakKey (kid: string, claims: Record<string, unknown>): Promise<string> {
    const { generateKeyPairSync, sign } = await import('node:crypto')
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const publicJwk = publicKey.export({ format: 'jwk' }) as JWK
    this.keys.set(kid, { kid, alg: 'RS256', privateKey: undefined as unknown as CryptoKey, publicJwk, publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() })
    this.published.push(kid)
    const now = Math.floor(Date.now() / 1000)
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
    const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid })}.${b64({ iss: this.url, iat: now, exp: now + 300, sub: 'weak', jti: `jti-${now}-${kid}`, ...claims })}`
    return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`
  }

  /** Signs claims; defaults make a valid token for this issuer. */
  async sign (claims: Record<string, unknown>, opts: { kid?: string | null, typ?: string, alg?: Alg, issuer?: string } = {}): Promise<string> {
    const kid = opts.kid === undefined ? this.published[0]! : opts.kid
    const key = this.keys.get(kid ?? this.published[0]!)!
    const now = Math.floor(Date.now() / 1000)
    const payload = { iss: opts.issuer ?? this.url, iat: now, exp: now + 300, sub: 'subject-1', jti: `jti-${Math.random().toString(36).slice(2)}`, ...claims }
    for (const [k, v] of Object.entries(payload)) if (v === undefined) delete (payload as Record<string, unknown>)[k]
    const header: Record<string, unknown> = { alg: opts.alg ?? key.alg, typ: opts.typ ?? 'at+jwt' }
    if (kid !== null) header.kid = kid
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key.privateKey)
  }

  close (): Promise<void> {
    this.server.closeAllConnections()
    return new Promise(resolve => this.server.close(() => resolve()))
  }
}
