/**
 * `ips-depot remove` and `remove-publisher` through the real CLI. Beside a
 * serving depot the catalog it serves changes at once (a client refreshes
 * incrementally) and the serving depot, which owns the data directory,
 * deletes the released payload files; on a stopped depot the command
 * deletes them itself. A database from before payload references were
 * recorded learns them at its first open.
 */
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { prepareDepot, runCli, spawnServe } from '../helpers/cli.js'
import { fetchCatalog, type FetchedCatalog, partOf, partSignature, refreshIncrementally } from '../helpers/client-catalog.js'
import { ROOT, tempDir } from '../helpers/depot.js'
import { request, until } from '../helpers/http.js'

const FIXTURES = path.join(ROOT, 'fixtures/repo')
const NOTES = 'example/notes@1.0,5.11-0.1:20261123T010015Z'
const NOTES_PAYLOAD = '54306552fa2b012c46117f1fa7c7c4ed48aa904f'
const LICENSE = '1662845b0fb431195967f2dc7136e6001408df9b'
const EXAMPLE_ORG_PAYLOADS = ['af0e73779210d3c4820d27b6a245c5e99e749c48', 'd564e80da860ef8a0aa6199d134c8e9be7fa11e6', 'd8873b364eaf3b65b5a6daeadc9be82729c65ad3']

const fileOf = (data: string, hash: string): string => path.join(data, 'file', hash.slice(0, 2), hash)

function checkReplay (t: Test, old: FetchedCatalog, neu: FetchedCatalog, pub: string): void {
  const { parts } = refreshIncrementally(old, neu, pub)
  for (const [name, part] of parts) t.equal(partSignature(pub, part), (neu.attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `${name}: the client's replay is the part served`)
}

async function publish (port: number, token: string, pub: string, manifest: string): Promise<{ status: number, body: string }> {
  const form = new FormData()
  form.append('manifest', manifest)
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/publishers/${pub}/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  return { status: res.status, body: await res.text() }
}

t.test('remove beside a serving depot: the served catalog changes at once, the depot deletes the payload files', async t => {
  const d = await prepareDepot(t, { publishers: [] })
  t.equal((await runCli(['import', FIXTURES, '--config', d.config])).code, 0)
  const data = path.join(d.dir, 'data')
  const served = await spawnServe(t, ['--config', d.config])
  const old = await fetchCatalog(served.port, 'test')

  const dry = await runCli(['remove', '-n', 'notes', '--config', d.config])
  t.equal(dry.code, 0, dry.stderr)
  t.equal(dry.stdout, `1 package(s) will be removed:\n\tpkg://test/${NOTES}\n`)
  const unmatched = await runCli(['remove', 'notes', 'nosuch', '--config', d.config])
  t.equal(unmatched.code, 1)
  t.equal(unmatched.stderr, 'ips-depot: no packages match nosuch; nothing was removed\n')
  t.same((await fetchCatalog(served.port, 'test')).attrs, old.attrs, 'neither changed the catalog')

  const removed = await runCli(['remove', 'notes', '--config', d.config])
  t.equal(removed.code, 0, removed.stderr)
  t.equal(removed.stdout, `removed pkg://test/${NOTES}\n1 payload file(s) no package needs any more: the serving depot deletes them\n`)
  const neu = await fetchCatalog(served.port, 'test')
  t.notOk('example/notes' in partOf(neu.files.get('catalog.base.C'), 'test'), 'the serving depot answers the new catalog')
  checkReplay(t, old, neu, 'test')
  t.equal((await request(served.port, 'GET', `/test/file/0/${NOTES_PAYLOAD}`)).status, 404)
  await until('the serving depot deleted the payload file', () => !fs.existsSync(fileOf(data, NOTES_PAYLOAD)))
  // The log line follows the deletion: it is written once the collection's round is over.
  await until('the serving depot says so', () => /collected the files of removed payloads/.test(served.output()))
  t.pass('the serving depot deleted it and said so')
})

t.test('remove-publisher beside a serving depot: payloads another publisher needs stay, and the name can be used again', async t => {
  const d = await prepareDepot(t, { publishers: [] })
  t.equal((await runCli(['import', FIXTURES, '--config', d.config])).code, 0)
  const data = path.join(d.dir, 'data')
  const served = await spawnServe(t, ['--config', d.config])
  const token = await d.issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['example.org'], exp: Math.floor(Date.now() / 1000) + 3600 })
  // example.org ships test's license too (referenced, not sent: the depot has it).
  const shared = await publish(served.port, token, 'example.org', `set name=pkg.fmri value=tools/licensed@1.0\nlicense ${LICENSE} license=MIT\n`)
  t.equal(shared.status, 201, shared.body)
  const before = await fetchCatalog(served.port, 'example.org')

  const dry = await runCli(['remove-publisher', '-n', 'example.org', '--config', d.config])
  t.equal(dry.stdout, "'example.org'\t(4 package version(s))\n")
  const unknown = await runCli(['remove-publisher', 'example.org', 'nosuch', '--config', d.config])
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /No publisher nosuch in this repository \(there are: example\.org, test\); nothing was removed/)
  t.equal((await request(served.port, 'GET', '/example.org/catalog/1/catalog.attrs')).status, 200, 'nothing was removed')

  const r = await runCli(['remove-publisher', 'example.org', '--config', d.config])
  t.equal(r.code, 0, r.stderr)
  t.equal(r.stdout, 'removed example.org: 4 package version(s)\n3 payload file(s) no package needs any more: the serving depot deletes them\nthe default publisher is test\n')
  const gone = await request(served.port, 'GET', '/example.org/catalog/1/catalog.attrs')
  t.equal(gone.status, 400, 'as pkg.depotd answers for a publisher it does not know')
  t.match(gone.body.toString(), /Unknown publisher: example\.org/)
  t.notMatch((await request(served.port, 'GET', '/publisher/0/')).body.toString(), /example\.org/, 'publisher/0 lists it no more')
  await until('its own payload files are deleted', () => EXAMPLE_ORG_PAYLOADS.every(h => !fs.existsSync(fileOf(data, h))))
  t.ok(fs.existsSync(fileOf(data, LICENSE)), 'the license test\'s packages ship stays')
  t.equal((await request(served.port, 'GET', `/test/file/0/${LICENSE}`)).status, 200)

  const again = await publish(served.port, token, 'example.org', 'set name=pkg.fmri value=tools/fresh@1.0\nset name=pkg.summary value=fresh\n')
  t.equal(again.status, 201, again.body)
  const fresh = await fetchCatalog(served.port, 'example.org')
  t.not(fresh.attrs.created, before.attrs.created, 'a new catalog: clients of the old one refresh in full')
  t.same(Object.keys(partOf(fresh.files.get('catalog.base.C'), 'example.org')), ['tools/fresh'], 'only what was published since')
  t.same(Object.keys(partOf(fresh.files.get('catalog.summary.C'), 'example.org')), ['tools/fresh'])
})

