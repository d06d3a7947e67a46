/**
 * The digests pkg5 records for a payload: SHA-1 (its name) and SHA-256 of
 * the content, SHA-1 (chash) and SHA-256 of the stored gzip bytes, and
 * both sizes. One place computes them, whether from buffers or streamed.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { type Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import zlib from 'node:zlib'

export interface PayloadDigests {
  /** SHA-1 of the uncompressed content: the payload's name. */
  readonly hash: string
  /** SHA-1 of the stored gzip bytes. */
  readonly chash: string
  readonly gzipSha256: string
  readonly fileSha256: string
  readonly size: number
  readonly csize: number
}

/** Accumulates the digests from two pass-through taps: one on the content, one on the gzip bytes. */
export class PayloadDigester {
  private readonly hash = createHash('sha1')
  private readonly fileSha256 = createHash('sha256')
  private readonly chash = createHash('sha1')
  private readonly gzipSha256 = createHash('sha256')
  private size = 0
  private csize = 0

  /** Hashes the content passing through; fails with `tooLarge()` once more than `maxSize` bytes passed. */
  contentTap (maxSize: number, tooLarge: () => Error): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.size += chunk.length
        if (this.size > maxSize) { cb(tooLarge()); return }
        this.hash.update(chunk); this.fileSha256.update(chunk); cb(null, chunk)
      }
    })
  }

  /** Hashes the gzip bytes passing through. */
  compressedTap (): Transform {
    return new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        this.csize += chunk.length
        this.chash.update(chunk); this.gzipSha256.update(chunk); cb(null, chunk)
      }
    })
  }

  digests (): PayloadDigests {
    return {
      hash: this.hash.digest('hex'),
      chash: this.chash.digest('hex'),
      gzipSha256: this.gzipSha256.digest('hex'),
      fileSha256: this.fileSha256.digest('hex'),
      size: this.size,
      csize: this.csize
    }
  }
}

/** Digests of stored gzip bytes, streamed, decompressing with a bound against gzip bombs. */
export async function digestGzip (stored: Readable, maxSize = Number.MAX_SAFE_INTEGER): Promise<PayloadDigests> {
  const d = new PayloadDigester()
  const discard = new Writable({ write (_chunk, _enc, cb) { cb() } })
  await pipeline(stored, d.compressedTap(), zlib.createGunzip(),
    d.contentTap(maxSize, () => new Error(`payload decompresses to more than ${maxSize} bytes`)), discard)
  return d.digests()
}

export async function digestGzipFile (file: string, maxSize?: number): Promise<PayloadDigests> {
  return await digestGzip(fs.createReadStream(file), maxSize)
}
