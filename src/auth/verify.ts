/**
 * Verifies a bearer token: the issuer is chosen by the unverified "iss"
 * among configured issuers only (an unknown issuer costs no request),
 * then jose checks signature, algorithm, type, audience and times against
 * that issuer's own keys and policy.
 */
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import type { AuthConfig, IssuerConfig } from '../config.js'
import { DepotError } from '../errors.js'
import { InvalidTokenError } from './errors.js'
import { IssuerKeys, type KeysLog } from './issuer-keys.js'

export interface Principal {
  readonly issuer: IssuerConfig
  readonly claims: JWTPayload & Record<string, unknown>
  readonly kid: string
}

/** The log-safe identity of a token: never the token itself. */
export function principalLog (p: Principal): Record<string, unknown> {
  return { iss: p.claims.iss, sub: p.claims.sub, jti: p.claims.jti, kid: p.kid, client: p.claims.client_id }
}

/** Where one issuer's verification keys come from: its remote JWKS, or the depot's own key store. */
export interface KeySource {
  readonly cfg: IssuerConfig
  keys: () => Promise<JWTVerifyGetKey>
  close?: () => void
  /** Fetches and failures of a remote key set; absent for the depot's own keys. */
  readonly stats?: { readonly fetches: number, readonly failures: number }
}

export interface IssuerState { readonly issuer: string, readonly ok: boolean, readonly reason?: string, readonly fetches?: number, readonly failures?: number }

export class TokenVerifier {
  private readonly byIssuer = new Map<string, KeySource>()

  constructor (readonly cfg: AuthConfig, depotIssuer: KeySource | null, private readonly log: KeysLog) {
    for (const i of cfg.issuers) this.byIssuer.set(i.issuer, new IssuerKeys(i, cfg.jwksMaxStaleness, cfg.jwksCooldown, log))
    if (depotIssuer !== null) this.byIssuer.set(depotIssuer.cfg.issuer, depotIssuer)
  }

  close (): void { for (const k of this.byIssuer.values()) k.close?.() }

  /** Whether each issuer's keys can be had now (fetched if need be, within the backoff): write readiness. */
  async issuerStates (): Promise<IssuerState[]> {
    return await Promise.all([...this.byIssuer.values()].map(async k => {
      const counts = k.stats === undefined ? {} : { fetches: k.stats.fetches, failures: k.stats.failures }
      try {
        await k.keys()
        return { issuer: k.cfg.issuer, ok: true, ...counts }
      } catch (err) {
        return { issuer: k.cfg.issuer, ok: false, reason: (err as Error).message, ...counts }
      }
    }))
  }

  /** Key-set fetches and failures per remote issuer, without fetching (metrics). */
  keyStats (): Array<{ issuer: string, fetches: number, failures: number }> {
    return [...this.byIssuer.values()].flatMap(k => k.stats === undefined ? [] : [{ issuer: k.cfg.issuer, fetches: k.stats.fetches, failures: k.stats.failures }])
  }

  get resourceMetadataUrl (): string {
    return new URL('/.well-known/oauth-protected-resource', this.cfg.resource).toString()
  }

  async verify (token: string): Promise<Principal> {
    const invalid = (why: string): InvalidTokenError => new InvalidTokenError(why, this.resourceMetadataUrl)
    if (token.length > this.cfg.maxTokenBytes) throw invalid('token too large')
    let header: ReturnType<typeof decodeProtectedHeader>
    let unverified: JWTPayload
    try {
      header = decodeProtectedHeader(token)
      unverified = decodeJwt(token)
    } catch {
      throw invalid('not a signed JWT')
    }
    if (token.split('.').length !== 3) throw invalid('not a signed JWT')
    const keys = typeof unverified.iss === 'string' ? this.byIssuer.get(unverified.iss) : undefined
    if (!keys) throw invalid('issuer not trusted by this depot')
    if (typeof header.kid !== 'string' || header.kid === '') throw invalid('kid required')
    const issuer = keys.cfg
    if (issuer.tokenType === 'JWT') {
      const aud = unverified.aud
      const single = typeof aud === 'string' ? aud : Array.isArray(aud) && aud.length === 1 ? aud[0] : undefined
      if (single === undefined || !issuer.audiences.includes(single)) throw invalid('audience must be exactly this depot')
    }
    try {
      const { payload } = await jwtVerify(token, await keys.keys(), {
        issuer: issuer.issuer,
        audience: [...issuer.audiences],
        algorithms: [...issuer.algorithms],
        typ: issuer.tokenType,
        clockTolerance: issuer.clockTolerance,
        maxTokenAge: issuer.maxTokenAge,
        requiredClaims: [...issuer.requiredClaims]
      })
      if (typeof payload.exp === 'number' && typeof payload.iat === 'number' && payload.exp - payload.iat > issuer.maxLifetime) {
        throw invalid(`token lifetime exceeds ${issuer.maxLifetime} seconds`)
      }
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string') throw invalid('sub and jti must be strings')
      return { issuer, claims: payload as Principal['claims'], kid: header.kid }
    } catch (err) {
      // Outages and misconfigured issuers come from the key source, already classified (503).
      if (err instanceof DepotError) throw err
      if (err instanceof joseErrors.JOSEError) throw invalid(describeJoseError(err))
      // The keys were had, and the crypto library refused the one the token names (an RSA key
      // under 2048 bits, a curve it does not take): no retry will help, so not a 503.
      this.log.warn({ issuer: issuer.issuer, kid: header.kid, failure: 'misconfiguration', reason: (err as Error).message }, 'issuer key refused')
      throw invalid(`the issuer's key ${header.kid} cannot be used (${(err as Error).message})`)
    }
  }
}

function describeJoseError (err: joseErrors.JOSEError): string {
  switch (err.code) {
    case 'ERR_JWT_EXPIRED': return 'token expired'
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'signature algorithm not allowed'
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'signature verification failed'
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no key of the issuer matches the token'
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const e = err as joseErrors.JWTClaimValidationFailed
      return `claim ${e.claim} failed: ${e.reason}`
    }
    default: return 'token is not valid'
  }
}
