/**
 * What the depot survives is still told to the operator: a seal that
 * fails (the catalog served as last sealed) and a background job that
 * fails are logged at warn, with the reason, by `ips-depot serve`.
 */
import { createHash } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import t from 'tap'
import { recordCatalogChange } from '../../src/store/catalog-writer.js'
import { prepareDepot, spawnServe } from '../helpers/cli.js'
import { request } from '../helpers/http.js'

const warnings = (output: string): Array<{ msg: string }> => output.split('\n').filter(l => l.startsWith('{')).map(l => JSON.parse(l) as { level: number, msg: string }).filter(l => l.level === 40)

t.test('a failed seal and a failed background job are logged at warn with their reason', async t => {
  const { dir, config, token } = await prepareDepot(t)
  const depot = await spawnServe(t, ['--config', config])
  const auth = { Authorization: `Bearer ${await token()}` }
  const content = Buffer.from('a payload\n')
  const hash = createHash('sha1').update(content).digest('hex')
  const form = new FormData()
  form.append('manifest', `set name=pkg.fmri value=web/nginx@1.0\nfile ${hash} path=opt/nginx mode=0444 owner=root group=bin\n`)
  form.append(hash, new Blob([new Uint8Array(content)]), hash)
  t.equal((await fetch(`http://127.0.0.1:${depot.port}/api/v1/publishers/test/packages`, { method: 'POST', headers: auth, body: form })).status, 201)
  const attrs = await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')
  depot.child.kill('SIGTERM')
  await depot.exited

  // A change the sealer cannot sign, left in the database (a damaged row): the next start seals before it listens.
  const db = new Database(path.join(dir, 'data', 'depot.sqlite'))
  t.teardown(() => { if (db.open) db.close() })
  const log = 'update.20260101T00Z.C'
  db.transaction(() => {
    db.prepare("INSERT INTO update_log_entry (publisher, log, stem, version, op_type, op_time, parts) VALUES ('test', ?, 'web/broken', '1.0', 'add', 0, '{')").run(log)
    db.prepare("INSERT INTO catalog_stamp (publisher, name, last_modified) VALUES ('test', ?, 0)").run(log)
    recordCatalogChange(db, 'test', new Set([log]), new Set())
  })()
  db.close()
  const restarted = await spawnServe(t, ['--config', config])
  const served = await request(restarted.port, 'GET', '/test/catalog/1/catalog.attrs')
  t.equal(served.status, 200)
  t.ok(served.body.equals(attrs.body), 'served as last sealed')
  t.match(warnings(restarted.output()).map(w => w.msg).join('\n'), /test: the catalog worker failed: .*serving the catalog as last sealed/, 'and the log says why, at warn')

  const rebuild = await request(restarted.port, 'POST', '/api/v1/publishers/test/rebuild', { Authorization: `Bearer ${await token(3600, 'depot:rebuild')}` })
  t.equal(rebuild.status, 202)
  const { id } = JSON.parse(rebuild.body.toString()) as { id: string }
  let state = ''
  for (let i = 0; i < 200 && !['done', 'failed'].includes(state); i++) {
    state = (JSON.parse((await request(restarted.port, 'GET', `/api/v1/jobs/${id}`)).body.toString()) as { state: string }).state
    await new Promise(resolve => setTimeout(resolve, 25))
  }
  t.equal(state, 'failed', 'the rebuild cannot sign the broken entry either')
  t.match(warnings(restarted.output()).map(w => w.msg).join('\n'), /background job \S+ failed: .*JSON/, 'a failed job is logged at warn, with the reason')
})
