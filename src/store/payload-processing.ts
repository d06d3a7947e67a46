/**
 * What the depot does to an uploaded payload, as streams: check it holds
 * the content its name says (decompressing a gzip upload, bounded), then
 * store it as pkg5 would (deterministic gzip), or keep the client's gzip
 * bytes as they are. The hash is checked before anything is compressed:
 * a bomb with a wrong name costs a decompression, not a level-9 deflate.
 * Runs in the payload worker (payload-worker.ts), never on the serving
 * thread.
 */
import fs from 'node:fs'
import { Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'
import { PkgGzipStream } from '../ips/gzip.js'
import { type PayloadDigests, PayloadDigester } from './payload-digests.js'

export interface PayloadJob {
  /** A received request body, in the store's tmp directory. */
  readonly input: string
  /** Whether the body is gzip; 'detect' looks at its first two bytes. */
  readonly encoding: 'raw' | 'gzip' | 'detect'
  /** The SHA-1 the content must have, or null when the depot names it (add/0). */
  readonly expected: string | null
  /** The most the content may decompress to. */
  readonly maxSize: number
  /** Where the pkg5 gzip of the content goes; null keeps the client's gzip bytes as the stored form. */
  readonly output: string | null
}

export type PayloadOutcome =
  | { readonly kind: 'stored', readonly digests: PayloadDigests }
  | { readonly kind: 'mismatch', readonly hash: string }
  | { readonly kind: 'too-large', readonly limit: number }
  | { readonly kind: 'unreadable', readonly message: string }

class TooLarge extends Error {}

const discard = (): Writable => new Writable({ write (_chunk, _enc, cb) { cb() } })

function pkgGzipTransform (): Transform {
  const gz = new PkgGzipStream()
  return new Transform({
    transform (chunk: Buffer, _enc, cb) { for (const b of gz.push(chunk)) this.push(b); cb() },
    flush (cb) { for (const b of gz.finish()) this.push(b); cb() }
  })
}

async function isGzip (file: string): Promise<boolean> {
  const fh = await fs.promises.open(file, 'r')
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(2), 0, 2, 0)
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b
  } finally {
    await fh.close()
  }
}

export async function processPayload (job: PayloadJob): Promise<PayloadOutcome> {
  try {
    const gzip = job.encoding === 'detect' ? await isGzip(job.input) : job.encoding === 'gzip'
    const content = (): NodeJS.ReadableStream[] => gzip ? [zlib.createGunzip()] : []
    const tooLarge = (): Error => new TooLarge()
    // Pass 1: the content's digests, and the stored bytes' when the client's gzip is kept.
    const first = new PayloadDigester()
    const keep = job.output === null
    await pipeline([fs.createReadStream(job.input), ...(keep ? [first.compressedTap()] : []), ...content(), first.contentTap(job.maxSize, tooLarge), discard()])
    const checked = first.digests()
    if (job.expected !== null && checked.hash !== job.expected) return { kind: 'mismatch', hash: checked.hash }
    if (keep) return { kind: 'stored', digests: checked }
    // Pass 2: the deterministic gzip pkg5 would store, and its digests.
    const second = new PayloadDigester()
    await pipeline([fs.createReadStream(job.input), ...content(), second.contentTap(job.maxSize, tooLarge), pkgGzipTransform(), second.compressedTap(), fs.createWriteStream(job.output!)])
    return { kind: 'stored', digests: second.digests() }
  } catch (err) {
    if (err instanceof TooLarge) return { kind: 'too-large', limit: job.maxSize }
    return { kind: 'unreadable', message: (err as Error).message }
  }
}
