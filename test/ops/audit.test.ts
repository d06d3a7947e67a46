/** ips-depot audit, beside a serving depot: every decision, filtered by time and publisher. */
import t from 'tap'
import { prepareDepot, runCli, spawnServe } from '../helpers/cli.js'
import { request } from '../helpers/http.js'

t.test('audit lists allowed and refused decisions with who and why; --since, --publisher and --json filter and shape them', async t => {
  const { config, token } = await prepareDepot(t, { publishers: ['test', 'other'] })
  const depot = await spawnServe(t, ['--config', config])
  const auth = { Authorization: `Bearer ${await token()}`, 'Client-Release': '5.11' }
  t.equal((await request(depot.port, 'GET', '/open/0/pkg:%2F%2Ftest%2Faudited%401.0', auth)).status, 200)
  const started = new Date().toISOString()
  await new Promise(resolve => setTimeout(resolve, 20))
  t.equal((await request(depot.port, 'GET', '/open/0/pkg:%2F%2Fnope%2Faudited%401.0', auth)).status, 403)
  t.equal((await request(depot.port, 'GET', '/open/0/pkg:%2F%2Fother%2Faudited%401.0', { 'Client-Release': '5.11' })).status, 401)

  const all = await runCli(['audit', '--config', config, '--json'])
  t.equal(all.code, 0, all.stderr)
  const entries = all.stdout.trim().split('\n').map(l => JSON.parse(l) as { result: string, publisher: string, subject: string | null, detail: string | null, action: string })
  t.same(entries.map(e => [e.action, e.publisher, e.result]), [['publish', 'test', 'allowed'], ['publish', 'nope', 'refused 403'], ['publish', 'other', 'refused 401']])
  t.equal(entries[0]!.subject, 'subject-1', 'who')
  t.match(entries[1]!.detail, /publisher nope is not granted/, 'and why')
  t.same((await runCli(['audit', '--config', config, '--since', started, '--json'])).stdout.trim().split('\n').length, 2, '--since an ISO time')
  t.equal((await runCli(['audit', '--config', config, '--since', '1h', '--json'])).stdout.trim().split('\n').length, 3, '--since an age')
  const other = await runCli(['audit', '--config', config, '--publisher', 'other'])
  t.match(other.stdout, /^\S+Z refused 401 +publish other - \(no token\): This operation requires a bearer token\.\n$/, '--publisher, and the text form')
  const bad = await runCli(['audit', '--config', config, '--since', 'yesterday'])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /--since yesterday: neither an ISO 8601 time nor an age such as 24h or 7d/)
})
