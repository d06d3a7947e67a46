/**
 * The commands the README promises: serve starts a depot on the embedded
 * default (SQLite file + fixtures), check-config names a bad key.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT, tempDir } from './helpers/depot.js'
import { request } from './helpers/http.js'
import { CLI, spawnServe } from './helpers/cli.js'


t.test('serve imports the fixtures into a fresh data directory and serves them', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const { port } = await spawnServe(t, ['--data', data])
  const attrs = await request(port, 'GET', '/test/catalog/1/catalog.attrs')
  t.equal(attrs.status, 200)
  t.same(attrs.body, fs.readFileSync(path.join(ROOT, 'fixtures/repo/publisher/test/catalog/catalog.attrs')))
  t.ok(fs.existsSync(path.join(data, 'depot.sqlite')), 'the catalog lives in a SQLite file in the data directory')
  const publishers = await request(port, 'GET', '/publisher/0/')
  t.match(publishers.body.toString(), /"name": "example.org"/)
})

t.test('check-config names the bad key and exits non-zero', async t => {
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const cfg = path.join(dir, 'depot.config.toml')
  fs.writeFileSync(cfg, fs.readFileSync(path.join(ROOT, 'depot.config.toml'), 'utf8').replace('max_headers = 100', 'max_headers = 5'))
  const bad = spawnSync(process.execPath, [CLI, 'check-config', '--config', cfg], { encoding: 'utf8' })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /configuration error: server\.max_headers: must be an integer from 16 to 1000/)
  const good = spawnSync(process.execPath, [CLI, 'check-config', '--config', path.join(ROOT, 'depot.config.toml')], { encoding: 'utf8' })
  t.equal(good.status, 0)
  t.match(good.stdout, /configuration OK/)
})

t.test('import reports what it imported, then that nothing changed', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const run = (): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, 'import', path.join(ROOT, 'fixtures/repo'), '--data', data], { cwd: ROOT, encoding: 'utf8' })
  const first = run()
  t.equal(first.status, 0, String(first.stderr))
  t.match(first.stdout, /test: 15 packages, 20 payloads/)
  t.match(run().stdout, /test: already imported, unchanged/)
})

t.test('rebuild regenerates the same catalog and index from SQLite', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  spawnSync(process.execPath, [CLI, 'import', path.join(ROOT, 'fixtures/repo'), '--data', data], { cwd: ROOT })
  const { Repository } = await import('../src/store/repository.js')
  const snapshot = (): string => {
    const repo = new Repository(data, { readonly: true })
    try {
      const files = repo.db.prepare('SELECT publisher, name, signature FROM catalog_file ORDER BY 1, 2').all()
      const tokens = repo.db.prepare('SELECT COUNT(*) FROM search_token').pluck().get()
      return JSON.stringify({ files, tokens })
    } finally { repo.close() }
  }
  const before = snapshot()
  const run = spawnSync(process.execPath, [CLI, 'rebuild', '--data', data], { cwd: ROOT, encoding: 'utf8' })
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /rebuilt test, example\.org/)
  t.equal(snapshot(), before, 'byte-identical catalog files, same index')
  const bad = spawnSync(process.execPath, [CLI, 'rebuild', '--publisher', 'nopub', '--data', data], { cwd: ROOT, encoding: 'utf8' })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /Unknown publisher: nopub/)
})
