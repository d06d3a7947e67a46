/**
 * The content-addressed payload store on disk: <data>/file/<h[0:2]>/<h>,
 * holding the exact gzip bytes a manifest's chash pins. Objects are
 * written to a temporary file, fsynced, then renamed into place, so a
 * crash never leaves a partial object under a real name.
 */
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Transform, Writable } from 'node:stream'
import zlib from 'node:zlib'

export const SHA1_NAME = /^[0-9a-f]{40}$/

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

export class PayloadStore {
  readonly root: string
  readonly tmp: string

  constructor (dataDir: string) {
    this.root = path.join(dataDir, 'file')
    this.tmp = path.join(dataDir, 'tmp')
    fs.mkdirSync(this.root, { recursive: true })
    fs.mkdirSync(this.tmp, { recursive: true })
  }

  /** The path of a stored object; the name is checked, so it never leaves the store. */
  pathOf (hash: string): string {
    if (!SHA1_NAME.test(hash)) throw new Error(`not a payload name: ${hash}`)
    return path.join(this.root, hash.slice(0, 2), hash)
  }

  has (hash: string): boolean {
    return fs.existsSync(this.pathOf(hash))
  }

  /** Copies a gzip file into the store under its content hash, durably. */
  async put (hash: string, source: string): Promise<void> {
    const dest = this.pathOf(hash)
    if (fs.existsSync(dest)) return
    const tmp = path.join(this.tmp, `${hash}.${randomBytes(6).toString('hex')}`)
    try {
      await fs.promises.copyFile(source, tmp)
      const fh = await fs.promises.open(tmp, 'r+')
      try { await fh.sync() } finally { await fh.close() }
      await fs.promises.mkdir(path.dirname(dest), { recursive: true })
      await fs.promises.rename(tmp, dest)
    } finally {
      await fs.promises.rm(tmp, { force: true })
    }
  }

  /** Removes temporary files a crash may have left behind. */
  sweepTemporary (): number {
    let n = 0
    for (const f of fs.readdirSync(this.tmp)) {
      fs.rmSync(path.join(this.tmp, f), { force: true, recursive: true })
      n++
    }
    return n
  }
}

/**
 * Digests of a stored gzip payload, streamed: the compressed bytes are
 * hashed as they are, and decompressed (with a bound, against gzip bombs)
 * to hash the content.
 */
export async function digestGzipFile (file: string, maxSize = Number.MAX_SAFE_INTEGER): Promise<PayloadDigests> {
  const chash = createHash('sha1')
  const gzipSha256 = createHash('sha256')
  const hash = createHash('sha1')
  const fileSha256 = createHash('sha256')
  let size = 0
  let csize = 0
  const compressedTap = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      csize += chunk.length
      chash.update(chunk); gzipSha256.update(chunk); cb(null, chunk)
    }
  })
  const contentSink = new Writable({
    write (chunk: Buffer, _enc, cb) {
      size += chunk.length
      if (size > maxSize) { cb(new Error(`payload decompresses to more than ${maxSize} bytes`)); return }
      hash.update(chunk); fileSha256.update(chunk); cb()
    }
  })
  await pipeline(fs.createReadStream(file), compressedTap, zlib.createGunzip(), contentSink)
  return { hash: hash.digest('hex'), chash: chash.digest('hex'), gzipSha256: gzipSha256.digest('hex'), fileSha256: fileSha256.digest('hex'), size, csize }
}
