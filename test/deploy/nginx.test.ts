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

/** Writes a recipe from deploy/nginx into `prefix` with its placeholders replaced (the shared locations too); returns its path. */
function recipe (prefix: string, name: string, vars: Record<string, string>): string {
  const fill = (file: string): string => Object.entries({ ...vars, LOCATIONS: path.join(prefix, 'ips-depot-locations.conf') })
    .reduce((text, [k, v]) => text.replaceAll(`@${k}@`, v), fs.readFileSync(path.join(ROOT, 'deploy/nginx', file), 'utf8'))
  fs.writeFileSync(path.join(prefix, 'ips-depot-locations.conf'), fill('ips-depot-locations.conf'))
  fs.writeFileSync(path.join(prefix, name), fill(name))
  return path.join(prefix, name)
}

t.test('nginx in front: payloads from the store, the rest proxied, caching headers intact', async t => {
  if (NGINX === undefined) { t.fail('nginx is not installed (.ci/run installs nginx-light)'); return }
  const { depot, token } = await startPublishingDepot(t, { source: path.join(GOLDEN, 'repo') })
  const port = await freePort()
  const prefix = tempDir('ips-depot-nginx-')
  t.teardown(() => fs.rmSync(prefix, { recursive: true, force: true }))
  const conf = recipe(prefix, 'ips-depot.conf', { DEPOT: `127.0.0.1:${depot.port}`, LISTEN: `127.0.0.1:${port}`, DATA: depot.dataDir })
  const nginx = await startNginx(prefix, `include ${conf};`, port)
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

t.test('the TLS recipe: HTTPS with the same split, HSTS, and plain HTTP redirected', async t => {
  if (NGINX === undefined) { t.fail('nginx is not installed (.ci/run installs nginx-light)'); return }
  const { spawnSync } = await import('node:child_process')
  const https = await import('node:https')
  const { depot } = await startPublishingDepot(t, { source: path.join(GOLDEN, 'repo') })
  const [port, httpPort] = [await freePort(), await freePort()]
  const prefix = tempDir('ips-depot-nginx-')
  t.teardown(() => fs.rmSync(prefix, { recursive: true, force: true }))
  // A certificate made for this run, for 127.0.0.1.
  const [cert, key] = [path.join(prefix, 'cert.pem'), path.join(prefix, 'key.pem')]
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8', timeout: 60_000 })
  t.equal(made.status, 0, made.stderr)
  const conf = recipe(prefix, 'ips-depot-tls.conf', { DEPOT: `127.0.0.1:${depot.port}`, LISTEN: `127.0.0.1:${port}`, HTTP_LISTEN: `127.0.0.1:${httpPort}`, CERT: cert, KEY: key, DATA: depot.dataDir })
  const nginx = await startNginx(prefix, `include ${conf};`, port)
  t.teardown(async () => { await nginx.stop() })
  t.equal(nginx.check.status, 0, `the TLS recipe is valid nginx configuration: ${nginx.check.stderr}`)
  const ca = fs.readFileSync(cert)
  const get = async (target: string): Promise<{ status: number, headers: Record<string, unknown>, body: Buffer }> => await new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port, path: target, ca, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) })
    }).on('error', reject)
  })
  const attrs = await get('/test/catalog/1/catalog.attrs')
  t.equal(attrs.status, 200, 'the certificate verifies, the catalog is proxied')
  t.ok(attrs.body.equals((await request(depot.port, 'GET', '/test/catalog/1/catalog.attrs')).body), 'the same bytes as the depot')
  t.equal(attrs.headers['strict-transport-security'], 'max-age=63072000')
  const payload = await get(`/test/file/1/${PAYLOAD}`)
  t.equal(payload.status, 200)
  t.notOk(payload.headers['x-request-id'], 'payloads from the store, over TLS too')
  const plain = await request(httpPort, 'GET', '/test/catalog/1/catalog.attrs', { Host: `127.0.0.1:${port}` })
  t.equal(plain.status, 301, 'plain HTTP is redirected')
  t.equal(plain.headers.location, 'https://127.0.0.1/test/catalog/1/catalog.attrs', 'to the same path on HTTPS\'s port (443 in production)')
})
