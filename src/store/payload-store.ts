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

/**
 * Payloads a publish has stored (or found stored) and not yet recorded in
 * a committed transaction. Until it releases them, collection leaves their
 * files alone: put() skips a file that exists, so a file deleted between
 * that check and the commit would be a package without its payload.
 */
export interface PayloadHold {
  pin (hash: string): void
  release (): void
}

export class PayloadStore {
  readonly root: string
  readonly tmp: string
  private intake: PayloadIntake | undefined
  private readonly pins = new Map<string, number>()

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

  /** A hold on the payloads one publish stores, released when its transaction committed or failed. */
  hold (): PayloadHold {
    const mine: string[] = []
    return {
      pin: hash => {
        mine.push(hash)
        this.pins.set(hash, (this.pins.get(hash) ?? 0) + 1)
      },
      release: () => {
        for (const hash of mine.splice(0)) {
          const n = this.pins.get(hash)! - 1
          if (n === 0) this.pins.delete(hash); else this.pins.set(hash, n)
        }
      }
    }
  }

  /** Whether a publish in progress holds the payload. */
  held (hash: string): boolean {
    return this.pins.has(hash)
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
   * its name says, stores it under `hold`: as the pkg5 gzip of the
   * content, or with `keepGzip` as the client's own gzip bytes. The body
   * file stays the caller's to remove.
   */
  async ingest (body: string, hold: PayloadHold, opts: Omit<PayloadJob, 'input' | 'output'> & { keepGzip?: boolean }): Promise<PayloadOutcome> {
    const output = opts.keepGzip === true ? null : path.join(this.tmp, `gzip.${randomBytes(8).toString('hex')}`)
    try {
      this.intake ??= new PayloadIntake()
      const outcome = await this.intake.process({ input: body, encoding: opts.encoding, expected: opts.expected, maxSize: opts.maxSize, output })
      if (outcome.kind === 'stored') {
        // Held before put() looks for the file: from here until the commit, collection keeps off it.
        hold.pin(outcome.digests.hash)
        await this.put(outcome.digests.hash, output ?? body)
      }
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
