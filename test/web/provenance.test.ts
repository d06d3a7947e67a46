/**
 * Provenance: who published each version and how, recorded with the
 * publish and shown on the package page and by the provenance API, for the
 * REST upload, the pkg(5) publication protocol and trusted publishing from
 * CI (a GitHub-style ID token exchanged for a depot token).
 */
import t from 'tap'
import { GOLDEN } from '../helpers/depot.js'
import { request } from '../helpers/http.js'
import { LocalIssuer } from '../helpers/issuer.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish, sha1 } from '../helpers/rest-publish.js'

const github = await LocalIssuer.start()
await github.addKey('gh1')
t.teardown(async () => { await github.close() })
const ciConfig = `
[[auth.issuers]]
id = "github"
issuer = "${github.url}"
audiences = ["depot.test"]
algorithms = ["RS256"]
token_type = "JWT"
single_use_jti = true
provenance_links = "github"
[auth.tokens]
issuer = "http://127.0.0.1/"
algorithm = "ES256"
lifetime = 300
exchanges_per_minute = 1000
[[auth.bindings]]
issuer = "github"
publisher = "test"
actions = ["publish"]
[auth.bindings.match]
repository_id = "2002"
environment = "release"
`
const { depot, issuer, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo`, extraConfig: ciConfig })

interface Provenance { publisher: string, stem: string, versions: Array<{ fmri: string, published: string, publications: Array<Record<string, unknown>> }> }
async function provenance (stem: string): Promise<{ status: number, body: Provenance & { detail?: string } }> {
  const res = await fetch(`${depot.url}/api/v1/publishers/test/packages/${encodeURIComponent(stem)}/provenance`)
  return { status: res.status, body: await res.json() as Provenance & { detail?: string } }
}
async function page (stem: string): Promise<string> {
  return await (await fetch(`${depot.url}/test/package/${stem}`)).text()
}
const section = (html: string): string => html.slice(html.indexOf('id="provenance"'), html.indexOf('id="dependencies"'))

const SHA = 'a'.repeat(8) + '0123456789abcdef0123456789abcdef'
async function ciDepotToken (claims: Record<string, unknown>): Promise<string> {
  const ci = await github.sign({
    aud: 'depot.test', sub: 'repo:Example/pkgs:environment:release', repository: 'Example/pkgs', repository_id: '2002', repository_owner_id: '1001',
    workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0', job_workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0',
    ref: 'refs/tags/v1.0', sha: SHA, run_id: '987654', event_name: 'push', environment: 'release', secret_thing: 'not copied', ...claims
  }, { typ: 'JWT' })
  const res = await fetch(`${depot.url}/api/v1/token/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ci }) })
  const body = await res.json() as { token?: string, detail?: string }
  if (res.status !== 200) throw new Error(`exchange: ${res.status} ${body.detail ?? ''}`)
  return body.token!
}

t.test('a REST publish records the token\'s issuer, subject and client, shown on the page and by the API', async t => {
  const alice = await token({ sub: 'alice@example.com', client_id: 'release-bot' })
  const res = await restPublish(depot.url, alice, 'test', 'set name=pkg.fmri value=prov/rest@1.0\n')
  t.equal(res.status, 201)
  const api = await provenance('prov/rest')
  t.equal(api.status, 200)
  t.same(api.body.versions.map(v => v.fmri), [res.fmri])
  t.match(api.body.versions[0]!.publications, [{ via: 'rest', issuer: issuer.url, subject: 'alice@example.com', client_id: 'release-bot', exchanged_from: null }])
  t.match(api.body.versions[0]!.publications[0]!.at, /^\d{4}-\d{2}-\d{2}T/)
  const html = section(await page('prov/rest'))
  t.match(html, 'through the REST upload')
  t.match(html, '<dt>Subject</dt><dd><code>alice@example.com</code></dd>')
  t.match(html, `<dt>Token issuer</dt><dd><code>${issuer.url}</code></dd>`)
  t.match(html, '<dt>Client</dt><dd><code>release-bot</code></dd>')
})

