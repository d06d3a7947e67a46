/**
 * The depot as the issuer of its own short-lived tokens. They are
 * verified like any configured issuer's (same jwtVerify policy, same
 * authorization rules); only the keys come from the local key store
 * instead of a remote JWKS.
 */
import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, type JWTVerifyGetKey, SignJWT } from 'jose'
import { DEPOT_ISSUER_ID, type DepotTokensConfig, type IssuerConfig } from '../config.js'
import { DepotKeyStore } from './depot-keys.js'

export const DEPOT_SCOPE = 'depot:publish'
const CLOCK_TOLERANCE = 30

/** How the depot's tokens are verified: what a configured issuer's [[auth.issuers]] entry would say. */
export function depotIssuerConfig (tokens: DepotTokensConfig, resource: string): IssuerConfig {
  return {
    id: DEPOT_ISSUER_ID,
    issuer: tokens.issuer,
    audiences: [resource],
    algorithms: [tokens.algorithm],
    tokenType: 'at+jwt',
    clockTolerance: CLOCK_TOLERANCE,
    maxTokenAge: tokens.lifetime + CLOCK_TOLERANCE,
    maxLifetime: tokens.lifetime,
    requiredClaims: ['exp', 'iat', 'sub', 'jti'],
    scopesClaims: ['/scope'],
    rolesClaim: null,
    publishersClaim: '/depot_publishers',
    actionScopes: { publish: [DEPOT_SCOPE], rebuild: [], remove: [] },
    adminRole: null,
    publisherRole: null,
    singleUseJti: false,
    login: null,
    provenanceLinks: 'none'
  }
}

export interface MintedToken {
  readonly token: string
  readonly expiresIn: number
}

export class DepotIssuer {
  readonly cfg: IssuerConfig
  readonly store: DepotKeyStore
  private localSet: { jwks: string, resolve: JWTVerifyGetKey } | undefined

  constructor (readonly tokens: DepotTokensConfig, readonly resource: string, keysDir: string) {
    this.cfg = depotIssuerConfig(tokens, resource)
    this.store = new DepotKeyStore(keysDir, tokens.lifetime + CLOCK_TOLERANCE)
  }

  /**
   * A token for one publisher's publish action, on behalf of `actor`: the
   * exchanged CI token's issuer, subject and job claims, carried as "act"
   * (RFC 8693) so that each publish records where it came from.
   */
  async mint (publisher: string, actor: Readonly<Record<string, string>> & { iss: string, sub: string }): Promise<MintedToken> {
    const { kid, alg, key } = await this.store.signingKey(this.tokens.algorithm)
    const token = await new SignJWT({ scope: DEPOT_SCOPE, depot_publishers: [publisher], act: actor })
      .setProtectedHeader({ alg, kid, typ: 'at+jwt' })
      .setIssuer(this.tokens.issuer)
      .setAudience(this.resource)
      .setSubject(actor.sub)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${this.tokens.lifetime}s`)
      .sign(key)
    return { token, expiresIn: this.tokens.lifetime }
  }

  /** The verification keys, following rotations made by this or another process. */
  async keys (): Promise<JWTVerifyGetKey> {
    const jwks = this.store.jwks()
    const text = JSON.stringify(jwks)
    if (this.localSet?.jwks !== text) this.localSet = { jwks: text, resolve: createLocalJWKSet(jwks) }
    return this.localSet.resolve
  }

  discovery (): Record<string, unknown> {
    const base = this.tokens.issuer.replace(/\/$/, '')
    return {
      issuer: this.tokens.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      token_endpoint: `${base}/api/v1/token/exchange`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:token-exchange'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: [DEPOT_SCOPE],
      id_token_signing_alg_values_supported: [this.tokens.algorithm]
    }
  }

}
