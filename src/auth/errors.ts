/**
 * RFC 6750 errors: each knows its status and the WWW-Authenticate
 * challenge a client (or CI job) is shown. Descriptions never contain the
 * token or key material.
 */
import { DepotError } from '../errors.js'

export const REALM = 'depot'

/**
 * A quoted-string parameter (RFC 9110) from any text, a claim or a name
 * from the URL included: visible ASCII only, so the header is always valid.
 */
function quoted (text: string): string {
  return text.slice(0, 500).replace(/[^\x20-\x7e]|["\\]/g, '?')
}

function challenge (params: Record<string, string | undefined>): string {
  const parts = Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}="${quoted(v!)}"`)
  return `Bearer ${parts.join(', ')}`
}

export class MissingCredentialsError extends DepotError {
  constructor (resourceMetadata?: string) {
    super('ERR_AUTH_REQUIRED', 401, 'This operation requires a bearer token.', { 'WWW-Authenticate': challenge({ realm: REALM, resource_metadata: resourceMetadata }) })
  }
}

export class InvalidTokenError extends DepotError {
  constructor (description: string, resourceMetadata?: string) {
    super('ERR_INVALID_TOKEN', 401, `Invalid token: ${description}`, { 'WWW-Authenticate': challenge({ realm: REALM, error: 'invalid_token', error_description: description, resource_metadata: resourceMetadata }) })
  }
}

export class InsufficientScopeError extends DepotError {
  constructor (scope: string, description: string) {
    super('ERR_INSUFFICIENT_SCOPE', 403, `Not allowed: ${description}`, { 'WWW-Authenticate': challenge({ realm: REALM, error: 'insufficient_scope', error_description: description, scope }) })
  }
}

export class InvalidAuthRequestError extends DepotError {
  constructor (description: string) {
    super('ERR_INVALID_REQUEST', 400, `Invalid request: ${description}`, { 'WWW-Authenticate': challenge({ realm: REALM, error: 'invalid_request', error_description: description }) })
  }
}

/**
 * The issuer's keys cannot be had: fail closed, never a 401 (the token may
 * be fine). An outage is temporary; a misconfiguration needs the operator,
 * and says so.
 */
export class AuthUnavailableError extends DepotError {
  constructor (issuer: string, readonly failure: 'outage' | 'misconfiguration', reason: string, retryAfterSeconds: number) {
    super(failure === 'outage' ? 'ERR_AUTH_UNAVAILABLE' : 'ERR_AUTH_MISCONFIGURED', 503,
      failure === 'outage'
        ? `The keys of issuer ${issuer} cannot be obtained right now (${reason}); try again later.`
        : `Tokens of issuer ${issuer} cannot be verified: the depot's configuration does not match the issuer (${reason}). Tell the depot's operator.`,
      { 'Retry-After': String(retryAfterSeconds) })
  }
}
