/**
 * Takes a payload as a client sends it to the REST upload (raw or gzip),
 * checks it is the content it claims to be, and stores it as pkg5 would:
 * gzip with a fixed header at level 9, so the server decides chash.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { BadRequestError, PayloadTooLargeError } from '../errors.js'
import { PkgGzipStream } from '../ips/gzip.js'
import type { PayloadDigests, PayloadStore } from './payload-store.js'

const GZIP_MAGIC = [0x1f, 0x8b]

/** Streams the pkg5 gzip of what passes through. */
function deterministicGzip (): Transform {
  const gz = new PkgGzipStream()
  return new Transform({
    transform (chunk: Buffer, _enc, cb) { for (const b of gz.push(chunk)) this.push(b); cb() },
    flush (cb) { for (const b of gz.finish()) this.push(b); cb() }
  })
}

/** Stores a payload named by the SHA-1 of its content; `maxSize` bounds the content (gzip bombs included). */
export async function ingestPayload (store: PayloadStore, expected: string, body: Readable, maxSize: number): Promise<PayloadDigests> {
  const tmp = path.join(store.tmp, `ingest.${randomBytes(8).toString('hex')}`)
  const hash = createHash('sha1')
  const fileSha256 = createHash('sha256')
  const chash = createHash('sha1')
  const gzipSha256 = createHash('sha256')
  let size = 0
  let csize = 0
  let first: Buffer | null = null
  const peek = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      if (first === null) {
        first = chunk
        // Decide on the first bytes whether the client sent gzip or raw content.
        if (chunk.length >= 2 && chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
          const gunzip = zlib.createGunzip()
          gunzip.on('data', (c: Buffer) => this.push(c))
          gunzip.on('error', err => this.destroy(err))
          ;(this as Transform & { gunzip?: zlib.Gunzip }).gunzip = gunzip
        }
      }
      const gunzip = (this as Transform & { gunzip?: zlib.Gunzip }).gunzip
      if (gunzip) { if (!gunzip.write(chunk)) gunzip.once('drain', () => cb()); else cb() } else cb(null, chunk)
    },
    flush (cb) {
      const gunzip = (this as Transform & { gunzip?: zlib.Gunzip }).gunzip
      if (!gunzip) { cb(); return }
      gunzip.end()
      gunzip.once('end', () => cb())
    }
  })
  const content = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      size += chunk.length
      if (size > maxSize) { cb(new PayloadTooLargeError(`payload ${expected} is larger than ${maxSize} bytes`)); return }
      hash.update(chunk); fileSha256.update(chunk); cb(null, chunk)
    }
  })
  const compressed = new Transform({
    transform (chunk: Buffer, _enc, cb) { csize += chunk.length; chash.update(chunk); gzipSha256.update(chunk); cb(null, chunk) }
  })
  try {
    await pipeline(body, peek, content, deterministicGzip(), compressed, fs.createWriteStream(tmp))
    const d: PayloadDigests = { hash: hash.digest('hex'), chash: chash.digest('hex'), gzipSha256: gzipSha256.digest('hex'), fileSha256: fileSha256.digest('hex'), size, csize }
    if (d.hash !== expected) throw new BadRequestError(`payload ${expected} holds content with SHA-1 ${d.hash}`)
    await store.put(d.hash, tmp)
    return d
  } catch (err) {
    if (err instanceof BadRequestError || err instanceof PayloadTooLargeError) throw err
    throw new BadRequestError(`payload ${expected} could not be read: ${(err as Error).message}`)
  } finally {
    await fs.promises.rm(tmp, { force: true })
  }
}
