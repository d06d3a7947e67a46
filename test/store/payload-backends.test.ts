/**
 * The payload backends against one contract: the file store and a bucket
 * of an S3-compatible server (s3rver) on loopback pass the same checks.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import t, { type Test } from 'tap'
import { FilePayloads } from '../../src/store/payload-files.js'
import { MULTIPART_BYTES, S3Payloads } from '../../src/store/payload-s3.js'
import { type PayloadBackend, PayloadMissingError, PayloadStore } from '../../src/store/payload-store.js'
import { tempDir } from '../helpers/depot.js'
import { s3Config, startS3 } from '../helpers/s3.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

async function bytesOf (stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of stream) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function listed (b: PayloadBackend): Promise<string[]> {
  const names: string[] = []
  for await (const n of b.list()) names.push(n)
  return names.sort()
}

/** A gzip payload in a file, as the store keeps it: named by its content's SHA-1. */
function payload (dir: string, content: Buffer): { hash: string, file: string, gzip: Buffer } {
  const gzip = zlib.gzipSync(content, { level: 0 })
  const hash = sha1(content)
  const file = path.join(dir, `staged-${hash}`)
  fs.writeFileSync(file, gzip)
  return { hash, file, gzip }
}

const s3 = await startS3(['payloads'])
t.teardown(async () => { await s3.close() })

const backends: Array<[string, (dir: string) => PayloadBackend]> = [
  ['file store', dir => new FilePayloads(dir)],
  ['S3 bucket', dir => new S3Payloads(s3Config(s3, { prefix: `${path.basename(dir)}/` }))]
]

for (const [name, open] of backends) {
  t.test(`${name}: the payload contract`, async t => {
    const dir = tempDir()
    const backend = open(dir)
    const store = new PayloadStore(backend, dir)
    t.teardown(async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) })

    const small = payload(dir, Buffer.from('a small payload\n'))
    t.equal(await store.has(small.hash), false, 'absent before it is stored')
    await t.rejects(store.read(small.hash), PayloadMissingError, 'reading a missing payload fails as missing')
    await store.put(small.hash, small.file)
    t.equal(await store.has(small.hash), true)
    t.same(await store.readAll(small.hash), small.gzip, 'read back byte for byte')
    t.same(await bytesOf(await store.read(small.hash, { start: 3, end: 9 })), small.gzip.subarray(3, 10), 'a span, both ends inclusive')
    t.same(await listed(backend), [small.hash], 'listed by name')

    fs.writeFileSync(small.file, 'something else')
    await store.put(small.hash, small.file)
    t.same(await store.readAll(small.hash), small.gzip, 'a payload already stored is not written again')

    // Above the multipart threshold: several parts, one object.
    const large = payload(dir, randomBytes(MULTIPART_BYTES + 3 * 1024 * 1024))
    await store.put(large.hash, large.file)
    t.equal(sha1(await store.readAll(large.hash)), sha1(large.gzip), `a ${large.gzip.length}-byte payload comes back whole`)
    t.same(await bytesOf(await store.read(large.hash, { start: MULTIPART_BYTES - 2, end: MULTIPART_BYTES + 2 })), large.gzip.subarray(MULTIPART_BYTES - 2, MULTIPART_BYTES + 3), 'a span across a part boundary')

    t.equal(await store.delete(small.hash), true)
    t.equal(await store.has(small.hash), false, 'deleted')
    await store.delete(small.hash)
    t.same(await listed(backend), [large.hash], 'deleting twice is harmless; the rest stays')
    await backend.check(true)
  })

  t.test(`${name}: a held payload is not deleted, and a put waits for a deletion in flight`, async t => {
    const dir = tempDir()
    const backend = open(dir)
    // Deletions that take a while, as a bucket's may: the window a publish could fall into.
    const slow: PayloadBackend = Object.assign(Object.create(backend) as PayloadBackend, {
      delete: async (hash: string) => { await new Promise(resolve => setTimeout(resolve, 200)); await backend.delete(hash) }
    })
    const store = new PayloadStore(slow, dir)
    t.teardown(async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) })
    const p = payload(dir, Buffer.from('shared by a removed package and a new one\n'))
    await store.put(p.hash, p.file)

    const hold = store.hold()
    hold.pin(p.hash)
    t.equal(await store.delete(p.hash), false, 'held by a publish: not deleted')
    t.equal(await store.has(p.hash), true)
    hold.release()

    const deleting = store.delete(p.hash)
    await store.put(p.hash, p.file)
    t.equal(await deleting, true, 'the deletion went ahead')
    t.equal(await store.has(p.hash), true, 'and the put that came during it stored the payload again after it')
    t.same(await store.readAll(p.hash), p.gzip)
  })
}

t.test('an unreachable bucket: 503-class errors, and readiness fails', async (t: Test) => {
  const server = await startS3(['payloads'])
  t.teardown(async () => { await server.close() })
  const dir = tempDir()
  const store = new PayloadStore(new S3Payloads(s3Config(server)), dir)
  t.teardown(async () => { await store.close(); fs.rmSync(dir, { recursive: true, force: true }) })
  const p = payload(dir, Buffer.from('x'))
  await server.pause()
  await t.rejects(store.put(p.hash, p.file), { status: 503, message: /payload store s3:\/\/payloads\/depot\/ failed/ })
  await t.rejects(store.check(false), { name: 'ServiceUnavailableError', message: /failed/ })
  await server.resume()
  await store.put(p.hash, p.file)
  t.equal(await store.has(p.hash), true, 'and it works again once the bucket is back')
})
