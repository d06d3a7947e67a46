/**
 * Takes a payload as a client sends it to the REST upload (raw or gzip),
 * checks it is the content it claims to be, and stores it as pkg5 would:
 * gzip with a fixed header at level 9, so the server decides chash.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { BadRequestError, PayloadTooLargeError } from '../errors.js'
import { PkgGzipStream } from '../ips/gzip.js'
import { type PayloadDigests, PayloadDigester } from './payload-digests.js'
import type { PayloadStore } from './payload-store.js'

const GZIP_MAGIC = [0x1f, 0x8b]

/** Streams the pkg5 gzip of what passes through. */
function deterministicGzip (): Transform {
  const gz = new PkgGzipStream()
  return new Transform({
    transform (chunk: Buffer, _enc, cb) { for (const b of gz.push(chunk)) this.push(b); cb() },
    flush (cb) { for (const b of gz.finish()) this.push(b); cb() }
  })
}

/**
 * Passes content through, first gunzipping it when the client sent gzip:
 * the first bytes decide.
 */
function gunzipIfGzip (): Transform {
  let gunzip: zlib.Gunzip | undefined
  let first = true
  return new Transform({
    transform (chunk: Buffer, _enc, cb) {
      if (first) {
        first = false
        if (chunk.length >= 2 && chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
          gunzip = zlib.createGunzip()
          gunzip.on('data', (c: Buffer) => this.push(c))
          gunzip.on('error', err => this.destroy(err))
        }
      }
      if (!gunzip) { cb(null, chunk); return }
      if (gunzip.write(chunk)) cb(); else gunzip.once('drain', () => cb())
    },
    flush (cb) {
      if (!gunzip) { cb(); return }
      gunzip.once('end', () => cb())
      gunzip.end()
    }
  })
}

/** Stores a payload named by the SHA-1 of its content; `maxSize` bounds the content (gzip bombs included). */
export async function ingestPayload (store: PayloadStore, expected: string, body: Readable, maxSize: number): Promise<PayloadDigests> {
  const tmp = path.join(store.tmp, `ingest.${randomBytes(8).toString('hex')}`)
  const digester = new PayloadDigester()
  const tooLarge = (): Error => new PayloadTooLargeError(`payload ${expected} is larger than ${maxSize} bytes`)
  try {
    await pipeline(body, gunzipIfGzip(), digester.contentTap(maxSize, tooLarge), deterministicGzip(), digester.compressedTap(), fs.createWriteStream(tmp))
    const d = digester.digests()
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
