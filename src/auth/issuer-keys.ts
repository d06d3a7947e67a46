/**
 * One trusted issuer's signing keys: discovery (whose "issuer" must equal
 * the configured one byte for byte), then a jose remote JWKS. An unknown
 * kid refetches at most once per cooldown; keys stay usable while the
 * issuer is down for at most the configured staleness; beyond that, or
 * with no keys at all, verification fails closed with 503.
 */
import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose'
import type { IssuerConfig } from '../config.js'
import { AuthUnavailableError } from './errors.js'

const FETCH_TIMEOUT_MS = 5000
const DISCOVERY_RETRY_MS = 10_000

export class IssuerKeys {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined
  private discovery: Promise<void> | undefined
  private lastDiscoveryFailure = 0
  private lastKeyFetch = 0
  private readonly timer: NodeJS.Timeout

  constructor (readonly cfg: IssuerConfig, private readonly maxStalenessSeconds: number, private readonly cooldownSeconds: number) {
    // Refresh in the background so a healthy issuer's removed keys stop working
    // and the staleness clock only runs while the issuer is really down.
    const every = Math.max(5, Math.min(600, maxStalenessSeconds / 2)) * 1000
    this.timer = setInterval(() => { this.jwks?.reload().catch(() => {}) }, every).unref()
  }

  close (): void { clearInterval(this.timer) }

  private readonly recordingFetch = async (url: string, options: RequestInit): Promise<Response> => {
    // A pooled connection the issuer closed (a restart) fails once; the GET is safe to repeat.
    const res = await fetch(url, options).catch(async () => fetch(url, options))
    if (res.ok) this.lastKeyFetch = Date.now()
    return res
  }

  private async discover (): Promise<void> {
    const url = this.cfg.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration'
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' })
    if (!res.ok) throw new Error(`discovery answered ${res.status}`)
    const doc = await res.json() as { issuer?: unknown, jwks_uri?: unknown }
    if (doc.issuer !== this.cfg.issuer) throw new Error('discovery issuer does not match the configured issuer')
    if (typeof doc.jwks_uri !== 'string') throw new Error('discovery has no jwks_uri')
    this.jwks = createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      cooldownDuration: this.cooldownSeconds * 1000,
      cacheMaxAge: Infinity,
      [customFetch]: this.recordingFetch
    })
  }

  /** The key resolver for jwtVerify; throws AuthUnavailableError when no trustworthy keys can be had. */
  async keys (): Promise<JWTVerifyGetKey> {
    if (this.jwks === undefined) {
      if (Date.now() - this.lastDiscoveryFailure < DISCOVERY_RETRY_MS) throw new AuthUnavailableError(this.cfg.issuer)
      this.discovery ??= this.discover().finally(() => { this.discovery = undefined })
      try {
        await this.discovery
      } catch {
        this.lastDiscoveryFailure = Date.now()
        throw new AuthUnavailableError(this.cfg.issuer)
      }
    }
    const jwks = this.jwks!
    if (this.lastKeyFetch !== 0 && Date.now() - this.lastKeyFetch > this.maxStalenessSeconds * 1000) {
      await jwks.reload().catch(() => {})
      if (Date.now() - this.lastKeyFetch > this.maxStalenessSeconds * 1000) throw new AuthUnavailableError(this.cfg.issuer)
    }
    return jwks
  }
}
