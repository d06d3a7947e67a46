/**
 * The importer changes no byte, refuses what it cannot reproduce exactly,
 * and is idempotent.
 */
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { importRepository } from '../../src/store/import.js'
import { Repository } from '../../src/store/repository.js'
import { GOLDEN, repoWithCatalogs, tempDir } from '../helpers/depot.js'

function copyOfGolden (): string {
  const dir = tempDir('ips-depot-src-')
  fs.cpSync(path.join(GOLDEN, 'repo'), dir, { recursive: true })
  for (const p of ['', 'publisher', 'publisher/test', 'publisher/test/pkg', 'publisher/test/file', 'publisher/test/catalog']) fs.chmodSync(path.join(dir, p), 0o755)
  return dir
}

function withRepo (t: Test, fn: (repo: Repository, src: string) => Promise<void>): Promise<void> {
  const data = tempDir()
  const src = copyOfGolden()
  const repo = new Repository(data)
  t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }); fs.rmSync(src, { recursive: true, force: true }) })
  return fn(repo, src)
}

t.test('importing twice changes nothing the second time', async t => withRepo(t, async (repo, src) => {
  const first = await importRepository(repo, src)
  t.same(first.map(r => [r.name, r.packages, r.payloads]), [['example.org', 3, 3], ['test', 15, 20]])
  const attrs = (await repo.catalogFile('test', 'catalog.attrs'))!.body
  const second = await importRepository(repo, src)
  t.ok(second.every(r => r.unchanged))
  t.same((await repo.catalogFile('test', 'catalog.attrs'))!.body, attrs)
  t.equal(repo.defaultPublisher, 'test')
}))

t.test('a different catalog for an existing publisher needs --replace', async t => withRepo(t, async (repo, src) => {
  const before = repoWithCatalogs(path.join(GOLDEN, 'catalog-before'))
  t.teardown(() => fs.rmSync(before, { recursive: true, force: true }))
  await importRepository(repo, before)
  t.equal((await repo.counts('test')).versions, 13)
  await t.rejects(importRepository(repo, src), { message: /publisher example\.org|publisher test/ })
  t.equal((await repo.counts('test')).versions, 13, 'nothing changed')
  await importRepository(repo, src, { replace: true })
  t.equal((await repo.counts('test')).versions, 15)
}))

t.test('a manifest that does not match its catalog signature is refused, and nothing is imported', async t => withRepo(t, async (repo, src) => {
  const dir = path.join(src, 'publisher/test/pkg/example%2Fnotes')
  fs.chmodSync(dir, 0o755)
  const file = path.join(dir, fs.readdirSync(dir)[0]!)
  fs.chmodSync(file, 0o644)
  fs.appendFileSync(file, 'set name=extra value=1\n')
  await t.rejects(importRepository(repo, src), { message: /example\/notes.*does not match its catalog signature/ })
  t.equal(repo.publishers().filter(p => p.name === 'test').length, 0, 'publisher test was not imported')
}))

t.test('a payload whose content does not match its name is refused', async t => withRepo(t, async (repo, src) => {
  const name = '0cdf86295978a9260d89b51ef6e86748363dd3e2'
  const file = path.join(src, 'publisher/test/file', name.slice(0, 2), name)
  fs.chmodSync(path.dirname(file), 0o755)
  fs.chmodSync(file, 0o644)
  const other = path.join(src, 'publisher/test/file/da/da39a3ee5e6b4b0d3255bfef95601890afd80709')
  fs.copyFileSync(other, file)
  await t.rejects(importRepository(repo, src), { message: new RegExp(`payload ${name} decompresses to content with SHA-1`) })
  fs.writeFileSync(file, 'not gzip')
  await t.rejects(importRepository(repo, src), { message: /not a valid gzip stream/ })
}))

t.test('a tampered catalog part is refused', async t => withRepo(t, async (repo, src) => {
  const file = path.join(src, 'publisher/test/catalog/catalog.summary.C')
  fs.chmodSync(file, 0o644)
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Hello example package', 'Hello tampered package'))
  await t.rejects(importRepository(repo, src), { message: /catalog\.summary\.C: catalog signature mismatch/ })
}))

t.test('not a repository', async t => {
  const data = tempDir()
  const repo = new Repository(data)
  t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
  await t.rejects(importRepository(repo, data), { message: /is not a pkg5 repository/ })
})
