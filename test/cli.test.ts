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


t.test('the development config seeds the fixtures into its fresh data directory; a --data directory is never seeded', async t => {
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  // The shipped configuration, moved beside a data directory of its own.
  const config = path.join(dir, 'depot.config.toml')
  fs.writeFileSync(config, fs.readFileSync(path.join(ROOT, 'depot.config.toml'), 'utf8').replace('seed_repository = "fixtures/repo"', `seed_repository = ${JSON.stringify(path.join(ROOT, 'fixtures/repo'))}`))
  const data = path.join(dir, 'data')
  const operators = path.join(dir, 'operators-data')
  const unseeded = await spawnServe(t, ['--config', config, '--data', operators])
  t.equal((await request(unseeded.port, 'GET', '/publisher/0/')).body.toString().includes('"name": "test"'), false, 'no publisher was seeded into --data')
  unseeded.child.kill('SIGTERM')
  await unseeded.exited
  const { port } = await spawnServe(t, ['--config', config])
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
  const bad = spawnSync(process.execPath, [CLI, 'check-config', '--config', cfg], { encoding: 'utf8', timeout: 60_000 })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /configuration error: server\.max_headers: must be an integer from 16 to 1000/)
  const good = spawnSync(process.execPath, [CLI, 'check-config', '--config', path.join(ROOT, 'depot.config.toml')], { encoding: 'utf8', timeout: 60_000 })
  t.equal(good.status, 0)
  t.match(good.stdout, /configuration OK/)
  // Beyond the file: a data directory the depot could not write, a seed repository that is not there.
  fs.writeFileSync(path.join(dir, 'a-file'), '')
  fs.writeFileSync(cfg, fs.readFileSync(path.join(ROOT, 'depot.config.toml'), 'utf8')
    .replace('data_dir = "data"', 'data_dir = "a-file/data"').replace('seed_repository = "fixtures/repo"', 'seed_repository = "no/such/repo"'))
  const paths = spawnSync(process.execPath, [CLI, 'check-config', '--config', cfg], { encoding: 'utf8', timeout: 60_000 })
  t.equal(paths.status, 1)
  t.match(paths.stderr, `storage.data_dir: ${path.join(dir, 'a-file/data')} cannot be written (${path.join(dir, 'a-file')} is not a directory)`)
  t.match(paths.stderr, `storage.seed_repository: ${path.join(dir, 'no/such/repo')} is not a pkg5 repository`)
})

t.test('import reports what it imported, then that nothing changed', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const run = (): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, 'import', path.join(ROOT, 'fixtures/repo'), '--data', data], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  const first = run()
  t.equal(first.status, 0, String(first.stderr))
  t.match(first.stdout, /test: 15 packages, 20 payloads/)
  t.match(run().stdout, /test: already imported, unchanged/)
})

t.test('rebuild regenerates the same catalog and index from SQLite', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  spawnSync(process.execPath, [CLI, 'import', path.join(ROOT, 'fixtures/repo'), '--data', data], { cwd: ROOT, timeout: 60_000 })
  const { Repository } = await import('../src/store/repository.js')
  const snapshot = (): string => {
    const repo = new Repository(data, { readonly: true })
    try {
      const files = repo.db.prepare('SELECT publisher, name, signature FROM catalog_file ORDER BY 1, 2').all()
      const tokens = repo.db.prepare('SELECT COUNT(*) FROM search_posting').pluck().get()
      return JSON.stringify({ files, tokens })
    } finally { repo.close() }
  }
  const before = snapshot()
  const run = spawnSync(process.execPath, [CLI, 'rebuild', '--data', data], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /rebuilt test, example\.org/)
  t.equal(snapshot(), before, 'byte-identical catalog files, same index')
  const bad = spawnSync(process.execPath, [CLI, 'rebuild', '--publisher', 'nopub', '--data', data], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /Unknown publisher: nopub/)
})

