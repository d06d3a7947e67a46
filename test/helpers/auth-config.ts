/** The [auth] section the auth tests run the depot with. */
export function authConfig (corp: string, github: string): string {
  return `
[auth]
resource = "https://depot.test"
jwks_max_staleness = 3600

[[auth.issuers]]
id = "corp"
issuer = "${corp}"
audiences = ["https://depot.test"]
algorithms = ["RS256", "ES256"]
token_type = "at+jwt"
scopes_claim = ["/scope", "/scp"]
publishers_claim = "/depot_publishers"
roles_claim = "/realm_access/roles"
admin_role = "depot-admin"
publisher_role = "depot-publisher"
[auth.issuers.actions]
publish = ["depot:publish"]
rebuild = ["depot:rebuild"]

[[auth.issuers]]
id = "github"
issuer = "${github}"
audiences = ["depot.test"]
algorithms = ["RS256"]
token_type = "JWT"
single_use_jti = true
required_claims = ["repository_id", "repository_owner_id", "workflow_ref"]

[[auth.bindings]]
issuer = "github"
publisher = "test"
actions = ["rebuild"]
deny_events = ["pull_request_target"]
[auth.bindings.match]
repository_owner_id = "1001"
repository_id = "2002"
workflow = "release.yml"
environment = "release"
ref = "refs/tags/v*"
job_workflow_ref = "Example/pkgs/.github/workflows/*@refs/tags/v*"
runner_environment = "github-hosted"
`
}
