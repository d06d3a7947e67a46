/**
 * The bounds on pkg(5) transactions, through a running depot:
 * publish.max_actions as the manifest grows, publish.max_open_transactions
 * per token subject, and publish.transaction_idle_hours (a depot started
 * later, its clock moved forward, drops what nobody touched).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import t from 'tap'
import { clockMovedBy, prepareDepot, spawnServe } from '../helpers/cli.js'
import { errorMessage, request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const open = (port: number, auth: Record<string, string>, stem: string): ReturnType<typeof request> =>
  request(port, 'GET', `/open/0/${encodeURIComponent(`pkg://test/${stem}@1.0`)}`, { ...auth, 'Client-Release': '5.11' })
const setAttr = (port: number, auth: Record<string, string>, id: string, name: string): ReturnType<typeof request> =>
  request(port, 'POST', `/add/0/${id}/set`, { ...auth, 'X-IPkg-SetAttr0': `name=${name}`, 'X-IPkg-SetAttr1': 'value=x' })

t.test('publish.max_actions bounds a transaction as it grows, not only at close', async t => {
  const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]], extraConfig: '\n[publish]\nmax_actions = 5\n' })
  const auth = { Authorization: `Bearer ${await token()}` }
  const id = String((await open(depot.port, auth, 'many')).headers['transaction-id'])
  for (let i = 0; i < 4; i++) t.equal((await setAttr(depot.port, auth, id, `info.a${i}`)).status, 200, `action ${i + 1} of 4`)
  const fifth = await setAttr(depot.port, auth, id, 'info.a4')
  t.equal(fifth.status, 400, 'a fifth action would make six with the set pkg.fmri that close adds')
  t.equal(errorMessage(fifth.body), 'The manifest has 6 actions, more than the 5 allowed (publish.max_actions).')
  const payload = await request(depot.port, 'POST', `/add/0/${id}/file`, { ...auth, 'X-IPkg-SetAttr0': 'path=opt/f', 'X-IPkg-SetAttr1': 'mode=0444', 'X-IPkg-SetAttr2': 'owner=root', 'X-IPkg-SetAttr3': 'group=bin' }, 'refused before it is stored\n')
  t.equal(payload.status, 400, 'a file action too')
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 200, 'the transaction is as it was before the refusals, and closes')
  const fmri = String(closed.headers['package-fmri']).replace('pkg://test/', '')
  const manifest = (await request(depot.port, 'GET', `/test/manifest/0/${encodeURIComponent(fmri)}`)).body.toString()
  t.equal(manifest.trim().split('\n').length, 5, 'with its five actions')
  t.notMatch(manifest, /info\.a4|opt\/f/)
})

t.test('publish.max_open_transactions is counted per token subject', async t => {
  const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]], extraConfig: '\n[publish]\nmax_open_transactions = 2\n' })
  const alice = { Authorization: `Bearer ${await token({ sub: 'alice' })}` }
  const bob = { Authorization: `Bearer ${await token({ sub: 'bob' })}` }
  const first = String((await open(depot.port, alice, 'one')).headers['transaction-id'])
  t.equal((await open(depot.port, alice, 'two')).status, 200)
  const third = await open(depot.port, alice, 'three')
  t.equal(third.status, 400)
  t.equal(errorMessage(third.body), 'Too many open transactions (2); close or abandon some first.')
  t.equal((await open(depot.port, bob, 'three')).status, 200, 'another subject has its own allowance')
  t.equal((await request(depot.port, 'GET', `/abandon/0/${first}`, alice)).status, 200)
  const again = await open(depot.port, alice, 'three')
  t.equal(again.status, 200, `abandoning one makes room ${errorMessage(again.body) ?? ''}`)
})

t.test('regression: the same FMRI opened in the same second by two subjects gets two transactions', async t => {
  // Found by the max_open_transactions test: the second open answered "Transaction ID ... is already open".
  const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]] })
  const [a, b] = await Promise.all(['alice', 'bob'].map(async sub => await open(depot.port, { Authorization: `Bearer ${await token({ sub })}` }, 'same')))
  t.equal(a!.status, 200)
  t.equal(b!.status, 200)
  t.not(a!.headers['transaction-id'], b!.headers['transaction-id'], 'each its own, a second apart')
})

t.test('publish.transaction_idle_hours: a transaction nobody touched for longer is dropped at start', async t => {
  const { dir, config, token } = await prepareDepot(t, { extraConfig: '[publish]\ntransaction_idle_hours = 1\n' })
  // Valid for a day, so that it still is when the depot's clock has moved.
  const auth = { Authorization: `Bearer ${await token(86400)}` }
  /** The depot started `minutes` later than now. */
  const later = async (minutes: number): Promise<Awaited<ReturnType<typeof spawnServe>>> =>
    await spawnServe(t, ['--config', config], [clockMovedBy(minutes * 60_000)])
  const stop = async (d: Awaited<ReturnType<typeof spawnServe>>): Promise<void> => { d.child.kill('SIGTERM'); await d.exited }

  let depot = await later(0)
  const id = String((await open(depot.port, auth, 'idle')).headers['transaction-id'])
  const payload = Buffer.from('a payload of a transaction nobody finishes\n')
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/file`, { ...auth, 'X-IPkg-SetAttr0': 'path=opt/idle', 'X-IPkg-SetAttr1': 'mode=0444', 'X-IPkg-SetAttr2': 'owner=root', 'X-IPkg-SetAttr3': 'group=bin' }, payload)).status, 200)
  await stop(depot)

  depot = await later(50)
  t.equal((await setAttr(depot.port, auth, id, 'pkg.summary')).status, 200, '50 minutes later: still there, and touched now')
  await stop(depot)

  depot = await later(50 + 59)
  t.equal((await setAttr(depot.port, auth, id, 'pkg.description')).status, 200, '59 minutes after it was last touched: still there')
  await stop(depot)

  depot = await later(50 + 59 + 61)
  const gone = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(gone.status, 400, '61 minutes after it was last touched: dropped')
  t.equal(errorMessage(gone.body), `No transaction matching '${id}' could be found.`)
  t.equal(fs.readdirSync(`${dir}/data`, { recursive: true }).filter(f => String(f).includes(createHash('sha1').update(payload).digest('hex'))).length, 0, 'its payload is gone from the data directory')
  await stop(depot)
})
