/**
 * Payloads as files under the data directory: <data>/file/<h[0:2]>/<h>.
 * An object is written to a temporary file, fsynced, then renamed into
 * place, so a crash never leaves a partial object under a real name.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { type ByteSpan, checkPayloadName, type PayloadBackend, PayloadMissingError, SHA1_NAME } from './payload-store.js'

export class FilePayloads implements PayloadBackend {
  readonly root: string
  private readonly tmp: string

  /** `create: false` opens a store only read (a backup being restored), creating nothing. */
  constructor (dataDir: string, opts: { create?: boolean } = {}) {
    this.root = path.join(dataDir, 'file')
    this.tmp = path.join(dataDir, 'tmp')
    if (opts.create === false) return
    fs.mkdirSync(this.root, { recursive: true })
    fs.mkdirSync(this.tmp, { recursive: true })
  }

  get location (): string { return this.root }
  readonly redirects = false

  /** The name is checked, so the path never leaves the store. */
  localPath (hash: string): string {
    return path.join(this.root, checkPayloadName(hash).slice(0, 2), hash)
  }

  async has (hash: string): Promise<boolean> {
    return await fs.promises.access(this.localPath(hash)).then(() => true, () => false)
  }

  async write (hash: string, source: string): Promise<void> {
    const dest = this.localPath(hash)
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

  async read (hash: string, span?: ByteSpan): Promise<Readable> {
    // Opened first, so a missing payload fails here and not in the middle of a response.
    const fh = await fs.promises.open(this.localPath(hash), 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new PayloadMissingError(hash, this.root) : err
    })
    return fh.createReadStream(span === undefined ? {} : { start: span.start, end: span.end })
  }

  async delete (hash: string): Promise<void> {
    await fs.promises.rm(this.localPath(hash), { force: true })
  }

  async * list (): AsyncIterable<string> {
    for (const prefix of await fs.promises.readdir(this.root).catch(() => [])) {
      const dir = path.join(this.root, prefix)
      if (!(await fs.promises.stat(dir)).isDirectory()) continue
      for (const name of await fs.promises.readdir(dir)) if (SHA1_NAME.test(name) && name.startsWith(prefix)) yield name
    }
  }

  async redirect (): Promise<null> { return null }

  async check (write: boolean): Promise<void> {
    await fs.promises.access(this.root, fs.constants.R_OK | fs.constants.X_OK | (write ? fs.constants.W_OK : 0))
  }

  close (): void {}
}
