/**
 * Uploads are bounded before work is done, and a bad one gets a clear 4xx
 * and stores nothing: the declared Content-Length, the whole multipart
 * request, the manifest field, the number of actions, and each payload by
 * its declared pkg.size or publish.max_decompressed_bytes (gzip bombs), over
 * REST and over pkg(5) file/1 and manifest/1.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import zlib from 'node:zlib'
import t from 'tap'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { errorMessage, request, type RawResponse } from '../helpers/http.js'
import { listFiles } from '../helpers/fuzz.js'

const LIMIT = 1024 * 1024
const MAX_DECOMPRESSED = 4 * 1024 * 1024
const { depot, token: sign } = await startPublishingDepot(t, {
  publishers: [['test', true]],
  extraConfig: `\n[publish]\nmax_decompressed_bytes = ${MAX_DECOMPRESSED}\nmax_actions = 50\n`
})
const token = await sign({ depot_publishers: ['test'] })
const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

interface Part { readonly name: string, readonly value: Buffer | string, readonly file?: boolean }
function multipart (parts: readonly Part[], boundary = 'xYzZy'): Buffer {
  const chunks: Buffer[] = []
  for (const p of parts) {
    const disposition = `form-data; name="${p.name}"${p.file === true ? `; filename="${p.name}"` : ''}`
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${p.file === true ? 'Content-Type: application/octet-stream\r\n' : ''}\r\n`), Buffer.from(p.value), Buffer.from('\r\n'))
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`))
  return Buffer.concat(chunks)
}
const upload = (body: Buffer, contentType = 'multipart/form-data; boundary=xYzZy'): Promise<RawResponse> =>
  request(depot.port, 'POST', '/api/v1/publishers/test/packages', { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body)
const detail = (res: RawResponse): string => (JSON.parse(res.body.toString()) as { detail: string }).detail

function state (): string {
  return JSON.stringify({ packages: depot.repo.db.prepare('SELECT COUNT(*) FROM package').pluck().get(), files: listFiles(path.join(depot.dataDir, 'file')), tmp: listFiles(depot.repo.payloads.tmp) })
}

const content = Buffer.from('a small payload\n')
const hash = sha1(content)
const manifest = (extra = ''): string => `set name=pkg.fmri value=example/up@1.0\nfile ${hash} path=opt/up mode=0444 owner=root group=bin${extra}\n`

t.test('REST: each malformed or oversized upload is a 4xx that names the problem, and stores nothing', async t => {
  const before = state()
  const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024))
  const bombHash = sha1(Buffer.alloc(64 * 1024 * 1024))
  const cases: Array<[string, Buffer, string | undefined, number, RegExp]> = [
    ['two manifest fields', multipart([{ name: 'manifest', value: manifest() }, { name: 'manifest', value: manifest() }]), undefined, 400, /sent twice/],
    ['a manifest that is not UTF-8', multipart([{ name: 'manifest', value: Buffer.concat([Buffer.from(manifest()), Buffer.from([0xff, 0xfe, 0x0a])]) }]), undefined, 400, /not valid UTF-8/],
    ['more actions than publish.max_actions', multipart([{ name: 'manifest', value: manifest() + Array.from({ length: 60 }, (_, i) => `dir path=opt/d${i} mode=0755 owner=root group=bin\n`).join('') }]), undefined, 400, /more than the 50 allowed \(publish.max_actions\)/],
    ['multipart without a boundary', multipart([{ name: 'manifest', value: manifest() }]), 'multipart/form-data', 400, /multipart body cannot be read/],
    ['a payload before the manifest', multipart([{ name: hash, value: content, file: true }, { name: 'manifest', value: manifest() }]), undefined, 400, /manifest" field first/],
    ['a payload the manifest does not reference', multipart([{ name: 'manifest', value: manifest() }, { name: sha1(Buffer.from('x')), value: 'x', file: true }]), undefined, 400, /not referenced by the manifest/],
    ['a payload over body_limit', multipart([{ name: 'manifest', value: manifest() }, { name: hash, value: Buffer.alloc(2 * LIMIT, 1), file: true }]), undefined, 413, /larger than 1048576 bytes \(server.body_limit\)/],
    ['parts that together exceed body_limit', multipart([{ name: 'manifest', value: `set name=pkg.fmri value=example/up@1.0\n${[0, 1, 2].map(i => `file ${sha1(Buffer.alloc(400 * 1024, i))} path=opt/p${i} mode=0444 owner=root group=bin\n`).join('')}` }, ...[0, 1, 2].map(i => ({ name: sha1(Buffer.alloc(400 * 1024, i)), value: Buffer.alloc(400 * 1024, i), file: true }))]), undefined, 413, /server.body_limit/],
    ['a gzip bomb past publish.max_decompressed_bytes', multipart([{ name: 'manifest', value: `set name=pkg.fmri value=example/up@1.0\nfile ${bombHash} path=opt/bomb mode=0444 owner=root group=bin\n` }, { name: bombHash, value: bomb, file: true }]), undefined, 413, new RegExp(`larger than ${MAX_DECOMPRESSED} bytes \\(publish.max_decompressed_bytes\\)`)],
    ['a gzip bomb past its declared pkg.size', multipart([{ name: 'manifest', value: `set name=pkg.fmri value=example/up@1.0\nfile ${bombHash} path=opt/bomb mode=0444 owner=root group=bin pkg.size=1000\n` }, { name: bombHash, value: bomb, file: true }]), undefined, 413, /larger than the pkg.size its action declares \(1000 bytes\)/]
  ]
  for (const [what, body, type, status, message] of cases) {
    const res = await upload(body, type)
    t.equal(res.status, status, `${what}: ${status}`)
    t.match(detail(res), message, `${what}: says why`)
  }
  t.equal(state(), before, 'no package, no payload, no temporary file')
  const ok = await upload(multipart([{ name: 'manifest', value: manifest() }, { name: hash, value: content, file: true }]))
  t.equal(ok.status, 201, 'a good upload still publishes')
})

t.test('REST: a manifest field over 16 MiB is refused, never cut and published', async t => {
  const roomy = await startPublishingDepot(t, { publishers: [['test', true]], bodyLimit: 64 * 1024 * 1024 })
  const res = await request(roomy.depot.port, 'POST', '/api/v1/publishers/test/packages', { Authorization: `Bearer ${await roomy.token()}`, 'Content-Type': 'multipart/form-data; boundary=xYzZy' },
    multipart([{ name: 'manifest', value: manifest() + 'set name=pkg.description value=' + 'x'.repeat(17 * 1024 * 1024) + '\n' }]))
  t.equal(res.status, 413)
  t.match(detail(res), /manifest is larger than 16777216 bytes/)
  t.equal(roomy.depot.repo.db.prepare('SELECT COUNT(*) FROM package').pluck().get(), 0, 'nothing published')
})

t.test('REST: a Content-Length over body_limit is refused before the body is read', async t => {
  const res = await new Promise<RawResponse>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: depot.port, method: 'POST', path: '/api/v1/publishers/test/packages', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/form-data; boundary=xYzZy', 'Content-Length': String(10 * 1024 * 1024 * 1024) } }, r => {
      const chunks: Buffer[] = []
      r.on('data', (c: Buffer) => chunks.push(c)).on('end', () => { resolve({ status: r.statusCode!, headers: r.headers, body: Buffer.concat(chunks) }); req.destroy() })
    })
    req.on('error', reject)
    req.write('--xYzZy\r\n')
  })
  t.equal(res.status, 413, 'answered with 10 bytes of a declared 10 GiB sent')
  t.match(detail(res), /server.body_limit/)
})

t.test('pkg(5): file/1 and manifest/1 bounds', async t => {
  const auth = { Authorization: `Bearer ${token}`, 'Client-Release': '5.11' }
  const opened = await request(depot.port, 'GET', '/open/0/pkg:%2F%2Ftest%2Fbounded%401.0', auth)
  const id = String(opened.headers['transaction-id'])
  const before = state()
  const big = Buffer.alloc(8 * 1024 * 1024)
  const bomb = await request(depot.port, 'POST', `/file/1/${id}`, { ...auth, 'X-IPkg-SetAttr0': `basename=${sha1(big)}` }, zlib.gzipSync(big))
  t.equal(bomb.status, 413, 'a gzip bomb over file/1')
  const other = Buffer.from('not the content its name says\n')
  for (const [what, body, message] of [
    ['a gzip stream of other content', zlib.gzipSync(other), `The payload sent as ${hash} holds content with SHA-1 ${sha1(other)}.`],
    ['not a gzip stream', other, `The payload sent as ${hash} is not a valid gzip stream: incorrect header check`]
  ] as const) {
    const misnamed = await request(depot.port, 'POST', `/file/1/${id}`, { ...auth, 'X-IPkg-SetAttr0': `basename=${hash}` }, body)
    t.equal(misnamed.status, 400, `file/1: ${what}`)
    t.equal(errorMessage(misnamed.body), message)
  }
  t.equal(state(), before, 'nothing stored')
  t.equal(errorMessage(bomb.body), `The payload sent as ${sha1(big)} decompresses to more than ${MAX_DECOMPRESSED} bytes (publish.max_decompressed_bytes).`)
  const many = await request(depot.port, 'POST', `/manifest/1/${id}`, auth, Array.from({ length: 60 }, (_, i) => `dir path=opt/d${i} mode=0755 owner=root group=bin\n`).join(''))
  t.equal(many.status, 400, 'too many actions over manifest/1: not a 500')
  t.match(errorMessage(many.body), /more than the 50 allowed/)
  const body = await request(depot.port, 'POST', `/file/1/${id}`, { ...auth, 'X-IPkg-SetAttr0': `basename=${sha1(Buffer.alloc(2 * LIMIT))}` }, Buffer.alloc(2 * LIMIT))
  t.equal(body.status, 413, 'a body over body_limit')
  const small = Buffer.alloc(2 * 1024 * 1024)
  const declared = await request(depot.port, 'POST', `/manifest/1/${id}`, auth, `file ${sha1(small)} path=opt/small mode=0444 owner=root group=bin pkg.size=1000\n`)
  t.equal(declared.status, 200, 'a manifest that declares a payload of 1000 bytes')
  const past = await request(depot.port, 'POST', `/file/1/${id}`, { ...auth, 'X-IPkg-SetAttr0': `basename=${sha1(small)}` }, zlib.gzipSync(small))
  t.equal(past.status, 413, 'a payload decompressing past its declared size')
  t.equal(errorMessage(past.body), `The payload sent as ${sha1(small)} decompresses to more than the pkg.size its action declares (1000 bytes).`)
  t.equal(state(), before, 'nothing stored')
})

t.test('an upload is hashed and compressed off the serving thread: reads go on meanwhile', async t => {
  const roomy = await startPublishingDepot(t, { publishers: [['test', true]], bodyLimit: 64 * 1024 * 1024 })
  const port = roomy.depot.port
  const auth = { Authorization: `Bearer ${await roomy.token()}`, 'Client-Release': '5.11' }
  const id = String((await request(port, 'GET', '/open/0/pkg:%2F%2Ftest%2Fheavy%401.0', auth)).headers['transaction-id'])
  // Text that deflates slowly at level 9: what pkgsend's add/0 makes the depot compress.
  const { randomBytes } = await import('node:crypto')
  const payload = Buffer.from(randomBytes(18 * 1024 * 1024).toString('base64'))
  let uploading = true
  const answered: number[] = []
  const reader = (async () => {
    while (uploading) {
      const res = await request(port, 'GET', '/test/catalog/1/catalog.attrs')
      answered.push(performance.now())
      if (res.status !== 200) throw new Error(`read answered ${res.status}`)
      await new Promise(resolve => setTimeout(resolve, 25))
    }
  })()
  let sent = Infinity
  let atSent = performance.eventLoopUtilization()
  const added = await request(port, 'POST', `/add/0/${id}/file`, { ...auth, 'X-IPkg-SetAttr0': 'path=opt/heavy', 'X-IPkg-SetAttr1': 'mode=0444', 'X-IPkg-SetAttr2': 'owner=root', 'X-IPkg-SetAttr3': 'group=bin' }, payload, () => { sent = performance.now(); atSent = performance.eventLoopUtilization() })
  const done = performance.now()
  const busy = performance.eventLoopUtilization(atSent).utilization
  uploading = false
  await reader
  t.equal(added.status, 200, `a ${payload.length >> 20} MiB add/0`)
  // One read at a time: had the hashing and compression blocked the event loop, at most one read would end while they ran.
  const during = answered.filter(at => at > sent && at < done).length
  t.ok(during >= 5, `${during} reads answered between the end of the upload and its answer, while the depot hashed and compressed it (${Math.round(done - sent)} ms)`)
  // The depot runs in this process: its serving thread (which also runs this test's reader) is mostly idle meanwhile.
  t.ok(busy < 0.5, `the serving thread was busy ${Math.round(busy * 100)}% of that time: the work was done by a worker thread`)
})
