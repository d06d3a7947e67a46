/**
 * Where `ips-depot publish` and `auth-proxy` get their bearer token, and
 * keeping it fresh through a long multi-request publish. Explicit flags
 * win; without one, the documented order is: the stored login for the
 * depot, then a trusted-publishing exchange when running in CI, then the
 * IPS_DEPOT_TOKEN environment variable.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import { decodeJwt } from 'jose'
import { loadLogin } from './credentials.js'
import { ciIdToken, exchangeCiToken, inGitHubActions } from './exchange-client.js'
import { loginAccessToken } from './oauth.js'

export type TokenSource =
  | { readonly file: string }
  | { readonly env: string }
  | { readonly command: string }
  | { readonly login: string }
  | { readonly exchange: { readonly depot: string, readonly publisher?: string, readonly ciToken: TokenSource | 'github-actions' } }

const REFRESH_MARGIN_S = 60

/** Reads a token from its source once. */
async function readToken (source: TokenSource): Promise<string> {
  if ('file' in source) return (await fs.promises.readFile(source.file, 'utf8')).trim()
  if ('env' in source) {
    const v = process.env[source.env]
    if (!v) throw new Error(`environment variable ${source.env} is empty`)
    return v.trim()
  }
  if ('command' in source) {
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', source.command], { timeout: 60_000, maxBuffer: 1 << 20 })
    return stdout.trim()
  }
  if ('login' in source) return loginAccessToken(source.login)
  const { depot, publisher, ciToken } = source.exchange
  const ci = ciToken === 'github-actions' ? await ciIdToken(depot) : await readToken(ciToken)
  return exchangeCiToken(depot, ci, publisher)
}

export class TokenProvider {
  private cached: { token: string, exp: number } | null = null
  constructor (readonly source: TokenSource) {}

  /** The current token; re-read when the cached one is within a minute of expiring (or has no exp). */
  async token (): Promise<string> {
    const now = Date.now() / 1000
    if (this.cached && this.cached.exp - REFRESH_MARGIN_S > now) return this.cached.token
    const token = await readToken(this.source)
    let exp = now
    try { exp = decodeJwt(token).exp ?? now } catch { /* opaque token: re-read every time */ }
    this.cached = { token, exp }
    return token
  }
}

export interface TokenFlags {
  readonly 'token-file'?: string | undefined
  readonly 'token-env'?: string | undefined
  readonly 'token-command'?: string | undefined
  readonly 'ci-token-file'?: string | undefined
  readonly 'ci-token-env'?: string | undefined
  readonly publisher?: string | undefined
}

/** The source the flags name, else the first available in the documented order. */
export function chooseTokenSource (depot: string, flags: TokenFlags, env: NodeJS.ProcessEnv = process.env): TokenSource {
  const publisher = flags.publisher === undefined ? {} : { publisher: flags.publisher }
  const explicit: TokenSource[] = []
  if (flags['token-file']) explicit.push({ file: flags['token-file'] })
  if (flags['token-env']) explicit.push({ env: flags['token-env'] })
  if (flags['token-command']) explicit.push({ command: flags['token-command'] })
  if (flags['ci-token-file']) explicit.push({ exchange: { depot, ...publisher, ciToken: { file: flags['ci-token-file'] } } })
  if (flags['ci-token-env']) explicit.push({ exchange: { depot, ...publisher, ciToken: { env: flags['ci-token-env'] } } })
  if (explicit.length > 1) throw new Error('give at most one of --token-file, --token-env, --token-command, --ci-token-file, --ci-token-env')
  if (explicit.length === 1) return explicit[0]!
  if (loadLogin(depot) !== undefined) return { login: depot }
  if (inGitHubActions(env)) return { exchange: { depot, ...publisher, ciToken: 'github-actions' } }
  if (env.IPS_DEPOT_TOKEN) return { env: 'IPS_DEPOT_TOKEN' }
  throw new Error(`no token for ${depot}: run ips-depot login --depot ${depot}, run in a CI job with an ID token, set IPS_DEPOT_TOKEN, or give --token-file, --token-env or --token-command`)
}
