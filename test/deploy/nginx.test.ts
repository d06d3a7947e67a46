/**
 * The deployment recipe, on loopback: nginx with deploy/nginx/ips-depot.conf
 * in front of a real depot, payloads served by nginx from the payload
 * store, everything else proxied. .ci/run installs nginx.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { GOLDEN, ROOT, tempDir } from '../helpers/depot.js'
import { request } from '../helpers/http.js'
import { freePort, NGINX, startNginx } from '../helpers/nginx.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const MANIFEST = '/test/manifest/0/example%2Fhello@1.0%2C5.11-0.1%3A20261123T001653Z'
const PAYLOAD = '0cdf86295978a9260d89b51ef6e86748363dd3e2'
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

t.test('nginx in front: payloads from the store, the rest proxied, caching headers intact', async t => {
  if (NGINX === undefined) { t.fail('nginx is not installed (.ci/run installs nginx-light)'); return }
  const { depot, token } = await startPublishingDepot(t, { source: path.join(GOLDEN, 'repo') })
  const port = await freePort()
  const prefix = tempDir('ips-depot-nginx-')
  t.teardown(() => fs.rmSync(prefix, { recursive: true, force: true }))
  const snippet = fs.readFileSync(path.join(ROOT, 'deploy/nginx/ips-depot.conf'), 'utf8')
    .replaceAll('@DEPOT@', `127.0.0.1:${depot.port}`).replaceAll('@LISTEN@', `127.0.0.1:${port}`).replaceAll('@DATA@', depot.dataDir)
  fs.writeFileSync(path.join(prefix, 'ips-depot.conf'), snippet)
  const nginx = await startNginx(prefix, `include ${prefix}/ips-depot.conf;`, port)
  t.teardown(async () => { await nginx.stop() })
  t.equal(nginx.check.status, 0, `the recipe is valid nginx configuration: ${nginx.check.stderr}`)
  const both = async (target: string, headers: Record<string, string> = {}) => ({ direct: await request(depot.port, 'GET', target, headers), proxied: await request(port, 'GET', target, headers) })

  for (const target of ['/versions/0/', '/test/catalog/1/catalog.attrs', MANIFEST]) {
    const { direct, proxied } = await both(target)
    t.equal(proxied.status, 200, target)
    t.ok(proxied.body.equals(direct.body), `${target}: the same bytes`)
    for (const h of ['etag', 'cache-control', 'last-modified', 'content-type']) t.equal(proxied.headers[h], direct.headers[h], `${target}: ${h}`)
    t.ok(proxied.headers['x-request-id'], `${target} is answered by the depot`)
    if (direct.headers.etag) t.equal((await request(port, 'GET', target, { 'If-None-Match': String(direct.headers.etag) })).status, 304, `${target}: revalidation through nginx`)
  }
  const zstd = await both('/test/catalog/1/catalog.attrs', { 'Accept-Encoding': 'zstd' })
  t.equal(zstd.proxied.headers['content-encoding'], 'zstd', 'encodings pass through')
  t.equal(zstd.proxied.headers.vary, 'Accept-Encoding')
  t.ok(zstd.proxied.body.equals(zstd.direct.body))

  for (const target of [`/file/1/${PAYLOAD}`, `/test/file/1/${PAYLOAD}`, `/file/0/${PAYLOAD}`]) {
    const { direct, proxied } = await both(target)
    t.equal(proxied.status, 200, target)
    t.notOk(proxied.headers['x-request-id'], `${target} is served by nginx from the payload store`)
    t.ok(proxied.body.equals(direct.body), `${target}: the stored gzip bytes, as the depot serves them`)
    t.equal(sha1(proxied.body), direct.headers.etag?.replace(/"/g, ''), 'which hash to the chash the client checks')
    t.equal(proxied.headers['content-type'], direct.headers['content-type'])
    t.equal(proxied.headers['cache-control'], direct.headers['cache-control'])
    t.notOk(proxied.headers['content-encoding'], 'never re-encoded')
    const lastModified = String(proxied.headers['last-modified'])
    t.equal((await request(port, 'GET', target, { 'If-Modified-Since': lastModified })).status, 304, 'conditional GET')
    t.equal((await request(port, 'GET', target, { 'If-None-Match': String(proxied.headers.etag) })).status, 304, 'nginx\'s validator revalidates')
    const range = await request(port, 'GET', target, { Range: 'bytes=0-9' })
    t.equal(range.status, 206)
    t.ok(range.body.equals(direct.body.subarray(0, 10)))
  }
  const missing = await request(port, 'GET', `/test/file/1/${'f'.repeat(40)}`)
  t.equal(missing.status, 404, 'an unknown payload falls through to the depot')
  t.ok(missing.headers['x-request-id'])
  t.match(missing.body.toString(), /<p>/)

  // Publishing through nginx: the upload streams to the depot, the new payload is then served from disk.
  const content = Buffer.from('published through nginx\n')
  const form = new FormData()
  form.append('manifest', `set name=pkg.fmri value=via/nginx@1.0\nset name=pkg.summary value=proxied\nfile ${sha1(content)} path=opt/via mode=0444 owner=root group=bin\n`)
  form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${await token()}` }, body: form })
  t.equal(res.status, 201, await res.text())
  const fetched = await request(port, 'GET', `/test/file/1/${sha1(content)}`)
  t.equal(fetched.status, 200)
  t.notOk(fetched.headers['x-request-id'], 'served by nginx')
  const { gunzipSync } = await import('node:zlib')
  t.ok(gunzipSync(fetched.body).equals(content))
})
