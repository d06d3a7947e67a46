/**
 * Payloads in a bucket, as an operator and a client meet them: reads
 * redirected to a CDN URL or a presigned one, HEAD file/2 answered without
 * the bucket, an unreachable bucket answered 503; verify against the
 * bucket; and a file store moved into a bucket while the depot serves.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import t from 'tap'
import { S3Payloads } from '../../src/store/payload-s3.js'
import { runCli, spawnServe } from '../helpers/cli.js'
import { ROOT, startDepot, tempDir, writeConfig } from '../helpers/depot.js'
import { request, until } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { s3Config, s3Toml, startS3 } from '../helpers/s3.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')
// The fixtures' largest payload (200 KiB of content, 64,447 bytes stored), and one no test here reads before the bucket goes down.
const LARGE = 'c3f55f1297c7945a8f0149c86eb5e307f633916a'
const UNREAD = '1662845b0fb431195967f2dc7136e6001408df9b'

const s3 = await startS3(['payloads'])
t.teardown(async () => { await s3.close() })

t.test('a GET of a payload is redirected to a presigned URL or a CDN URL; HEAD file/2 needs no bucket', async t => {
  const presigned = await startDepot({ extraConfig: s3Toml(s3Config(s3, { prefix: 'presigned/', reads: 'presigned', presignSeconds: 60 })) })
  t.teardown(async () => { await presigned.close() })
  const row = presigned.repo.payload(null, LARGE)!
  const res = await request(presigned.port, 'GET', `/test/file/0/${LARGE}`)
  t.equal(res.status, 302)
  t.equal(res.headers['cache-control'], 'no-store', 'a URL that expires is cached nowhere')
  const location = new URL(String(res.headers.location))
  t.equal(location.pathname, `/payloads/presigned/${LARGE}`)
  t.equal(location.searchParams.get('X-Amz-Expires'), '60')
  const fetched = Buffer.from(await (await fetch(location)).arrayBuffer())
  t.equal(sha1(fetched), row.chash, 'what the URL serves is the stored gzip: its SHA-1 is the chash')
  t.equal(sha1(zlib.gunzipSync(fetched)), LARGE)

  const cdn = await startDepot({ extraConfig: s3Toml(s3Config(s3, { prefix: 'cdn/', reads: 'redirect', publicUrl: `${s3.endpoint}/payloads/` })) })
  t.teardown(async () => { await cdn.close() })
  const viaCdn = await request(cdn.port, 'GET', `/file/1/${LARGE}`)
  t.equal(viaCdn.status, 302)
  t.equal(viaCdn.headers.location, `${s3.endpoint}/payloads/cdn/${LARGE}`, 'public_url, then the key')
  t.match(viaCdn.headers['cache-control'], /max-age=31536000/, 'a stable URL may be cached as long as the payload')
  t.equal(sha1(Buffer.from(await (await fetch(String(viaCdn.headers.location))).arrayBuffer())), row.chash)

  await s3.pause()
  t.teardown(async () => { await s3.resume() })
  const head = await request(cdn.port, 'HEAD', `/test/file/2/${LARGE}`)
  t.equal(head.status, 200, 'HEAD file/2 answers from the catalog of record while the bucket is down')
  t.equal(head.headers['x-ipkg-attr-0'], `chash=${row.chash}`)
  t.equal(head.headers['content-length'], String(row.csize))
  await s3.resume()
})

t.test('streamed through the depot, ranges too; a bucket down answers 503 and fails readiness', async t => {
  // [metrics] registers the metrics (served by `serve` on a listener of their own; read here from the registry).
  const depot = await startDepot({ extraConfig: s3Toml(s3Config(s3, { prefix: 'stream/' })) + '[metrics]\nlisten = "127.0.0.1:0"\n' })
  t.teardown(async () => { await depot.close() })
  const whole = await request(depot.port, 'GET', `/test/file/0/${LARGE}`)
  t.equal(whole.status, 200)
  t.equal(sha1(whole.body), depot.repo.payload(null, LARGE)!.chash)
  const part = await request(depot.port, 'GET', `/test/file/0/${LARGE}`, { Range: 'bytes=100-199' })
  t.equal(part.status, 206)
  t.same(part.body, whole.body.subarray(100, 200))

  await s3.pause()
  t.teardown(async () => { await s3.resume() })
  // (A payload read before may still be answered from memory.)
  const down = await request(depot.port, 'GET', `/test/file/0/${UNREAD}`)
  t.equal(down.status, 503, 'the bucket unreachable: a status the client retries, not a 500')
  t.ok(Number(down.headers['retry-after']) > 0)
  const metrics = await depot.app.metrics.metrics()
  t.match(metrics, /ips_depot_payload_store_operations_total\{op="read",result="failed"\} 1\n/, 'the failed read is counted for the operator')
  t.match(metrics, /ips_depot_payload_store_operations_total\{op="read",result="ok"\} [1-9]/, 'beside the reads that worked')
  const ready = await request(depot.port, 'GET', '/readyz')
  t.equal(ready.status, 503)
  t.match(JSON.parse(ready.body.toString()).checks.payloads, /s3:\/\/payloads\/stream\/ failed/)
  await s3.resume()
  // A readiness answer stands for a second.
  await until('ready again once the bucket is back (within a second)', async () => (await request(depot.port, 'GET', '/readyz')).status === 200, 5)
})

t.test('a publish while the bucket is down answers 503 and changes nothing; once it is back, the publish lands', async t => {
  const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]], extraConfig: s3Toml(s3Config(s3, { prefix: 'publish/' })) })
  const bearer = await token({})
  const content = Buffer.from('published while the bucket was away\n')
  const hash = sha1(content)
  const publish = async (): Promise<Response> => {
    const form = new FormData()
    form.append('manifest', `set name=pkg.fmri value=example/away@1.0\nfile ${hash} path=opt/away mode=0444 owner=root group=bin\n`)
    form.append(hash, new Blob([new Uint8Array(content)]), hash)
    return await fetch(`${depot.url}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${bearer}` }, body: form })
  }
  const before = depot.repo.db.prepare('SELECT COUNT(*) FROM package').pluck().get()
  await s3.pause()
  t.teardown(async () => { await s3.resume() })
  const refused = await publish()
  t.equal(refused.status, 503, await refused.clone().text())
  t.ok(Number(refused.headers.get('retry-after')) > 0, 'with Retry-After')
  t.match((await refused.json() as { detail: string }).detail, /payload store s3:\/\/payloads\/publish\/ failed/)
  t.equal(depot.repo.db.prepare('SELECT COUNT(*) FROM package').pluck().get(), before, 'nothing was published')
  await s3.resume()
  const landed = await publish()
  t.equal(landed.status, 201, await landed.text())
  t.equal(sha1(zlib.gunzipSync((await request(depot.port, 'GET', `/test/file/0/${hash}`)).body)), hash, 'and its payload is in the bucket')
})

t.test('payloads migrate --to s3 while the depot serves, the switch, and verify against the bucket', async t => {
  const dir = tempDir()
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const data = path.join(dir, 'data')
  t.equal((await runCli(['import', path.join(ROOT, 'fixtures/repo'), '--data', data])).code, 0)
  const fileConfig = writeConfig(dir)
  const bucket = s3Config(s3, { prefix: 'migrated/' })
  const s3Dir = path.join(dir, 's3')
  fs.mkdirSync(s3Dir)
  const s3ConfigFile = writeConfig(s3Dir, s3Toml(bucket))
  const onBucket = ['--config', s3ConfigFile, '--data', data]

  const serving = await spawnServe(t, ['--config', fileConfig])
  const first = await runCli(['payloads', 'migrate', '--to', 's3', ...onBucket])
  t.equal(first.code, 0, first.stderr)
  t.equal(first.stdout, `${path.join(data, 'file')} -> s3://payloads/migrated/: 23 payloads referenced, 23 copied, 0 already there\n`)
  const again = await runCli(['payloads', 'migrate', '--to', 's3', ...onBucket])
  t.equal(again.stdout, `${path.join(data, 'file')} -> s3://payloads/migrated/: 23 payloads referenced, 0 copied, 23 already there\n`, 'run again: nothing copied twice')
  t.equal((await request(serving.port, 'GET', `/test/file/0/${LARGE}`)).status, 200, 'the depot served from its files all along')

  // A payload published after the migration ran: in the file store, not yet in the bucket.
  const store = new S3Payloads(bucket)
  t.teardown(() => { store.close() })
  await store.delete(LARGE)
  serving.child.kill('SIGTERM')
  await serving.exited

  const switched = await spawnServe(t, onBucket)
  t.match(switched.output(), /payloads: 1 copied from .* to s3:\/\/payloads\/migrated\/ \(22 already there\)/, 'the switched depot carries it over as it starts')
  switched.child.kill('SIGTERM')
  await switched.exited
  fs.rmSync(path.join(data, 'file'), { recursive: true })
  const bucketOnly = await spawnServe(t, onBucket)
  const res = await request(bucketOnly.port, 'GET', `/test/file/0/${LARGE}`)
  t.equal(sha1(zlib.gunzipSync(res.body)), LARGE, 'with the file store gone, the bucket serves')
  bucketOnly.child.kill('SIGTERM')
  await bucketOnly.exited

  const sound = await runCli(['verify', ...onBucket])
  t.equal(sound.code, 0, sound.stdout + sound.stderr)
  t.match(sound.stdout, /23 payloads: no damage\n$/, 'verify reads every payload from the bucket')

  // A backup reads the bucket into a self-contained file store; a restore puts the payloads into the configured backend.
  const backup = path.join(dir, 'backup')
  const backedUp = await runCli(['backup', backup, ...onBucket])
  t.match(backedUp.stdout, /23 payloads copied, 0 already there\n$/, backedUp.stderr)
  t.equal(fs.readdirSync(path.join(backup, 'file')).flatMap(p => fs.readdirSync(path.join(backup, 'file', p))).length, 23, 'the backup holds the payloads as files')
  const toFiles = await runCli(['restore', backup, '--config', fileConfig, '--data', path.join(dir, 'restored-files')])
  t.equal(toFiles.code, 0, toFiles.stderr)
  t.equal((await runCli(['verify', '--config', fileConfig, '--data', path.join(dir, 'restored-files')])).code, 0, 'restored into a file store: sound')
  const otherBucket = path.join(dir, 's3-other')
  fs.mkdirSync(otherBucket)
  const restoredConfig = writeConfig(otherBucket, s3Toml(s3Config(s3, { prefix: 'restored/' })))
  const toBucket = await runCli(['restore', backup, '--config', restoredConfig])
  t.match(toBucket.stdout, /23 payloads checked against their names, 23 copied\n$/, toBucket.stderr)
  const restoredVerify = await runCli(['verify', '--config', restoredConfig])
  t.match(restoredVerify.stdout, /23 payloads: no damage\n$/, 'restored into a bucket of its own: sound, read from that bucket')
  const [gone, replaced] = ['0cdf86295978a9260d89b51ef6e86748363dd3e2', LARGE]
  await store.delete(gone)
  const other = path.join(dir, 'other.gz')
  fs.writeFileSync(other, zlib.gzipSync('other content'))
  await store.write(replaced, other, fs.statSync(other).size)
  const broken = await runCli(['verify', ...onBucket])
  t.equal(broken.code, 1)
  t.match(broken.stdout, new RegExp(`${gone}: payload file s3://payloads/migrated/${gone} is missing`), 'a missing object')
  t.match(broken.stdout, new RegExp(`${replaced}: payload file s3://payloads/migrated/${replaced} does not match its chash`), 'an object replaced by other bytes')
})

t.test('bad [storage.payloads] settings stop the start, naming the key', async t => {
  const dir = tempDir()
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const cases: Array<[string, RegExp]> = [
    ['backend = "s3"\nregion = "x"', /storage\.payloads\.bucket: is required/],
    ['backend = "s3"\nbucket = "b"\nregion = "x"\nprefix = "p"', /storage\.payloads\.prefix: 'p' must end in '\/'/],
    ['backend = "s3"\nbucket = "b"\nregion = "x"\nreads = "redirect"', /storage\.payloads\.public_url: is required when reads = "redirect"/],
    ['backend = "s3"\nbucket = "b"\nregion = "x"\naccess_key = "AKIA"', /storage\.payloads\.access_key: is not a known setting/],
    ['backend = "file"\nbucket = "b"', /storage\.payloads\.bucket: is not a known setting/],
    ['backend = "gcs"', /storage\.payloads\.backend: must be one of file, s3/]
  ]
  for (const [table, message] of cases) {
    const config = writeConfig(dir, `[storage.payloads]\n${table}\n`)
    const run = await runCli(['check-config', '--config', config])
    t.equal(run.code, 1, table)
    t.match(run.stderr, message, table)
  }
  const onFiles = writeConfig(dir)
  const noBucket = await runCli(['payloads', 'migrate', '--to', 's3', '--config', onFiles])
  t.equal(noBucket.code, 1)
  t.match(noBucket.stderr, /storage\.payloads\.backend: must be "s3", with the bucket to migrate to/, 'migrate without a bucket configured')
  const toFiles = await runCli(['payloads', 'migrate', '--to', 'file', '--config', onFiles])
  t.equal(toFiles.code, 2)
  t.match(toFiles.stderr, /--to takes s3, not 'file'/)
  const other = await runCli(['payloads', 'copy', '--to', 's3', '--config', onFiles])
  t.equal(other.code, 2)
  t.match(other.stderr, /unknown action 'copy'/)
})
