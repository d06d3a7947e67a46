/**
 * The content-addressed payload store on disk: <data>/file/<h[0:2]>/<h>,
 * holding the exact gzip bytes a manifest's chash pins. Objects are
 * written to a temporary file, fsynced, then renamed into place, so a
 * crash never leaves a partial object under a real name.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

export const SHA1_NAME = /^[0-9a-f]{40}$/

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
