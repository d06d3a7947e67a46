/**
 * Trusted publishing: which publisher a CI job's ID token may get a depot
 * token for. Only bindings (immutable claims in the depot's config) grant
 * it; the first failing claim is named so a CI user can fix the binding or
 * the workflow.
 */
import type { BindingConfig } from '../config.js'
import { DEPOT_ISSUER_ID } from '../config.js'
import { BadRequestError } from '../errors.js'
import { DEPOT_SCOPE } from './depot-issuer.js'
import { InsufficientScopeError, InvalidTokenError } from './errors.js'
import { type BindingMismatch, bindingMismatch, describeMismatch } from './policy.js'
import type { Principal } from './verify.js'

/** Never trusted, whatever a binding says: it runs a fork's code with the base repository's identity. */
const UNTRUSTED_EVENTS = new Set(['pull_request_target'])

export function exchangePublisher (p: Principal, bindings: readonly BindingConfig[], requested: string | null): string {
  const deny = (why: string): never => { throw new InsufficientScopeError(DEPOT_SCOPE, why) }
  if (p.issuer.id === DEPOT_ISSUER_ID) throw new InvalidTokenError('a depot token cannot be exchanged; exchange the CI job\'s ID token')
  const event = p.claims.event_name
  if (typeof event === 'string' && UNTRUSTED_EVENTS.has(event)) deny(`claim event_name: ${event} is never trusted for publishing`)
  const candidates = bindings.filter(b => b.issuer === p.issuer.id && b.actions.includes('publish') && (requested === null || b.publisher === requested))
  if (candidates.length === 0) {
    deny(`no trusted publisher binding for issuer ${p.issuer.id}${requested === null ? '' : ` and publisher ${requested}`}`)
  }
  const matched = new Set<string>()
  let first: { publisher: string, mismatch: BindingMismatch } | null = null
  for (const b of candidates) {
    const mismatch = bindingMismatch(b, p.claims)
    if (mismatch === null) matched.add(b.publisher)
    else first ??= { publisher: b.publisher, mismatch }
  }
  if (matched.size === 0) deny(describeMismatch(first!.publisher, first!.mismatch))
  if (matched.size > 1) throw new BadRequestError(`the token matches the bindings of several publishers (${[...matched].sort().join(', ')}); name one with "publisher"`)
  return [...matched][0]!
}