t.test('on a stopped depot the command deletes the files itself; the default publisher passes to the only one left', async t => {
  const data = tempDir()
  t.teardown(() => { fs.rmSync(data, { recursive: true, force: true }) })
  t.equal((await runCli(['import', FIXTURES, '--data', data])).code, 0)
  const r = await runCli(['remove-publisher', 'test', '--data', data])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^removed test: 15 package version\(s\)\n\d+ payload file\(s\) no package needs any more deleted\nthe default publisher is example\.org\n$/)
  t.same(fs.readdirSync(path.join(data, 'file')).flatMap(p => fs.readdirSync(path.join(data, 'file', p))).sort(), [...EXAMPLE_ORG_PAYLOADS].sort(), 'only example.org\'s payload files are left')
  const db = new Database(path.join(data, 'depot.sqlite'), { readonly: true })
  t.teardown(() => { db.close() })
  t.equal(db.prepare('SELECT COUNT(*) FROM payload_garbage').pluck().get(), 0, 'nothing left to collect')
  const verify = await runCli(['verify', '--data', data])
  t.equal(verify.code, 0, verify.stdout)
  t.match(verify.stdout, /verified example\.org: .* no damage/)
})

t.test('a database from before payload references learns them at its first open, before anything is removed', async t => {
  const data = tempDir()
  t.teardown(() => { fs.rmSync(data, { recursive: true, force: true }) })
  t.equal((await runCli(['import', FIXTURES, '--data', data])).code, 0)
  const db = new Database(path.join(data, 'depot.sqlite'))
  db.exec("DELETE FROM package_payload; INSERT INTO repository_setting (key, value) VALUES ('backfill/package_payload', 'pending')")
  db.close()
  const r = await runCli(['remove', 'hello@1.0', '--data', data])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /\n3 payload file\(s\) no package needs any more deleted\n$/, 'the three payloads only the 1.0 and 1.0.1 versions ship')
  for (const h of ['0cdf86295978a9260d89b51ef6e86748363dd3e2', LICENSE]) t.ok(fs.existsSync(fileOf(data, h)), `${h}, which the other versions ship, stays`)
  const verify = await runCli(['verify', '--data', data])
  t.equal(verify.code, 0, verify.stdout)
})
