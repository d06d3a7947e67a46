/**
 * The catalog of record survives the loss of the machine: Litestream (the
 * binary from npm) replicates depot.sqlite with
 * deploy/litestream/litestream.yml while packages are published; then the
 * depot and Litestream are killed, `litestream restore` writes a new data
 * directory beside the same payload store, and the depot serves it. Every
 * publish acknowledged longer than the replication interval before the kill
 * is there and whole, nothing else is, and the catalog passes the client's
 * checks.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { prepareDepot, spawnServe } from '../helpers/cli.js'
import { fetchCatalog, packageProblem, partOf } from '../helpers/client-catalog.js'
import { ROOT } from '../helpers/depot.js'

// The binary from its npm platform package (a dev dependency for linux-x64, the machine the suite runs on).
const LITESTREAM = path.join(ROOT, `node_modules/@flydotio/litestream-${process.platform}-${process.arch}/litestream`)
/** monitor-interval + sync-interval of the recipe: how far behind the replica may be. */
const RECOVERY_POINT_MS = 2000

t.test('kill the machine while publishing, restore the replica beside the payload store: every publish acknowledged in time is there', async t => {
  if (!fs.existsSync(LITESTREAM)) { t.fail(`no Litestream binary at ${LITESTREAM} (npm ci installs it on linux-x64)`); return }
  const d = await prepareDepot(t, { publishers: ['test'] })
  const data = path.join(d.dir, 'data')
  const config = path.join(d.dir, 'litestream.yml')
  fs.writeFileSync(config, fs.readFileSync(path.join(ROOT, 'deploy/litestream/litestream.yml'), 'utf8').replaceAll('@DATA@', data).replaceAll('@REPLICA@', path.join(d.dir, 'replica')))
  const replicate: ChildProcess = spawn(LITESTREAM, ['replicate', '-config', config], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  for (const out of [replicate.stdout!, replicate.stderr!]) out.on('data', (c: Buffer) => { log += c.toString() })
  const replicating = new Promise<void>(resolve => { replicate.once('exit', () => { resolve() }) })
  t.teardown(async () => { replicate.kill('SIGKILL'); await replicating })
  const served = await spawnServe(t, ['--config', d.config])
  const token = await d.token()

  const acked: Array<{ stem: string, at: number }> = []
  const until = Date.now() + 5000
  for (let i = 0; Date.now() < until; i++) {
    const content = Buffer.from(`payload ${i}\n`)
    const hash = createHash('sha1').update(content).digest('hex')
    const form = new FormData()
    form.append('manifest', `set name=pkg.fmri value=stream/p${i}@1.0\nfile ${hash} path=opt/p${i} mode=0444 owner=root group=bin\n`)
    form.append(hash, new Blob([new Uint8Array(content)]), hash)
    const res = await fetch(`http://127.0.0.1:${served.port}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
    if (res.status !== 201) throw new Error(`publish ${i}: ${res.status} ${await res.text()}`)
    acked.push({ stem: `stream/p${i}`, at: Date.now() })
  }
  // The machine is lost: the depot and Litestream at once, nothing flushed.
  const lostAt = Date.now()
  served.child.kill('SIGKILL')
  replicate.kill('SIGKILL')
  await Promise.all([served.exited, replicating])
  t.match(log, /snapshot written/, 'Litestream replicated')

  const restored = path.join(d.dir, 'restored')
  fs.mkdirSync(restored)
  fs.symlinkSync(path.join(data, 'file'), path.join(restored, 'file'))
  const started = performance.now()
  const restore = spawnSync(LITESTREAM, ['restore', '-config', config, '-o', path.join(restored, 'depot.sqlite'), path.join(data, 'depot.sqlite')], { encoding: 'utf8', timeout: 60_000 })
  t.equal(restore.status, 0, restore.stderr)
  const restoreMs = performance.now() - started

  const back = await spawnServe(t, ['--config', d.config, '--data', restored])
  const catalog = await fetchCatalog(back.port, 'test')
  const base = partOf(catalog.files.get('catalog.base.C'), 'test')
  const listed = new Set(Object.keys(base))
  const due = acked.filter(a => a.at < lostAt - RECOVERY_POINT_MS)
  t.ok(due.length >= 10, `${due.length} publishes were acknowledged more than ${RECOVERY_POINT_MS} ms before the loss`)
  t.same(due.filter(a => !listed.has(a.stem)).map(a => a.stem), [], 'every one of them is in the restored catalog')
  t.same([...listed].filter(s => !acked.some(a => a.stem === s)), [], 'nothing that was not acknowledged')
  for (const stem of listed) {
    const [entry] = base[stem]!
    t.equal(await packageProblem(back.port, 'test', stem, entry!.version as string, entry!['signature-sha-1'] as string), undefined, `${stem} is whole`)
  }
  const missing = acked.filter(a => !listed.has(a.stem))
  t.comment(`recovery point: ${missing.length} of ${acked.length} acknowledged publishes missing, the oldest acknowledged ${missing.length === 0 ? 0 : lostAt - Math.min(...missing.map(m => m.at))} ms before the loss; restore took ${Math.round(restoreMs)} ms`)
})
