/**
 * Kill -9 the depot at many points of a stream of publishes: after each
 * restart the catalog validates with the client's checks, every package
 * it lists has its manifest and payloads, and open transactions survive.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { fetchCatalog, partOf } from '../helpers/client-catalog.js'
import { ROOT, tempDir } from '../helpers/depot.js'
import { exchanges, replayHeaders } from '../helpers/golden.js'
import { request } from '../helpers/http.js'
import { LocalIssuer } from '../helpers/issuer.js'
import { authSection } from '../helpers/publishing-depot.js'

const issuer = await LocalIssuer.start()
await issuer.addKey('k1')
const dir = tempDir()
t.teardown(async () => { await issuer.close(); fs.rmSync(dir, { recursive: true, force: true }) })
const config = path.join(dir, 'depot.config.toml')
const port = 20000 + Math.floor(Math.random() * 20000)
fs.writeFileSync(config, `
[server]
listen = "127.0.0.1:${port}"
body_limit = 1048576
max_headers = 100
trust_proxy = false
[storage]
data_dir = "data"
[cache]
memory_bytes = 1048576
small_payload_bytes = 65536
[log]
level = "silent"
${authSection(issuer.url)}`)
const CLI = path.join(ROOT, 'dist/src/cli.js')
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

async function start (): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: 'ignore' })
  for (let i = 0; i < 200; i++) {
    try { if ((await request(port, 'GET', '/versions/0/')).status === 200) return child } catch { /* not yet */ }
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  throw new Error('depot did not start')
}

spawnSync(process.execPath, [CLI, 'add-publisher', 'test', '--default', '--config', config])
spawnSync(process.execPath, [CLI, 'add-publisher', 'example.org', '--config', config])

/** The recorded pkgsend publishes, with a fresh version for each round so every one is new. */
function rounds (n: number): Array<Array<ReturnType<typeof exchanges>[number]>> {
  const trace = exchanges('publish-pkgsend-upload.jsonl')
  const bump = (s: string, r: number): string => s.replace(/%401\.([0-9])/, `%40${r + 10}.$1`)
  return Array.from({ length: n }, (_, r) => trace.map(x => ({
    ...x,
    request: { ...x.request, path: bump(x.request.path, r) },
    response: { ...x.response, headers: x.response.headers['Transaction-Id'] ? { ...x.response.headers, 'Transaction-Id': bump(x.response.headers['Transaction-Id'], r) } : x.response.headers }
  })))
}

async function check (tt: Test): Promise<number> {
  let versions = 0
  for (const pub of ['test', 'example.org']) {
    const cat = await fetchCatalog(port, pub)
    const base = partOf(cat.files.get('catalog.base.C'), pub)
    for (const [stem, list] of Object.entries(base)) {
      for (const e of list) {
        versions++
        const m = await request(port, 'GET', `/${pub}/manifest/0/${encodeURIComponent(stem)}@${encodeURIComponent(String(e.version))}`)
        if (sha1(m.body) !== e['signature-sha-1']) tt.fail(`${stem}@${String(e.version)}: manifest missing or different`)
        for (const line of m.body.toString().split('\n').filter(l => l.startsWith('file ') || l.startsWith('license '))) {
          const hash = line.split(' ')[1]!
          const f = await request(port, 'GET', `/${pub}/file/1/${hash}`)
          if (f.status !== 200) tt.fail(`${stem}: payload ${hash} missing`)
        }
      }
    }
  }
  return versions
}

t.test('SIGKILL at random points of publishing never leaves a half-published package', async t => {
  const token = await issuer.sign({ aud: 'https://depot.test', scope: 'depot:publish', depot_publishers: ['test', 'example.org'], exp: Math.floor(Date.now() / 1000) + 3600 })
  let child = await start()
  let kills = 0
  for (const [r, trace] of rounds(8).entries()) {
    const ids = new Map<string, string>()
    const killAfter = 1 + ((r * 7) % (trace.length - 1))
    let sent = 0
    for (const x of trace) {
      let p = x.request.path
      for (const [g, m] of ids) p = p.split(g).join(m)
      const body = x.request.body_base64 !== undefined ? Buffer.from(x.request.body_base64, 'base64') : x.request.body_text
      if (sent === killAfter) {
        // Kill while a request is in flight, then restart on the same data.
        const inflight = request(port, x.request.method, p, { ...replayHeaders(x), Authorization: `Bearer ${token}` }, body).catch(() => null)
        await new Promise(resolve => setTimeout(resolve, r % 3))
        child.kill('SIGKILL')
        await inflight
        kills++
        await new Promise(resolve => child.once('exit', resolve))
        child = await start()
        const versions = await check(t)
        t.ok(versions >= 0, `round ${r}: catalog valid after kill #${kills} (${versions} versions)`)
        break
      }
      const res = await request(port, x.request.method, p, { ...replayHeaders(x), Authorization: `Bearer ${token}` }, body)
      if (process.env.CRASH_DEBUG) console.error(r, sent, x.request.method, p.slice(0, 60), res.status, res.body.toString().slice(0, 200).replace(/\s+/g, ' '))
      if (x.response.headers['Transaction-Id'] && typeof res.headers['transaction-id'] === 'string') ids.set(x.response.headers['Transaction-Id'], res.headers['transaction-id'])
      sent++
    }
  }
  t.equal(kills, 8)

  // An open transaction survives a kill: the rest of the publish goes on after the restart.
  const auth = { Authorization: `Bearer ${token}`, 'Client-Release': '5.11' }
  const opened = await request(port, 'GET', '/open/0/pkg%3A%2F%2Ftest%2Fexample%2Fsurvivor%401.0%2C5.11-0.1', auth)
  t.equal(opened.status, 200)
  const id = String(opened.headers['transaction-id'])
  t.equal((await request(port, 'POST', `/add/0/${id}/set`, { ...auth, 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=survivor' })).status, 200)
  child.kill('SIGKILL')
  await new Promise(resolve => child.once('exit', resolve))
  child = await start()
  const closed = await request(port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 200, 'closed after the restart')
  t.match(String(closed.headers['package-fmri']), /^pkg:\/\/test\/example\/survivor@1\.0,5\.11-0\.1:/)
  const finalVersions = await check(t)
  t.ok(finalVersions > 0, `some packages made it (${finalVersions})`)
  child.kill('SIGTERM')
  await new Promise(resolve => child.once('exit', resolve))
})
