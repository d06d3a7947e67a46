/**
 * RFC 6750 errors: each knows its status and the WWW-Authenticate
 * challenge a client (or CI job) is shown. Descriptions never contain the
 * token or key material.
 */
import { DepotError } from '../errors.js'

export const REALM = 'depot'

function challenge (params: Record<string, string | undefined>): string {
  const parts = Object.entries(params).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${v!.replace(/["\\\r\n]/g, ' ')}"`)
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

/** The issuer's keys cannot be had: fail closed, and say it is temporary (never a 401). */
export class AuthUnavailableError extends DepotError {
  constructor (issuer: string) {
    super('ERR_AUTH_UNAVAILABLE', 503, `The keys of issuer ${issuer} cannot be obtained right now; try again later.`, { 'Retry-After': '30' })
  }
}