t.test('a pkg(5) transaction (what pkgsend and auth-proxy send) records the subject of the token that closed it', async t => {
  const auth = { Authorization: `Bearer ${await token({ sub: 'bob' })}`, 'Client-Release': '5.11' }
  const opened = await request(depot.port, 'GET', `/open/0/${encodeURIComponent('pkg://test/prov/pkg5@1.0')}`, auth)
  t.equal(opened.status, 200)
  const id = String(opened.headers['transaction-id'])
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/set`, { ...auth, 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=sent by pkgsend' })).status, 200)
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 200)
  const api = await provenance('prov/pkg5')
  t.match(api.body.versions[0]!.publications, [{ via: 'pkg5', subject: 'bob', issuer: issuer.url }])
  t.match(section(await page('prov/pkg5')), 'through the pkg(5) publication protocol')
})

t.test('trusted publishing from CI records the CI token\'s repository, workflow, ref, commit and run, linked to GitHub', async t => {
  const res = await restPublish(depot.url, await ciDepotToken({}), 'test', 'set name=pkg.fmri value=prov/ci@1.0\n')
  t.equal(res.status, 201, res.detail ?? 'published')
  const pub = (await provenance('prov/ci')).body.versions[0]!.publications[0]!
  t.equal(pub.issuer, 'http://127.0.0.1/', 'the token that published is the depot\'s own')
  t.same(pub.exchanged_from, {
    iss: github.url,
    sub: 'repo:Example/pkgs:environment:release',
    repository: 'Example/pkgs',
    workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0',
    job_workflow_ref: 'Example/pkgs/.github/workflows/release.yml@refs/tags/v1.0',
    ref: 'refs/tags/v1.0',
    sha: SHA,
    run_id: '987654',
    event_name: 'push',
    environment: 'release'
  }, 'the job claims, and nothing else of the CI token')
  const html = section(await page('prov/ci'))
  t.match(html, '<h3>Trusted publishing from CI</h3>')
  t.match(html, '<a href="https://github.com/Example/pkgs"><code>Example/pkgs</code></a>')
  t.match(html, `<a href="https://github.com/Example/pkgs/commit/${SHA}"><code>${SHA}</code></a>`)
  t.match(html, '<a href="https://github.com/Example/pkgs/actions/runs/987654"><code>987654</code></a>')
  t.match(html, '<dt>Ref</dt><dd><code>refs/tags/v1.0</code></dd>')
})

t.test('CI claims that are not what GitHub\'s are render as text, escaped, never as links', async t => {
  const res = await restPublish(depot.url, await ciDepotToken({ repository: 'Example/pkgs"><script>alert(1)</script>', sha: 'javascript:alert(1)', run_id: '1 onclick=x' }), 'test', 'set name=pkg.fmri value=prov/hostile@1.0\n')
  t.equal(res.status, 201, res.detail ?? 'published')
  const html = section(await page('prov/hostile'))
  t.notMatch(html, /<script|href="javascript:|github\.com/, 'no markup, no script link, no GitHub link')
  t.match(html, '<dt>Repository</dt><dd><code>Example/pkgs&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</code></dd>', 'shown as written')
  t.match(html, '<dt>Commit</dt><dd><code>javascript:alert(1)</code></dd>')
})

t.test('an imported version has no recorded publish; a refused publish records nothing; the API refuses what it cannot answer', async t => {
  const imported = await provenance('example/hello')
  t.equal(imported.status, 200)
  t.ok(imported.body.versions.length > 1)
  t.ok(imported.body.versions.every(v => v.publications.length === 0), 'imported versions list no publication')
  t.match(section(await page('example/hello')), 'No publish of this version is recorded here')

  const missing = Buffer.from('never sent')
  const refused = await restPublish(depot.url, await token(), 'test', `set name=pkg.fmri value=prov/refused@1.0\nfile ${sha1(missing)} path=opt/x mode=0444 owner=root group=bin\n`)
  t.equal(refused.status, 400)
  t.equal((await provenance('prov/refused')).status, 404, 'no package, and so no provenance')
  t.equal(depot.repo.db.prepare("SELECT COUNT(*) FROM audit_log WHERE package LIKE '%prov/refused%' AND result = 'published'").pluck().get(), 0, 'nothing recorded as published')

  const one = await provenance((await provenance('prov/rest')).body.versions[0]!.fmri)
  t.equal(one.body.versions.length, 1, 'a full FMRI selects its version')
  const problems: Array<[string, number]> = [
    ['/api/v1/publishers/nosuch/packages/x/provenance', 404],
    [`/api/v1/publishers/test/packages/${encodeURIComponent('pkg://example.org/prov/rest@1.0')}/provenance`, 400],
    [`/api/v1/publishers/test/packages/${encodeURIComponent('prov/rest@9.9')}/provenance`, 404],
    [`/api/v1/publishers/test/packages/${encodeURIComponent('no such stem!')}/provenance`, 400]
  ]
  for (const [path, status] of problems) {
    const res = await fetch(`${depot.url}${path}`)
    t.equal(res.status, status, path)
    t.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8', 'problem details')
  }
})
