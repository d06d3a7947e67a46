/**
 * One trusted issuer's signing keys: discovery (whose "issuer" must equal
 * the configured one byte for byte), then its JSON Web Key Set, fetched
 * here rather than by jose so that every failure is classified:
 *
 * - an outage (unreachable, a timeout, a status other than 200, a
 *   redirect, which is never followed, or a body that is not a key set)
 *   answers 503 with Retry-After, and only a parsed key set counts as a
 *   refresh, so keys the issuer withdrew stop working after at most the
 *   configured staleness even while its key set is broken;
 * - a misconfiguration (discovery names another issuer) answers 503 too,
 *   but says so, in the body and in the log.
 *
 * While an issuer is failing, fetches back off (1 s doubling to 60 s): any
 * number of requests costs O(1) fetches. An unknown kid refetches at most
 * once per cooldown.
 */
import { createLocalJWKSet, errors as joseErrors, type JWTVerifyGetKey } from 'jose'
import type { IssuerConfig } from '../config.js'
import { AuthUnavailableError } from './errors.js'

const FETCH_TIMEOUT_MS = 5000
const FIRST_BACKOFF_MS = 1000
const MAX_BACKOFF_MS = 60_000
const MAX_DOCUMENT_BYTES = 1024 * 1024

export interface KeysLog { warn: (obj: object, msg: string) => void }

type Failure = 'outage' | 'misconfiguration'

class KeyFetchError extends Error {
  constructor (readonly kind: Failure, message: string) { super(message) }
}

export class IssuerKeys {
  private keySet: ReturnType<typeof createLocalJWKSet> | undefined
  private jwksUri: URL | undefined
  /** When a fetch last produced a valid key set: the staleness clock. */
  private fetchedAt = 0
  /** When a fetch was last started: the unknown-kid cooldown. */
  private lastAttempt = -Infinity
  private failing: { error: AuthUnavailableError, retryAt: number, delayMs: number } | undefined
  private refreshing: Promise<void> | undefined
  private readonly timer: NodeJS.Timeout
  /** Fetches of discovery and the key set started, and those that failed (metrics). */
  readonly stats = { fetches: 0, failures: 0 }

  constructor (readonly cfg: IssuerConfig, private readonly maxStalenessSeconds: number, private readonly cooldownSeconds: number, private readonly log: KeysLog) {
    // Refresh in the background so a healthy issuer's removed keys stop working
    // and the staleness clock only runs while the issuer is really down.
    const every = Math.max(5, Math.min(600, maxStalenessSeconds / 2)) * 1000
    this.timer = setInterval(() => { if (this.keySet !== undefined) this.refresh().catch(() => {}) }, every).unref()
  }

  close (): void { clearInterval(this.timer) }

  private get stale (): boolean {
    return Date.now() - this.fetchedAt > this.maxStalenessSeconds * 1000
  }

  /** The key resolver for jwtVerify; throws AuthUnavailableError when no trustworthy keys can be had. */
  async keys (): Promise<JWTVerifyGetKey> {
    if (this.keySet === undefined || this.stale) {
      try {
        await this.refresh()
      } catch (err) {
        if (this.keySet === undefined || this.stale) throw err
      }
    }
    return this.resolve
  }

  private readonly resolve: JWTVerifyGetKey = async (header, token) => {
    try {
      return await this.keySet!(header, token)
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey) || Date.now() - this.lastAttempt < this.cooldownSeconds * 1000) throw err
      // A kid we do not know: perhaps a key the issuer just added.
      await this.refresh()
      return await this.keySet!(header, token)
    }
  }

  /** One fetch at a time; none at all while backing off from a failure (its error is answered again). */
  private async refresh (): Promise<void> {
    if (this.failing !== undefined && Date.now() < this.failing.retryAt) throw this.failing.error
    this.refreshing ??= this.fetchKeys().finally(() => { this.refreshing = undefined })
    await this.refreshing
  }

  private async fetchKeys (): Promise<void> {
    this.lastAttempt = Date.now()
    this.stats.fetches++
    try {
      this.jwksUri ??= await this.discover()
      const doc = await fetchJson(this.jwksUri, 'the key set')
      let keySet: ReturnType<typeof createLocalJWKSet>
      try {
        keySet = createLocalJWKSet(doc as never)
      } catch {
        throw new KeyFetchError('outage', 'the key set is not a JSON Web Key Set')
      }
      this.keySet = keySet
      this.fetchedAt = Date.now()
      this.failing = undefined
    } catch (err) {
      const failure = err instanceof KeyFetchError ? err : new KeyFetchError('outage', (err as Error).message)
      this.stats.failures++
      const delayMs = Math.min(MAX_BACKOFF_MS, this.failing === undefined ? FIRST_BACKOFF_MS : this.failing.delayMs * 2)
      const error = new AuthUnavailableError(this.cfg.issuer, failure.kind, failure.message, Math.ceil(delayMs / 1000))
      this.failing = { error, retryAt: Date.now() + delayMs, delayMs }
      this.log.warn({ issuer: this.cfg.issuer, failure: failure.kind, reason: failure.message, retryInMs: delayMs, keysUsableFor: this.keySet === undefined ? 0 : Math.max(0, this.maxStalenessSeconds * 1000 - (Date.now() - this.fetchedAt)) }, `issuer keys: ${failure.kind}`)
      throw error
    }
  }

  private async discover (): Promise<URL> {
    const url = new URL(this.cfg.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration')
    const doc = await fetchJson(url, 'discovery') as { issuer?: unknown, jwks_uri?: unknown }
    if (doc.issuer !== this.cfg.issuer) {
      throw new KeyFetchError('misconfiguration', `discovery names issuer ${JSON.stringify(String(doc.issuer)).slice(0, 200)}, not the configured ${this.cfg.issuer}`)
    }
    if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) throw new KeyFetchError('misconfiguration', 'discovery has no valid jwks_uri')
    return new URL(doc.jwks_uri)
  }
}

/** GET a JSON document: a redirect is not followed, and anything but 200 with JSON is an outage. */
async function fetchJson (url: URL, what: string): Promise<unknown> {
  let res: Response
  try {
    const get = async (): Promise<Response> => await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'manual', headers: { accept: 'application/json' } })
    // A pooled connection the issuer closed (a restart) fails once; the GET is safe to repeat, but not after a timeout.
    res = await get().catch(async (err: Error) => { if (err.name === 'TimeoutError') throw err; return await get() })
  } catch (err) {
    const cause = (err as Error).name === 'TimeoutError' ? `no answer within ${FETCH_TIMEOUT_MS} ms` : ((err as { cause?: Error }).cause?.message ?? (err as Error).message)
    throw new KeyFetchError('outage', `${what} is unreachable: ${cause}`)
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw new KeyFetchError('outage', `${what} answered ${res.status}${res.status >= 300 && res.status < 400 ? ' (a redirect, not followed)' : ''}`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += chunk.length
    if (size > MAX_DOCUMENT_BYTES) throw new KeyFetchError('outage', `${what} is larger than ${MAX_DOCUMENT_BYTES} bytes`)
    chunks.push(chunk)
  }
  let doc: unknown
  try {
    doc = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    doc = undefined
  }
  if (typeof doc !== 'object' || doc === null) throw new KeyFetchError('outage', `${what} is not a JSON object (${(res.headers.get('content-type') ?? 'no content type').slice(0, 60)})`)
  return doc
}
