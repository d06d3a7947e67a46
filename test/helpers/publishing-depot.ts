/**
 * A depot with an issuer configured (so publishing and admin are on), a
 * local issuer to sign tokens for it, and optional empty publishers. A
 * token with the role depot-admin (in realm_access.roles) is an admin.
 */
import type { Test } from 'tap'
import { addPublisher } from '../../src/store/publish.js'
import { type RunningDepot, startDepot } from './depot.js'
import { LocalIssuer } from './issuer.js'

export interface PublishingDepot {
  readonly depot: RunningDepot
  readonly issuer: LocalIssuer
  /** A token for the depot: publish and rebuild on the given publishers (default test and example.org). */
  token (claims?: Record<string, unknown>): Promise<string>
}

export function authSection (issuerUrl: string): string {
  return `
[auth]
resource = "https://depot.test"
[[auth.issuers]]
id = "corp"
issuer = "${issuerUrl}"
audiences = ["https://depot.test"]
algorithms = ["RS256"]
token_type = "at+jwt"
scopes_claim = "/scope"
publishers_claim = "/depot_publishers"
roles_claim = "/realm_access/roles"
admin_role = "depot-admin"
publisher_role = "depot-publisher"
[auth.issuers.actions]
publish = ["depot:publish"]
rebuild = ["depot:rebuild"]
remove = ["depot:remove"]
`
}

/** `log` receives the depot's log lines (level info) when given. */
export async function startPublishingDepot (t: Test, opts: { source?: string | null, publishers?: ReadonlyArray<[name: string, isDefault: boolean]>, extraConfig?: string, bodyLimit?: number, log?: { write: (line: string) => void } } = {}): Promise<PublishingDepot> {
  const issuer = await LocalIssuer.start()
  await issuer.addKey('k1')
  const depot = await startDepot({
    source: opts.source === undefined ? null : opts.source,
    extraConfig: authSection(issuer.url) + (opts.extraConfig ?? ''),
    ...(opts.bodyLimit === undefined ? {} : { bodyLimit: opts.bodyLimit }),
    ...(opts.log === undefined ? {} : { log: opts.log })
  })
  t.teardown(async () => { await depot.close(); await issuer.close() })
  for (const [name, isDefault] of opts.publishers ?? []) addPublisher(depot.repo, name, isDefault, depot.app.depot.config.publish.catalogFormat)
  return {
    depot,
    issuer,
    token: claims => issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish depot:rebuild', depot_publishers: ['test', 'example.org'], exp: Math.floor(Date.now() / 1000) + 3600, ...claims })
  }
}
