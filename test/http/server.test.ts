/**
 * What [server] promises, over a socket: server.max_headers, server.trust_proxy
 * (the client address in the log), and one log line per request.
 */
import net from 'node:net'
import t from 'tap'
import { startDepot } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

/** Sends a request with exactly `count` header fields (Host included) and returns the raw answer. */
async function withHeaders (port: number, count: number): Promise<string> {
  const fields = ['Host: depot.test', 'Connection: close', ...Array.from({ length: count - 2 }, (_, i) => `X-Filler-${i}: ${i}`)]
  return await new Promise((resolve, reject) => {
    let got = ''
    const socket = net.connect(port, '127.0.0.1', () => { socket.write(`GET /versions/0/ HTTP/1.1\r\n${fields.join('\r\n')}\r\n\r\n`) })
    socket.on('data', (d: Buffer) => { got += d.toString('latin1') })
    socket.on('end', () => { socket.end(); resolve(got) })
    socket.on('error', reject)
    socket.setTimeout(10_000, () => { socket.destroy(new Error('no answer')) })
  })
}

t.test('server.max_headers: a request with more header fields is refused with 431, not cut short', async t => {
  const depot = await startDepot({ maxHeaders: 20 })
  t.teardown(() => depot.close())
  t.match(await withHeaders(depot.port, 20), /^HTTP\/1\.1 200 /, '20 fields')
  const over = await withHeaders(depot.port, 21)
  t.match(over, /^HTTP\/1\.1 431 /, '21 fields')
  t.match(over, /more than 20 header fields \(server\.max_headers\)/)
  t.match(await withHeaders(depot.port, 500), /^HTTP\/1\.1 431 /, '500 fields')
})

t.test('server.trust_proxy decides whose address the log shows; one line per request', async t => {
  for (const trustProxy of [false, true]) {
    const lines: Array<Record<string, unknown>> = []
    const depot = await startDepot({ trustProxy, log: { write: (l: string) => { lines.push(JSON.parse(l) as Record<string, unknown>) } } })
    t.teardown(() => depot.close())
    const sent = ['/versions/0/', '/test/catalog/1/catalog.attrs', '/test/manifest/0/nosuch@1.0', '/test/open/0/x@1.0', '/test/file/0/%C0', '/api/v1/whoami']
    const statuses: number[] = []
    for (const target of sent) statuses.push((await request(depot.port, 'GET', target, { 'X-Forwarded-For': '203.0.113.7, 198.51.100.2', 'User-Agent': 'pkg/test' })).status)
    const requests = lines.filter(l => l.msg === 'request')
    t.same(requests.map(l => [l.url, l.status]), sent.map((u, i) => [u, statuses[i]]), `trust_proxy = ${trustProxy}: one line per request, with the status sent (${statuses.join(', ')})`)
    t.equal(new Set(requests.map(l => l.reqId)).size, sent.length, 'each with its own request id')
    t.same(new Set(requests.map(l => l.ip)), new Set([trustProxy ? '203.0.113.7' : '127.0.0.1']), trustProxy ? 'the address the proxy forwarded' : 'the socket\'s address: X-Forwarded-For is not trusted')
    t.ok(requests.every(l => l.ua === 'pkg/test' && typeof l.ms === 'number'), 'with user agent and time')
  }
})

t.test('an incoming X-Request-Id is kept when well formed; secrets in the query never reach the log', async t => {
  const lines: string[] = []
  const depot = await startDepot({ log: { write: (l: string) => { lines.push(l) } } })
  t.teardown(() => depot.close())
  const kept = await request(depot.port, 'GET', '/versions/0/', { 'X-Request-Id': 'lb-7f3a:42' })
  t.equal(kept.headers['x-request-id'], 'lb-7f3a:42', 'answered with the id the proxy sent')
  for (const bad of ['two words', 'x'.repeat(129), '<script>']) {
    const fresh = await request(depot.port, 'GET', '/versions/0/', { 'X-Request-Id': bad })
    t.match(fresh.headers['x-request-id'], /^[0-9a-f-]{36}$/, `${JSON.stringify(bad.slice(0, 20))}: replaced by a fresh id`)
  }
  await request(depot.port, 'GET', '/versions/0/?token=SECRET1&access_token=SECRET2&code=SECRET3&client_secret=SECRET4&id_token=SECRET5&page=2')
  const log = lines.join('')
  t.match(log, /"reqId":"lb-7f3a:42"/, 'the log line carries it')
  t.notMatch(log, /SECRET/, 'no secret in any line')
  t.match(log, /\?token=\[redacted\]&access_token=\[redacted\]&code=\[redacted\]&client_secret=\[redacted\]&id_token=\[redacted\]&page=2/)
})

t.test('a secret is redacted by its parameter\'s decoded, case-folded name, however the name is spelled', async t => {
  const lines: string[] = []
  const depot = await startDepot({ log: { write: (l: string) => { lines.push(l) } } })
  t.teardown(() => depot.close())
  const spellings = ['%61ccess_token', '%74oken', 'TOKEN%3D', 'Access_Token', 'token[]', 'x;token', 'refresh%5Ftoken', 'client%20secret']
  for (const [i, name] of spellings.entries()) await request(depot.port, 'GET', `/versions/0/?page=1&${name}=SPELLED${i}SECRET`)
  await request(depot.port, 'GET', '/versions/0/?a=1;token=SEMICOLONSECRET#frag')
  const urls = lines.map(l => JSON.parse(l) as { url?: string }).filter(l => l.url?.startsWith('/versions/0/?') === true).map(l => l.url!)
  t.equal(urls.length, spellings.length + 1, 'one access line each')
  t.same(urls.filter(u => /SECRET/.test(u)), [], 'no secret in any line')
  t.ok(urls.every(u => u.includes('=[redacted]') && u.includes('page=1') !== u.includes('a=1')), 'the other parameters are kept')
})
