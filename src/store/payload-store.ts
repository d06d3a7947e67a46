/**
 * The content-addressed payload store on disk: <data>/file/<h[0:2]>/<h>,
 * holding the exact gzip bytes a manifest's chash pins. Objects are
 * written to a temporary file, fsynced, then renamed into place, so a
 * crash never leaves a partial object under a real name.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { PayloadIntake } from './payload-intake.js'
import type { PayloadJob, PayloadOutcome } from './payload-processing.js'

export const SHA1_NAME = /^[0-9a-f]{40}$/

export class PayloadStore {
  readonly root: string
  readonly tmp: string
  private intake: PayloadIntake | undefined

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

  /**
   * Checks an uploaded body (in a worker) and, when it holds the content
   * its name says, stores it: as the pkg5 gzip of the content, or with
   * `keepGzip` as the client's own gzip bytes. The body file stays the
   * caller's to remove.
   */
  async ingest (body: string, opts: Omit<PayloadJob, 'input' | 'output'> & { keepGzip?: boolean }): Promise<PayloadOutcome> {
    const output = opts.keepGzip === true ? null : path.join(this.tmp, `gzip.${randomBytes(8).toString('hex')}`)
    try {
      this.intake ??= new PayloadIntake()
      const outcome = await this.intake.process({ input: body, encoding: opts.encoding, expected: opts.expected, maxSize: opts.maxSize, output })
      if (outcome.kind === 'stored') await this.put(outcome.digests.hash, output ?? body)
      return outcome
    } finally {
      if (output !== null) await fs.promises.rm(output, { force: true })
    }
  }

  async close (): Promise<void> {
    await this.intake?.close()
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