t.test('SIGTERM: no new connections, the request in flight is finished, the database closed, exit 0', async t => {
  const { prepareDepot } = await import('./helpers/cli.js')
  const http = await import('node:http')
  const { dir, config, token: sign } = await prepareDepot(t)
  const token = await sign()
  const depot = await spawnServe(t, ['--config', config])

  // A REST publish whose body is still arriving when the signal comes.
  const payload = Buffer.from('published across a SIGTERM\n')
  const hash = (await import('node:crypto')).createHash('sha1').update(payload).digest('hex')
  const boundary = 'sigterm'
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="manifest"\r\n\r\nset name=pkg.fmri value=example/sigterm@1.0\nfile ${hash} path=opt/sigterm mode=0444 owner=root group=bin\n\r\n`
  const tail = `--${boundary}\r\nContent-Disposition: form-data; name="${hash}"; filename="${hash}"\r\n\r\n${payload.toString()}\r\n--${boundary}--\r\n`
  const answer = new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: depot.port, method: 'POST', path: '/api/v1/publishers/test/packages', agent: false, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': Buffer.byteLength(head + tail) } }, res => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.write(head)
    // The rest of the body after the signal, once the listening socket is closed.
    t.context.finish = () => { req.end(tail) }
  })
  await new Promise(resolve => setTimeout(resolve, 300))
  depot.child.kill('SIGTERM')
  let refused = false
  for (let i = 0; i < 100 && !refused; i++) {
    await request(depot.port, 'GET', '/versions/0/').then(() => new Promise(resolve => setTimeout(resolve, 20)), () => { refused = true })
  }
  t.ok(refused, 'new connections are refused once the signal came')
  ;(t.context.finish as () => void)()
  const res = await answer
  t.equal(res.status, 201, `the publish in flight is finished: ${res.body}`)
  t.equal(await depot.exited, 0, 'exit 0')
  t.notOk(fs.existsSync(path.join(dir, 'data', 'depot.sqlite-wal')), 'every database connection closed (the last one checkpoints and removes the WAL)')
  t.match(depot.output(), /"signal":"SIGTERM".*shutting down/, 'the shutdown is logged')
  t.match(depot.output(), /stopped: requests finished, database closed/)
  const again = await spawnServe(t, ['--config', config])
  t.equal((await request(again.port, 'GET', `/test/file/0/${hash}`)).status, 200, 'the package published across the signal is there after a restart')
})

t.test('--help and -h on every command print its usage to stdout; --version; mistakes are named', async t => {
  const { runCli } = await import('./helpers/cli.js')
  const overview = await runCli(['--help'])
  t.equal(overview.code, 0)
  const names = [...overview.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map(m => m[1]!)
  t.ok(names.length >= 11, `the overview lists the commands: ${names.join(' ')}`)
  for (const flag of ['--help', '-h']) {
    const answers = await Promise.all(names.map(async name => await runCli([name, flag])))
    for (const [i, r] of answers.entries()) {
      t.equal(r.code, 0, `${names[i]!} ${flag}: exit 0`)
      t.match(r.stdout, new RegExp(`^usage: ips-depot ${names[i]!} `), `${names[i]!} ${flag}: its usage on stdout`)
    }
  }
  const version = await runCli(['--version'])
  t.equal(version.stdout, `ips-depot ${(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}\n`)
  const typo = await runCli(['serv'])
  t.equal(typo.code, 2)
  t.match(typo.stderr, /unknown command 'serv'; did you mean 'serve'\?/)
  const missing = await runCli(['import'])
  t.equal(missing.code, 2)
  t.match(missing.stderr, /^ips-depot import: missing argument DIR\n\nusage: ips-depot import DIR/)
  const noDepot = await runCli(['whoami'])
  t.match(noDepot.stderr, /^ips-depot whoami: missing --depot/)
  const unknownOption = await runCli(['rebuild', '--bogus'])
  t.equal(unknownOption.code, 2)
  t.match(unknownOption.stderr, /Unknown option '--bogus'/)
})

t.test('the configuration is found through --config, then $IPS_DEPOT_CONFIG, then ./depot.config.toml', async t => {
  const { spawnSync: run } = await import('node:child_process')
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const check = (env: Record<string, string>, args: string[] = []): ReturnType<typeof run> =>
    run(process.execPath, [CLI, 'check-config', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, IPS_DEPOT_CONFIG: '', ...env } })
  const { IPS_DEPOT_CONFIG: _unset, ...clean } = process.env
  const none = run(process.execPath, [CLI, 'check-config'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: clean })
  t.equal(none.status, 1)
  t.match(none.stderr, /no configuration: give --config FILE, set IPS_DEPOT_CONFIG, or put depot\.config\.toml in /)
  const shipped = path.join(ROOT, 'depot.config.toml')
  t.match(check({ IPS_DEPOT_CONFIG: shipped }).stdout, new RegExp(`configuration OK \\(${shipped}\\)`), '$IPS_DEPOT_CONFIG')
  fs.writeFileSync(path.join(dir, 'depot.config.toml'), fs.readFileSync(shipped, 'utf8').replace('127.0.0.1:10000', '127.0.0.1:10002').replace('seed_repository = "fixtures/repo"', ''))
  const { IPS_DEPOT_CONFIG: _gone, ...cwdOnly } = process.env
  const local = run(process.execPath, [CLI, 'check-config'], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: cwdOnly })
  t.match(local.stdout, /listen 127\.0\.0\.1:10002/, './depot.config.toml')
  t.match(check({ IPS_DEPOT_CONFIG: shipped }, ['--config', path.join(dir, 'depot.config.toml')]).stdout, /listen 127\.0\.0\.1:10002/, '--config before $IPS_DEPOT_CONFIG')
})

t.test('the CLI reaches a depot on the default port (10080 was one that fetch refuses)', async t => {
  const { spawn } = await import('node:child_process')
  const { runCli } = await import('./helpers/cli.js')
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  // The shipped configuration as it is, listen address included.
  const child = spawn(process.execPath, [CLI, 'serve', '--data', data], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise(resolve => child.once('exit', resolve))
  t.teardown(async () => { child.kill('SIGKILL'); await exited })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out); if (m) resolve(m[1]!) })
    child.once('exit', code => { reject(new Error(`serve exited with ${code} (is the default port taken?)`)) })
  })
  t.equal(url, 'http://127.0.0.1:10000')
  const who = await runCli(['whoami', '--depot', url, '--token-env', 'SOME_TOKEN'], { ...process.env, SOME_TOKEN: 'x' })
  t.notMatch(who.stderr, /fetch failed/)
  t.match(who.stderr, /whoami refused \(404\)/, 'an answer from the depot (it has no [auth]: no whoami)')
})

t.test('an error that involves a file names the file and why', async t => {
  const { runCli } = await import('./helpers/cli.js')
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'data', 'depot.sqlite'), { recursive: true })
  const r = await runCli(['rebuild', '--data', path.join(dir, 'data')])
  t.equal(r.code, 1)
  t.equal(r.stderr, `ips-depot: cannot open the database ${path.join(dir, 'data', 'depot.sqlite')}: unable to open database file (${path.join(dir, 'data', 'depot.sqlite')} is a directory)\n`)
  fs.writeFileSync(path.join(dir, 'plain'), '')
  const notDir = await runCli(['rebuild', '--data', path.join(dir, 'plain', 'data')])
  t.match(notDir.stderr, new RegExp(`ENOTDIR: not a directory, mkdir '${path.join(dir, 'plain', 'data')}'`))
})
