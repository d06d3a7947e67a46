/**
 * Concurrent requests for one representation share one compression: a
 * manifest over the size compressed in the background (1 MiB), asked for
 * by many clients at once, is compressed once per coding.
 */
import { createHash } from 'node:crypto'
import zlib from 'node:zlib'
import t from 'tap'
import { decompress } from 'zstd-napi'
import { request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

t.test('twelve concurrent readers of a 1.5 MiB manifest cost one compression per coding', async t => {
  const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]], bodyLimit: 8 * 1024 * 1024 })
  const manifest = 'set name=pkg.fmri value=example/big@1.0\n' + Array.from({ length: 25_000 }, (_, i) => `dir path=opt/big/directory-${i} mode=0755 owner=root group=bin\n`).join('')
  const form = new FormData()
  form.append('manifest', manifest)
  const published = await fetch(`${depot.url}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${await token()}` }, body: form })
  t.equal(published.status, 201)
  const fmri = ((await published.json()) as { fmri: string }).fmri.replace('pkg://test/', '')
  const target = `/test/manifest/0/${encodeURIComponent(fmri)}`
  const plain = (await request(depot.port, 'GET', target)).body
  t.ok(plain.length > 1024 * 1024, `the manifest is ${plain.length} bytes`)
  const encoder = depot.app.depot.encoder
  for (const [coding, decode] of [['zstd', (b: Buffer) => Buffer.from(decompress(b))], ['gzip', (b: Buffer) => zlib.gunzipSync(b)]] as const) {
    const before = encoder.compressions
    const answers = await Promise.all(Array.from({ length: 12 }, async () => await request(depot.port, 'GET', target, { 'Accept-Encoding': coding })))
    t.same(answers.map(a => `${a.status} ${String(a.headers['content-encoding'])}`), Array(12).fill(`200 ${coding}`))
    t.equal(new Set(answers.map(a => createHash('sha1').update(a.body).digest('hex'))).size, 1, `${coding}: the same bytes to all`)
    t.ok(decode(answers[0]!.body).equals(plain), `${coding}: they decode to the manifest`)
    t.equal(encoder.compressions - before, 1, `${coding}: one compression for twelve readers`)
    t.equal((await request(depot.port, 'GET', target, { 'Accept-Encoding': coding })).headers['content-encoding'], coding)
    t.equal(encoder.compressions - before, 1, `${coding}: and none for the next reader (cached)`)
  }
})
