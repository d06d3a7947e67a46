/**
 * The CI side of trusted publishing: get the job's OIDC ID token (GitHub
 * Actions' token service, with the audience the depot asks for) and trade
 * it at the depot for a short-lived depot token.
 */
const TIMEOUT_MS = 10_000
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'

export function inGitHubActions (env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
}

/** The audience the depot expects from GitHub's issuer, from its protected-resource metadata. */
async function githubAudience (depot: string): Promise<string> {
  const res = await fetch(new URL('/.well-known/oauth-protected-resource', depot), { signal: AbortSignal.timeout(TIMEOUT_MS) })
  const meta = await res.json() as { ips_depot_exchange?: { audiences?: Record<string, string[]> } | null }
  const audiences = meta.ips_depot_exchange?.audiences ?? {}
  const aud = (audiences[GITHUB_ISSUER] ?? Object.values(audiences)[0])?.[0]
  if (aud === undefined) throw new Error(`${depot} does not offer trusted publishing`)
  return aud
}

/** A fresh ID token from GitHub Actions (each request gets a new jti, so each may be exchanged once). */
export async function ciIdToken (depot: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (!inGitHubActions(env)) throw new Error('no CI ID token: ACTIONS_ID_TOKEN_REQUEST_URL is not set (does the job have "permissions: id-token: write"?)')
  const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!)
  url.searchParams.set('audience', await githubAudience(depot))
  const res = await fetch(url, { headers: { authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN}` }, signal: AbortSignal.timeout(TIMEOUT_MS) })
  const body = await res.json().catch(() => ({})) as { value?: string }
  if (!res.ok || typeof body.value !== 'string') throw new Error(`GitHub's token service answered ${res.status}`)
  return body.value
}

/** The depot token for a CI token; the depot's refusal (which claim failed) is passed on as is. */
export async function exchangeCiToken (depot: string, ciToken: string, publisher?: string): Promise<string> {
  const res = await fetch(new URL('/api/v1/token/exchange', depot), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: ciToken, ...(publisher === undefined ? {} : { publisher }) }),
    signal: AbortSignal.timeout(TIMEOUT_MS)
  })
  const body = await res.json().catch(() => ({})) as { token?: string, detail?: string }
  if (!res.ok || typeof body.token !== 'string') throw new Error(`token exchange refused (${res.status}): ${body.detail ?? 'no detail'}`)
  return body.token
}
