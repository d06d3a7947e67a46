/**
 * The content-addressed payload store: the exact gzip bytes a manifest's
 * chash pins, named by the SHA-1 of their content. Where the bytes live is
 * a backend's job (payload-files.ts, payload-s3.ts); what every backend
 * shares is here: uploads checked in a worker before they are stored, the
 * staging directory they are received into, and the holds and deletions
 * that keep collection from taking a payload a publish is about to rely on.
 */
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { PayloadIntake } from './payload-intake.js'
import type { PayloadJob, PayloadOutcome } from './payload-processing.js'

export const SHA1_NAME = /^[0-9a-f]{40}$/

export function checkPayloadName (hash: string): string {
  if (!SHA1_NAME.test(hash)) throw new Error(`not a payload name: ${hash}`)
  return hash
}

/** A payload the catalog names is not in the store: damage, which `ips-depot verify` reports. */
export class PayloadMissingError extends Error {
  readonly code = 'ERR_PAYLOAD_MISSING'
  constructor (readonly hash: string, where: string) {
    super(`payload ${hash} is missing from ${where}`)
    this.name = 'PayloadMissingError'
  }
}

export interface PayloadLocation { readonly url: string, readonly expiring: boolean }

/** Bytes start to end of a stored payload, both inclusive. */
export interface ByteSpan { readonly start: number, readonly end: number }

/** Where payload bytes live. Every write is durable when it resolves; every method is safe to repeat. */
export interface PayloadBackend {
  /** Where the payloads are, for messages and logs: a directory, or s3://bucket/prefix. */
  readonly location: string
  has (hash: string): Promise<boolean>
  /** Stores a file's bytes under `hash`, unless they are there already. */
  write (hash: string, source: string, size: number): Promise<void>
  /** The stored bytes, whole or a span; fails when the payload is missing. */
  read (hash: string, span?: ByteSpan): Promise<Readable>
  delete (hash: string): Promise<void>
  /** Every stored payload's name (anything else the store holds is not listed). */
  list (): AsyncIterable<string>
  /** Whether a client is sent elsewhere for the bytes (redirect() answers a URL): known up front, so the hot path of a file store awaits nothing. */
  readonly redirects: boolean
  /** Where a client may fetch the bytes itself (a URL that stops working, with `expiring`), or null when the depot sends them. */
  redirect (hash: string): Promise<PayloadLocation | null>
  /** Fails when the store cannot be read (or, with `write`, written). */
  check (write: boolean): Promise<void>
  /** The file holding the payload, where the backend is a directory (what sendfile-like serving and backups use). */
  localPath (hash: string): string | null
  close (): void
}

/**
 * Payloads a publish has stored (or found stored) and not yet recorded in
 * a committed transaction. Until it releases them, collection leaves them
 * alone: put() skips a payload that exists, so one deleted between that
 * check and the commit would be a package without its payload.
 */
export interface PayloadHold {
  pin (hash: string): void
  release (): void
}

/** What the backend was asked, how often, how many failed, and the seconds it took: what /metrics reports. */
export type PayloadOperation = 'has' | 'write' | 'read' | 'delete'
export interface PayloadOperationStats { ok: number, failed: number, seconds: number }

export class PayloadStore {
  readonly tmp: string
  readonly stats: Record<PayloadOperation, PayloadOperationStats> = {
    has: { ok: 0, failed: 0, seconds: 0 }, write: { ok: 0, failed: 0, seconds: 0 }, read: { ok: 0, failed: 0, seconds: 0 }, delete: { ok: 0, failed: 0, seconds: 0 }
  }
  private intake: PayloadIntake | undefined
  private readonly pins = new Map<string, number>()
  /** Deletions in flight: a put of the same payload waits for them, then finds it gone and stores it again. */
  private readonly deleting = new Map<string, Promise<void>>()

  constructor (readonly backend: PayloadBackend, dataDir: string) {
    this.tmp = path.join(dataDir, 'tmp')
    fs.mkdirSync(this.tmp, { recursive: true })
  }

  get location (): string { return this.backend.location }

  /** A backend call, counted; a payload found missing on read is an answer, not a failure of the store. */
  private async timed<T> (op: PayloadOperation, call: () => Promise<T>): Promise<T> {
    const s = this.stats[op]
    const started = performance.now()
    try {
      const result = await call()
      s.ok++
      return result
    } catch (err) {
      if (err instanceof PayloadMissingError) s.ok++; else s.failed++
      throw err
    } finally {
      s.seconds += (performance.now() - started) / 1000
    }
  }

  async has (hash: string): Promise<boolean> {
    await this.deleting.get(hash)
    return await this.timed('has', async () => await this.backend.has(checkPayloadName(hash)))
  }

  async read (hash: string, span?: ByteSpan): Promise<Readable> {
    return await this.timed('read', async () => await this.backend.read(checkPayloadName(hash), span))
  }

  get redirects (): boolean { return this.backend.redirects }

  redirect (hash: string): Promise<PayloadLocation | null> {
    return this.backend.redirect(checkPayloadName(hash))
  }

  /** The whole stored payload in memory: for small ones only. */
  async readAll (hash: string): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const c of await this.read(hash)) chunks.push(c as Buffer)
    return Buffer.concat(chunks)
  }

  /** Fails when payloads cannot be read (or, with `write`, received and stored). */
  async check (write: boolean): Promise<void> {
    await this.backend.check(write)
    if (write) await fs.promises.access(this.tmp, fs.constants.W_OK)
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

  /** Stores a gzip file under its content hash, durably; a payload already stored is not written again. */
  async put (hash: string, source: string): Promise<void> {
    checkPayloadName(hash)
    if (await this.has(hash)) return
    const { size } = await fs.promises.stat(source)
    await this.timed('write', async () => { await this.backend.write(hash, source, size) })
  }

  /**
   * Deletes a payload, unless a publish holds it now. The caller has checked
   * that nothing references it; from here a put() of it waits for the
   * deletion, so it cannot find the payload present and then lose it.
   */
  async delete (hash: string): Promise<boolean> {
    if (this.held(hash) || this.deleting.has(hash)) return false
    const done = this.timed('delete', async () => { await this.backend.delete(checkPayloadName(hash)) }).finally(() => this.deleting.delete(hash))
    this.deleting.set(hash, done.catch(() => {}))
    await done
    return true
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
        // Held before put() looks for the payload: from here until the commit, collection keeps off it.
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
    this.backend.close()
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
