/**
 * What a publish records of the token behind it (store/provenance.ts). A
 * depot token from a CI exchange carries, in its "act" claim, the CI
 * token's issuer and subject and the job claims that say which repository,
 * workflow, ref and commit published: the depot signed that claim itself,
 * so it is trusted as much as the token.
 */
import { DEPOT_ISSUER_ID } from '../config.js'
import type { PublishedBy } from '../store/provenance.js'
import type { Principal } from './verify.js'

/** GitHub Actions and GitLab CI job claims worth keeping; anything else in a CI token is not copied. */
const CI_CLAIMS = ['repository', 'repository_owner', 'workflow', 'job_workflow_ref', 'workflow_ref', 'ref', 'sha', 'run_id', 'run_attempt',
  'environment', 'event_name', 'actor', 'project_path', 'pipeline_id', 'ci_config_ref_uri'] as const
const MAX_CLAIM_CHARS = 512

function strings (source: Record<string, unknown>, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const k of keys) {
    const v = source[k]
    if (typeof v === 'string' && v.length <= MAX_CLAIM_CHARS) out[k] = v
    else if (typeof v === 'number' && Number.isSafeInteger(v)) out[k] = String(v)
  }
  return out
}

/** The "act" claim of a depot token minted for a CI token. */
export function actorClaims (ci: Principal): Record<string, string> {
  return strings(ci.claims, ['iss', 'sub', ...CI_CLAIMS])
}

export function publishedBy (p: Principal, via: PublishedBy['via']): PublishedBy {
  const c = p.claims
  const act = c.act
  const exchanged = p.issuer.id === DEPOT_ISSUER_ID && typeof act === 'object' && act !== null && !Array.isArray(act)
  return {
    issuer: typeof c.iss === 'string' ? c.iss : null,
    subject: typeof c.sub === 'string' ? c.sub : null,
    clientId: typeof c.client_id === 'string' ? c.client_id : null,
    jti: typeof c.jti === 'string' ? c.jti : null,
    via,
    exchangedFrom: exchanged ? strings(act as Record<string, unknown>, ['iss', 'sub', ...CI_CLAIMS]) : null
  }
}
