/**
 * The auth plugin: bearer-token extraction (RFC 6750: one Authorization
 * header, never a token in the query), verification and authorization,
 * an audit record of every decision, and the RFC 9728 metadata document.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InvalidAuthRequestError, InvalidTokenError, MissingCredentialsError } from '../auth/errors.js'
import { authorize } from '../auth/policy.js'
import { type Principal, principalLog, TokenVerifier } from '../auth/verify.js'
import type { AuthConfig, DepotAction } from '../config.js'
import { DepotError } from '../errors.js'
import type { Repository } from '../store/repository.js'

export interface AccessRequest {
  readonly publisher: string | null
  readonly action: DepotAction
  readonly package?: string
  /** Only check that the token is valid: the request names no publisher the handler will find. */
  readonly authenticateOnly?: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authorized caller of a protected route. */
    principal: Principal | null
  }
  interface FastifyInstance {
    /** Null when no issuer is configured: the depot is read-only. */
    authGuard: AuthGuard | null
  }
}

export class AuthGuard {
  readonly verifier: TokenVerifier

  constructor (readonly cfg: AuthConfig, private readonly repo: Repository) {
    this.verifier = new TokenVerifier(cfg)
  }

  private bearer (req: FastifyRequest): string {
    const raw = req.raw.rawHeaders
    let count = 0
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'authorization') count++
    const q = (req.raw.url ?? '').indexOf('?')
    const inQuery = q !== -1 && new URLSearchParams((req.raw.url ?? '').slice(q + 1)).has('access_token')
    if (count > 1) throw new InvalidAuthRequestError('more than one Authorization header')
    if (inQuery) throw new InvalidAuthRequestError('tokens are accepted in the Authorization header only')
    const header = req.headers.authorization
    if (header === undefined) throw new MissingCredentialsError(this.verifier.resourceMetadataUrl)
    const m = /^([A-Za-z]+)(?: +(.*))?$/.exec(header)
    if (!m || m[1]!.toLowerCase() !== 'bearer') throw new MissingCredentialsError(this.verifier.resourceMetadataUrl)
    const token = (m[2] ?? '').trim()
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new InvalidAuthRequestError('malformed Bearer credentials')
    return token
  }

  /** Authenticates and authorizes a request, recording the decision either way. */
  async check (req: FastifyRequest, access: AccessRequest): Promise<Principal> {
    let principal: Principal | undefined
    try {
      principal = await this.verifier.verify(this.bearer(req))
      if (!access.authenticateOnly) authorize(principal, this.cfg.bindings, access.publisher, access.action)
      if (principal.issuer.singleUseJti) this.claimJti(principal)
      this.audit(req, access, principal, access.authenticateOnly ? 'authenticated' : 'allowed')
      req.principal = principal
      return principal
    } catch (err) {
      const detail = err instanceof DepotError ? err.message : 'internal error'
      this.audit(req, access, principal, err instanceof DepotError ? `refused ${err.status}` : 'error', detail)
      throw err
    }
  }

  /** Spends a single-use token, atomically; only after it was authorized, so a refused request can be retried. */
  private claimJti (p: Principal): void {
    const now = Math.floor(Date.now() / 1000)
    const db = this.repo.db
    db.prepare('DELETE FROM used_jti WHERE expires < ?').run(now)
    const expires = (typeof p.claims.exp === 'number' ? p.claims.exp : now) + p.issuer.clockTolerance
    const claimed = db.prepare('INSERT INTO used_jti (issuer, jti, expires) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(p.issuer.issuer, p.claims.jti, expires)
    if (claimed.changes === 0) throw new InvalidTokenError('token already used', this.verifier.resourceMetadataUrl)
  }

  private audit (req: FastifyRequest, access: AccessRequest, p: Principal | undefined, result: string, detail?: string): void {
    const who = p ? principalLog(p) : {}
    req.log.info({ auth: { ...who, action: access.action, publisher: access.publisher, decision: result } }, 'authorization')
    this.repo.db.prepare(`INSERT INTO audit_log (at, issuer, subject, client_id, jti, action, publisher, package, result, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(Date.now(), str(who.iss), str(who.sub), str(who.client), str(who.jti),
      access.action, access.publisher, access.package ?? null, result, detail ?? null)
  }

  close (): void { this.verifier.close() }
}

const str = (v: unknown): string | null => typeof v === 'string' ? v : null

export const authPlugin = fp(async (app: FastifyInstance, opts: { auth: AuthConfig | null, repo: Repository }) => {
  const guard = opts.auth === null ? null : new AuthGuard(opts.auth, opts.repo)
  app.decorate('authGuard', guard)
  app.decorateRequest('principal', null)
  app.addHook('onClose', async () => { guard?.close() })
  if (guard === null) return
  const cfg = guard.cfg
  app.get('/.well-known/oauth-protected-resource', async (_req, reply) => reply.type('application/json').send({
    resource: cfg.resource,
    authorization_servers: cfg.issuers.map(i => i.issuer),
    bearer_methods_supported: ['header'],
    scopes_supported: [...new Set(cfg.issuers.flatMap(i => [...i.actionScopes.publish, ...i.actionScopes.rebuild]))],
    resource_name: 'ips-depot'
  }))
}, { name: 'auth' })
