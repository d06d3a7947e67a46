/**
 * The auth plugin: bearer-token extraction (RFC 6750: one Authorization
 * header, never a token in the query), verification and authorization,
 * an audit record of every decision, and the RFC 9728 metadata document.
 */
import path from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { InvalidAuthRequestError, InvalidTokenError, MissingCredentialsError } from '../auth/errors.js'
import { authorize } from '../auth/policy.js'
import { type Principal, principalLog, TokenVerifier } from '../auth/verify.js'
import type { KeysLog } from '../auth/issuer-keys.js'
import { DepotIssuer } from '../auth/depot-issuer.js'
import { exchangePublisher } from '../auth/exchange.js'
import { actorClaims } from '../auth/provenance.js'
import { type AuthConfig, DEPOT_ACTIONS, type DepotAction } from '../config.js'
import { DepotError } from '../errors.js'
import type { Repository } from '../store/repository.js'
import { spendJti } from '../store/used-jti.js'

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

export interface ExchangedToken {
  readonly token: string
  readonly expiresIn: number
  readonly publisher: string
}

export class AuthGuard {
  readonly verifier: TokenVerifier
  /** Null unless [auth.tokens] is configured: the depot mints no tokens of its own. */
  readonly depotIssuer: DepotIssuer | null

  constructor (readonly cfg: AuthConfig, private readonly repo: Repository, log: KeysLog) {
    this.depotIssuer = cfg.tokens === null ? null : new DepotIssuer(cfg.tokens, cfg.resource, path.join(repo.dataDir, 'keys'))
    this.verifier = new TokenVerifier(cfg, this.depotIssuer, log)
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
    const m = /^([^\s]+)(\s*)(.*)$/s.exec(header)
    if (!m || m[1]!.toLowerCase() !== 'bearer') throw new MissingCredentialsError(this.verifier.resourceMetadataUrl)
    // RFC 6750: "Bearer", one or more spaces, then the token; a tab or no token is malformed, not missing.
    if (!/^ +$/.test(m[2]!)) throw new InvalidAuthRequestError('malformed Bearer credentials: the scheme, a space, then the token')
    const token = m[3]!.trim()
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) throw new InvalidAuthRequestError('malformed Bearer credentials')
    return token
  }

  /**
   * Authenticates and authorizes a request, recording the decision either
   * way. A single-use token is spent unless `spend` is false (whoami only
   * looks at it).
   */
  async check (req: FastifyRequest, access: AccessRequest, spend = true): Promise<Principal> {
    const principal = await this.audited(req, access, async seen => {
      const p = seen.principal = await this.verifier.verify(this.bearer(req))
      if (!access.authenticateOnly) authorize(p, this.cfg.bindings, access.publisher, access.action)
      if (p.issuer.singleUseJti && spend) this.claimJti(p)
      return access.authenticateOnly === true ? 'authenticated' : 'allowed'
    })
    req.principal = principal
    return principal
  }

  /**
   * Trusted publishing: a CI job's ID token (from the request body, not the
   * Authorization header) for a depot token scoped to one publisher and to
   * publish. The CI token is spent: a second exchange of it fails.
   */
  async exchange (req: FastifyRequest, ciToken: string, requested: string | null): Promise<ExchangedToken> {
    const issuer = this.depotIssuer!
    let granted: ExchangedToken | undefined
    await this.audited(req, { publisher: requested, action: 'publish' }, async seen => {
      const p = seen.principal = await this.verifier.verify(ciToken)
      const publisher = exchangePublisher(p, this.cfg.bindings, requested)
      this.claimJti(p)
      granted = { ...(await issuer.mint(publisher, { ...actorClaims(p), iss: p.claims.iss!, sub: p.claims.sub! })), publisher }
      return `exchanged for ${publisher}`
    })
    return granted!
  }

  /** Whether the policy grants (publisher, action); a null publisher means all of them. */
  private allows (p: Principal, publisher: string | null, action: DepotAction): boolean {
    try { authorize(p, this.cfg.bindings, publisher, action); return true } catch (err) { if (err instanceof DepotError) return false; throw err }
  }

  /** Whether the principal holds the admin role: every publisher, every action. */
  isAdmin (p: Principal): boolean { return this.allows(p, null, 'rebuild') }

  /** Every (publisher, action) the request's token is granted, for whoami. */
  async grants (req: FastifyRequest): Promise<{ principal: Principal, admin: boolean, publishers: Record<string, DepotAction[]> }> {
    const principal = await this.check(req, { publisher: null, action: 'publish', authenticateOnly: true }, false)
    const names = new Set([...this.repo.publisherNames(), ...this.cfg.bindings.map(b => b.publisher)])
    const publishers: Record<string, DepotAction[]> = {}
    for (const name of [...names].sort()) {
      const actions = DEPOT_ACTIONS.filter(a => this.allows(principal, name, a))
      if (actions.length > 0) publishers[name] = actions
    }
    return { principal, admin: this.isAdmin(principal), publishers }
  }

  /** Refused decisions since start, by error code (metrics). */
  readonly refusals = new Map<string, number>()

  /** Runs one authentication decision and records it, allowed or refused. */
  private async audited (req: FastifyRequest, access: AccessRequest, decide: (seen: { principal?: Principal }) => Promise<string>): Promise<Principal> {
    const seen: { principal?: Principal } = {}
    try {
      const result = await decide(seen)
      this.audit(req, access, seen.principal, result)
      return seen.principal!
    } catch (err) {
      const detail = err instanceof DepotError ? err.message : 'internal error'
      const code = err instanceof DepotError ? err.code : 'ERR_INTERNAL'
      this.refusals.set(code, (this.refusals.get(code) ?? 0) + 1)
      this.audit(req, access, seen.principal, err instanceof DepotError ? `refused ${err.status}` : 'error', detail)
      throw err
    }
  }

  /** Spends a single-use token, atomically; only after it was authorized, so a refused request can be retried. */
  claimJti (p: Principal): void {
    const expires = (typeof p.claims.exp === 'number' ? p.claims.exp : Math.floor(Date.now() / 1000)) + p.issuer.clockTolerance
    if (!spendJti(this.repo.db, p.issuer.issuer, p.claims.jti!, expires)) throw new InvalidTokenError('token already used', this.verifier.resourceMetadataUrl)
  }

  private audit (req: FastifyRequest, access: AccessRequest, p: Principal | undefined, result: string, detail?: string): void {
    const who = p ? principalLog(p) : {}
    const entry = { auth: { ...who, action: access.action, publisher: access.publisher, decision: result, ...(detail === undefined ? {} : { reason: detail }) } }
    if (detail === undefined) req.log.info(entry, 'authorization'); else req.log.warn(entry, 'authorization refused')
    this.repo.db.prepare(`INSERT INTO audit_log (at, issuer, subject, client_id, jti, action, publisher, package, result, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(Date.now(), str(who.iss), str(who.sub), str(who.client), str(who.jti),
      access.action, access.publisher, access.package ?? null, result, detail ?? null)
  }

  close (): void { this.verifier.close() }
}

const str = (v: unknown): string | null => typeof v === 'string' ? v : null

export const authPlugin = fp(async (app: FastifyInstance, opts: { auth: AuthConfig | null, repo: Repository }) => {
  const guard = opts.auth === null ? null : new AuthGuard(opts.auth, opts.repo, app.log)
  app.decorate('authGuard', guard)
  app.decorateRequest('principal', null)
  app.addHook('onClose', async () => { guard?.close() })
  if (guard === null) return
  const cfg = guard.cfg
  const logins = cfg.issuers.filter(i => i.login !== null).map(i => ({ issuer: i.issuer, client_id: i.login!.clientId, scope: i.login!.scope }))
  const exchangeAudiences = Object.fromEntries(cfg.issuers.filter(i => cfg.bindings.some(b => b.issuer === i.id && b.actions.includes('publish'))).map(i => [i.issuer, i.audiences]))
  const metadata = {
    resource: cfg.resource,
    authorization_servers: cfg.issuers.map(i => i.issuer),
    bearer_methods_supported: ['header'],
    // Every action's scopes: a client reading this learns what remove needs as well as publish and rebuild.
    scopes_supported: [...new Set(cfg.issuers.flatMap(i => DEPOT_ACTIONS.flatMap(a => i.actionScopes[a])))],
    resource_name: 'ips-depot',
    // Extensions (RFC 9728 §2 allows them) the ips-depot CLI reads: where to log in, what audience to ask CI tokens for.
    ...(logins.length === 0 ? {} : { ips_depot_login: logins }),
    ...(guard.depotIssuer === null ? {} : { ips_depot_exchange: { audiences: exchangeAudiences } })
  }
  app.get('/.well-known/oauth-protected-resource', async (_req, reply) => reply.type('application/json').send(metadata))
  const issuer = guard.depotIssuer
  if (issuer === null) return
  // The depot's own issuer: discovery and keys, for whoever verifies its tokens.
  app.get('/.well-known/openid-configuration', async (_req, reply) => reply.type('application/json').send(issuer.discovery()))
  app.get('/.well-known/jwks.json', async (_req, reply) => reply.type('application/jwk-set+json').header('cache-control', 'max-age=60').send(issuer.store.jwks()))
}, { name: 'auth' })
