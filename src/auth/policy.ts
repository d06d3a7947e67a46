/**
 * Who may do what: entitlements from the token's claims (scopes, roles,
 * publisher list) and from trusted-publisher bindings in the config, then
 * a default-deny decision that says which condition failed.
 */
import type { BindingConfig, DepotAction } from '../config.js'
import { claimStrings, resolveClaim } from './claims.js'
import { InsufficientScopeError } from './errors.js'
import type { Principal } from './verify.js'

/** GitHub compares these case-insensitively; IDs are exact. */
const CASE_INSENSITIVE = new Set(['repository', 'repository_owner', 'environment'])

function globMatch (pattern: string, value: string, ci: boolean): boolean {
  const re = new RegExp('^' + pattern.split(/([*?])/).map(p => p === '*' ? '.*' : p === '?' ? '.' : p.replace(/[.+^${}()|[\]\\/]/g, '\\$&')).join('') + '$', ci ? 'i' : '')
  return re.test(value)
}

/** The workflow file a GitHub token's workflow_ref names: "o/r/.github/workflows/release.yml@refs/…" -> "release.yml". */
function claimForBinding (claims: Record<string, unknown>, name: string): unknown {
  if (name === 'workflow' && !Object.hasOwn(claims, 'workflow_path')) {
    const ref = claims.workflow_ref
    if (typeof ref !== 'string') return undefined
    const m = /\/\.github\/workflows\/([^@]+)@/.exec(ref)
    return m?.[1]
  }
  return resolveClaim(claims, name)
}

export interface BindingMismatch {
  readonly claim: string
  readonly got: string | null
  readonly want: string
}

/** Which claim failed, with both values: bindings hold no secrets, and CI users need to see what differs. */
export function describeMismatch (publisher: string, m: BindingMismatch): string {
  const got = m.got === null ? 'no such claim' : `'${m.got.slice(0, 200)}'`
  return `the binding for publisher ${publisher} does not match claim ${m.claim} (token: ${got}; binding: ${m.want})`
}

/** The first claim a binding requires that the token does not satisfy, or null when it matches. */
export function bindingMismatch (b: BindingConfig, claims: Record<string, unknown>): BindingMismatch | null {
  const event = claims.event_name
  if (typeof event === 'string' && b.denyEvents.includes(event)) return { claim: 'event_name', got: event, want: `not ${b.denyEvents.join(' or ')}` }
  for (const [name, want] of Object.entries(b.match)) {
    const got = claimForBinding(claims, name)
    const value = typeof got === 'number' ? String(got) : got
    if (typeof value !== 'string') return { claim: name, got: null, want: `'${want}'` }
    const ci = CASE_INSENSITIVE.has(name)
    const ok = /[*?]/.test(want) ? globMatch(want, value, ci) : ci ? want.toLowerCase() === value.toLowerCase() : want === value
    if (!ok) return { claim: name, got: value, want: `'${want}'` }
  }
  return null
}

/**
 * Allows (publisher, action) or throws 403 insufficient_scope. A null
 * publisher means every publisher at once, which only the admin role grants.
 */
export function authorize (p: Principal, bindings: readonly BindingConfig[], publisher: string | null, action: DepotAction): void {
  const issuer = p.issuer
  const scope = issuer.actionScopes[action][0] ?? `depot:${action}`
  const deny = (why: string): never => { throw new InsufficientScopeError(scope, why) }
  const roles = issuer.rolesClaim === null ? [] : claimStrings(resolveClaim(p.claims, issuer.rolesClaim), false)
  if (issuer.adminRole !== null && roles.includes(issuer.adminRole)) return
  if (publisher === null) deny(`${action} of every publisher needs the admin role`)

  const scopes = new Set(issuer.scopesClaims.flatMap(path => claimStrings(resolveClaim(p.claims, path), true)))
  const scoped = issuer.actionScopes[action].some(s => scopes.has(s)) ||
    (issuer.publisherRole !== null && roles.includes(issuer.publisherRole) && action === 'publish')
  const publishers = issuer.publishersClaim === null ? [] : claimStrings(resolveClaim(p.claims, issuer.publishersClaim), false)
  if (scoped && publishers.includes(publisher!)) return

  const candidates = bindings.filter(b => b.issuer === issuer.id && b.publisher === publisher && b.actions.includes(action))
  let mismatch: BindingMismatch | null = null
  for (const b of candidates) {
    mismatch = bindingMismatch(b, p.claims)
    if (mismatch === null) return
  }
  if (mismatch !== null) deny(describeMismatch(publisher!, mismatch))
  if (!publishers.includes(publisher!)) deny(`publisher ${publisher} is not granted to this token`)
  deny(`the token has no scope for ${action} (needs one of: ${issuer.actionScopes[action].join(', ') || 'none configured'})`)
}
