/**
 * pkg(5) publication transactions: open, add actions and payloads, then
 * close (publish) or abandon. State is in SQLite and payloads in the
 * content-addressed store, so an open transaction survives a restart and a
 * crash before close leaves nothing visible.
 */
import type { CatalogFormat } from '../ips/catalog.js'
import fs from 'node:fs'
import zlib from 'node:zlib'
import { BadRequestError, PayloadTooLargeError } from '../errors.js'
import { ACTION_TYPES, type Action, type ActionType, attrValues, formatAction } from '../ips/action.js'
import { sha1Hex } from '../ips/catalog.js'
import { formatFmri, parseFmri } from '../ips/fmri.js'
import { actionPayloads, declaredPayloadSizes, parseManifest, TooManyActionsError } from '../ips/manifest.js'
import { pyQuote } from '../ips/quote.js'
import { type CatalogTime, fmriTimestamp, nowCatalogTime, parseCatalogTime } from '../ips/timestamp.js'
import { validateAction, validatePackage } from '../ips/validate.js'
import { formatVersion, type Version } from '../ips/version.js'
import { addToCatalog, ensurePublisher, replaceInCatalog, restorePackage, storePackage } from './publish.js'
import type { PayloadDigests } from './payload-digests.js'
import { type PublishedBy, recordPublication } from './provenance.js'
import { SHA1_NAME } from './payload-store.js'
import type { Repository } from './repository.js'

export interface PublicationLimits {
  readonly maxDecompressedBytes: number
  readonly maxActions: number
  readonly maxOpenPerSubject: number
  /** The catalog format of a publisher a publish creates. */
  readonly catalogFormat: CatalogFormat
}

/** A manifest is text held in memory: bounded well below any payload. */
const MAX_MANIFEST_BYTES = 256 * 1024 * 1024

export class NoTransactionError extends BadRequestError {
  constructor (id: string) { super(`No transaction matching '${id}' could be found.`, 'ERR_NO_TRANSACTION') }
}

/** Another subject's transaction: 400, as every publication error (the client shows the message). */
export class NotTransactionOwnerError extends BadRequestError {
  constructor (id: string) { super(`Transaction '${id}' was opened by another token subject; only that subject can use it (and the admin role abandon it).`, 'ERR_NOT_TRANSACTION_OWNER') }
}

/**
 * Who acts on a transaction: "<issuer> <subject>" of the token, and
 * whether it holds the admin role (which may abandon any transaction).
 */
export interface TransactionCaller {
  readonly subject: string
  readonly admin: boolean
}

interface TransactionRow { id: string, publisher: string, stem: string, version: string, manifest: string, kind: 'open' | 'append', subject: string | null }

/** pkg5 compares transaction ids in their quote(s, safe="") form. */
export function normalizeTransactionId (decoded: string): string {
  return pyQuote(decoded)
}

export class Publications {
  constructor (private readonly repo: Repository, private readonly limits: PublicationLimits) {}

  private get db () { return this.repo.db }

  /** An open transaction of this caller (or, with `mayAbandon`, of anyone for an admin). */
  private row (id: string, caller: TransactionCaller, mayAbandon = false): TransactionRow {
    const r = this.db.prepare('SELECT id, publisher, stem, version, manifest, kind, subject FROM pub_transaction WHERE id = ?').get(id) as TransactionRow | undefined
    if (!r) throw new NoTransactionError(id)
    if (r.subject !== caller.subject && !(mayAbandon && caller.admin)) throw new NotTransactionOwnerError(id)
    return r
  }

  /** The publisher of an open transaction, or null: what a token must be granted to act on it. */
  publisherOf (id: string): string | null {
    return (this.db.prepare('SELECT publisher FROM pub_transaction WHERE id = ?').pluck().get(id) as string | undefined) ?? null
  }

  /** Refuses another subject's transaction before any body is read; an unknown id is left to the op's own error. */
  owned (id: string, caller: TransactionCaller): void {
    const subject = this.db.prepare('SELECT subject FROM pub_transaction WHERE id = ?').pluck().get(id) as string | null | undefined
    if (subject !== undefined && subject !== caller.subject) throw new NotTransactionOwnerError(id)
  }

  private touch (id: string, appended: string): void {
    this.db.prepare('UPDATE pub_transaction SET manifest = manifest || ?, touched = ? WHERE id = ?').run(appended, Date.now(), id)
  }

  /** open/0: the FMRI gets its timestamp now, unless it brings one (pkgrecv). */
  open (fmriText: string, clientRelease: string | undefined, defaultPublisher: string | null, caller: TransactionCaller): { id: string, fmri: string } {
    if (fmriText === '') throw new BadRequestError('A valid package FMRI must be specified.')
    if (!clientRelease) throw new BadRequestError("The specified client_release is invalid: ''")
    const parsed = parseFmri(fmriText, clientRelease)
    if (!parsed.version) throw new BadRequestError(`'The specified FMRI, '${formatFmri(parsed)}', has an invalid version.`)
    const publisher = parsed.publisher ?? defaultPublisher
    if (publisher === null) throw new BadRequestError(`The specified FMRI, '${formatFmri(parsed)}', must include the publisher prefix as the repository has no default publisher.`)
    const open = this.db.prepare('SELECT COUNT(*) FROM pub_transaction WHERE subject = ?').pluck().get(caller.subject) as number
    if (open >= this.limits.maxOpenPerSubject) throw new BadRequestError(`Too many open transactions (${open}); close or abandon some first.`)
    const idOf = (v: Version): string => `${Number(parseCatalogTime(v.timestamp!) / 1_000_000n)}_${pyQuote(formatFmri({ publisher, stem: parsed.stem, version: v }))}`
    let version = parsed.version
    if (version.timestamp === null) {
      let t = nowCatalogTime()
      // Two opens of the same FMRI in one second (by one publisher or two) would collide: take the next free second.
      const isOpen = this.db.prepare('SELECT 1 FROM pub_transaction WHERE id = ?').pluck()
      for (;;) {
        const candidate = { ...version, timestamp: fmriTimestamp(t) }
        if (!this.repo.manifest(publisher, parsed.stem, formatVersion(candidate)) && isOpen.get(idOf(candidate)) === undefined) { version = candidate; break }
        t += 1_000_000n
      }
    } else if (this.repo.manifest(publisher, parsed.stem, formatVersion(version))) {
      throw new BadRequestError(`The specified FMRI, '${formatFmri({ ...parsed, publisher, version })}', already exists or has been restricted.`)
    }
    const full = formatFmri({ publisher, stem: parsed.stem, version })
    const id = idOf(version)
    // pkg5 creates an unknown publisher at open; the token was authorized for it.
    ensurePublisher(this.db, publisher, nowCatalogTime(), this.limits.catalogFormat)
    this.repo.noteWrite()
    const inserted = this.db.prepare(`INSERT INTO pub_transaction (id, publisher, stem, version, subject, created, touched)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`).run(id, publisher, parsed.stem, formatVersion(version), caller.subject, Date.now(), Date.now())
    if (inserted.changes === 0) throw new BadRequestError(`Transaction ID '${id}' is already open.`)
    return { id, fmri: full }
  }

  /** append/0 (pkgsign): a transaction that may only add signature actions to a published package. */
  append (fmriText: string, clientRelease: string | undefined, defaultPublisher: string | null, caller: TransactionCaller): { id: string } {
    if (fmriText === '') throw new BadRequestError('A valid package FMRI must be specified.')
    if (!clientRelease) throw new BadRequestError("The specified client_release is invalid: ''")
    const parsed = parseFmri(fmriText, clientRelease)
    const publisher = parsed.publisher ?? defaultPublisher
    const shown = formatFmri({ ...parsed, publisher })
    if (!parsed.version?.timestamp) throw new BadRequestError(`'The specified FMRI, '${shown}', has an invalid version.`)
    if (publisher === null || !this.repo.manifest(publisher, parsed.stem, formatVersion(parsed.version))) throw new BadRequestError(`Need an existing instance of ${shown} to exist to append to it`)
    const epoch = Number(parseCatalogTime(parsed.version.timestamp) / 1_000_000n)
    const id = `${epoch}_${pyQuote(shown)}`
    const inserted = this.db.prepare(`INSERT INTO pub_transaction (id, publisher, stem, version, subject, created, touched, kind)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'append') ON CONFLICT DO NOTHING`).run(id, publisher, parsed.stem, formatVersion(parsed.version), caller.subject, Date.now(), Date.now())
    if (inserted.changes === 0) throw new BadRequestError(`Transaction ID '${id}' is already open.`)
    return { id }
  }

  private onlySignatures (t: TransactionRow, actions: readonly Action[]): void {
    if (t.kind === 'append' && actions.some(a => a.type !== 'signature')) throw new BadRequestError('Only a signature can be appended to an existing package')
  }

  /** add/0: one action from X-IPkg-SetAttr headers, its payload (raw) in the body. */
  async addAction (id: string, caller: TransactionCaller, type: string, attrs: Record<string, string | string[]>, payloadFile: string | null): Promise<void> {
    if (!(ACTION_TYPES as readonly string[]).includes(type) || type === 'unknown') throw new BadRequestError(`The specified Action Type, '${type}', is not valid.`)
    const { hash, ...rest } = attrs
    let action: Action = { type: type as ActionType, hash: typeof hash === 'string' ? hash : null, attrs: rest }
    if (payloadFile !== null) action.attrs['pkg.size'] = String((await fs.promises.stat(payloadFile)).size)
    validateAction(action, { payloadPending: payloadFile !== null })
    const row = this.row(id, caller)
    this.onlySignatures(row, [action])
    // Bounded as the manifest grows, before any payload is stored: + this action and the set pkg.fmri close adds.
    const count = parseManifest(row.manifest).length + 2
    if (count > this.limits.maxActions) throw new TooManyActionsError(count, this.limits.maxActions)
    if (payloadFile !== null) {
      const d = await this.storePayload(id, payloadFile, { encoding: 'raw', expected: null })
      action = { ...action, hash: d.hash, attrs: { ...action.attrs, chash: d.chash, 'pkg.content-hash': `gzip:sha256:${d.gzipSha256}`, 'pkg.csize': String(d.csize), 'pkg.size': String(d.size) } }
    }
    validateAction(action)
    const line = formatAction(action) + '\n'
    validatePackage(parseManifest(this.row(id, caller).manifest + line), false)
    this.touch(id, line)
  }

  /**
   * Checks and stores a received body (in a payload worker), then records it
   * in the transaction. A payload whose size the manifest already declares
   * (manifest/1 came first) may not decompress to more.
   */
  private async storePayload (id: string, body: string, how: { encoding: 'raw' | 'gzip', expected: string | null, declared?: number | null }): Promise<PayloadDigests> {
    const name = how.expected ?? 'the payload'
    const declared = how.declared ?? null
    const maxSize = declared === null ? this.limits.maxDecompressedBytes : Math.min(declared, this.limits.maxDecompressedBytes)
    const hold = this.repo.payloads.hold()
    try {
      const outcome = await this.repo.payloads.ingest(body, hold, { encoding: how.encoding, expected: how.expected, maxSize, keepGzip: how.encoding === 'gzip' })
      switch (outcome.kind) {
        case 'mismatch': throw new BadRequestError(`The payload sent as ${name} holds content with SHA-1 ${outcome.hash}.`)
        case 'too-large': throw new PayloadTooLargeError(maxSize === declared
          ? `The payload sent as ${name} decompresses to more than the pkg.size its action declares (${maxSize} bytes).`
          : `The payload sent as ${name} decompresses to more than ${maxSize} bytes (publish.max_decompressed_bytes).`)
        case 'unreadable': throw new BadRequestError(`The payload sent as ${name} is not a valid gzip stream: ${outcome.message}`)
      }
      const d = outcome.digests
      this.db.prepare(`INSERT OR IGNORE INTO pub_transaction_payload (transaction_id, hash, chash, gzip_sha256, file_sha256, size, csize)
        VALUES (?, ?, ?, ?, ?, ?, ?)`).run(id, d.hash, d.chash, d.gzipSha256, d.fileSha256, d.size, d.csize)
      return d
    } finally {
      // The transaction's row keeps the payload from collection from here on.
      hold.release()
    }
  }

  /**
   * file/1 POST: with a basename, the client's gzip bytes, kept as they are
   * once they prove to hold that content; without one (pkgsign's
   * certificates), raw content the depot names and compresses.
   */
  async addFile (id: string, caller: TransactionCaller, basename: string | undefined, bodyFile: string | null): Promise<void> {
    const t = this.row(id, caller)
    if (bodyFile === null) throw new BadRequestError('A payload must be sent in the body.')
    if (basename === undefined) { await this.storePayload(id, bodyFile, { encoding: 'raw', expected: null }); return }
    if (!SHA1_NAME.test(basename)) throw new BadRequestError(`The specified basename, '${basename}', is not a SHA-1 payload name.`)
    await this.storePayload(id, bodyFile, { encoding: 'gzip', expected: basename, declared: declaredPayloadSizes(parseManifest(t.manifest)).get(basename) ?? null })
  }

  /** manifest/1 POST: the manifest text (gzip, or raw), appended after the depot's pkg.fmri line. */
  addManifest (id: string, caller: TransactionCaller, body: Buffer): void {
    this.row(id, caller)
    let text: string
    try {
      text = zlib.gunzipSync(body, { maxOutputLength: Math.min(this.limits.maxDecompressedBytes, MAX_MANIFEST_BYTES) }).toString('utf8')
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new BadRequestError('The manifest decompresses to more than the allowed size.')
      text = body.toString('utf8')
    }
    const actions = parseManifest(text, this.limits.maxActions)
    for (const a of actions) validateAction(a)
    const t = this.row(id, caller)
    this.onlySignatures(t, actions)
    validatePackage(parseManifest(t.manifest).concat(actions), false)
    this.touch(id, text.endsWith('\n') || text === '' ? text : text + '\n')
  }

  abandon (id: string, caller: TransactionCaller): void {
    this.row(id, caller, true)
    this.db.prepare('DELETE FROM pub_transaction WHERE id = ?').run(id)
  }

  /** close/0: validates and publishes the package, adding it to the catalog unless asked not to. */
  close (id: string, caller: TransactionCaller, addToCatalogNow: boolean, by: PublishedBy): { fmri: string } {
    const t = this.row(id, caller)
    const txPayloads = this.db.prepare('SELECT hash, chash, gzip_sha256 AS gzipSha256, file_sha256 AS fileSha256, size, csize FROM pub_transaction_payload WHERE transaction_id = ?').all(id) as PayloadDigests[]
    if (t.kind === 'append') return { fmri: this.replace(t, txPayloads) }
    const fmri = this.commit(t, t.manifest, txPayloads, addToCatalogNow, by, () => { this.db.prepare('DELETE FROM pub_transaction WHERE id = ?').run(id) })
    return { fmri }
  }

  /**
   * The REST upload: a whole manifest (its FMRI from its pkg.fmri action,
   * timestamped now) whose file and license actions get the digests of the
   * payloads the server stored.
   */
  publishManifest (publisher: string, text: string, payloads: ReadonlyMap<string, PayloadDigests>, by: PublishedBy): { fmri: string } {
    const actions = parseManifest(text, this.limits.maxActions)
    const fmriAction = actions.find(a => a.type === 'set' && attrValues(a, 'name')[0] === 'pkg.fmri')
    if (!fmriAction) throw new BadRequestError('The manifest has no "set name=pkg.fmri" action naming the package.')
    const parsed = parseFmri(attrValues(fmriAction, 'value')[0] ?? '')
    if (!parsed.version) throw new BadRequestError(`The package FMRI '${formatFmri(parsed)}' has no version.`)
    if (parsed.publisher !== null && parsed.publisher !== publisher) throw new BadRequestError(`The manifest names publisher ${parsed.publisher}, not ${publisher}.`)
    const known = this.db.prepare('SELECT hash, chash, gzip_sha256 AS gzipSha256, file_sha256 AS fileSha256, size, csize FROM payload WHERE hash = ?')
    const lines: string[] = []
    for (const a of actions) {
      if (a === fmriAction) continue
      if ((a.type === 'file' || a.type === 'license') && a.hash) {
        const d = payloads.get(a.hash) ?? known.get(a.hash) as PayloadDigests | undefined
        if (!d) throw new BadRequestError(`The payload ${a.hash} of ${a.type} ${attrValues(a, 'path')[0] ?? attrValues(a, 'license')[0] ?? ''} was not sent and is not stored.`)
        lines.push(formatAction({ ...a, attrs: { ...a.attrs, chash: d.chash, 'pkg.content-hash': [`file:sha256:${d.fileSha256}`, `gzip:sha256:${d.gzipSha256}`], 'pkg.csize': String(d.csize), 'pkg.size': String(d.size) } }))
      } else {
        lines.push(formatAction(a))
      }
    }
    let t = nowCatalogTime()
    let version = { ...parsed.version, timestamp: fmriTimestamp(t) }
    while (this.repo.manifest(publisher, parsed.stem, formatVersion(version))) { t += 1_000_000n; version = { ...version, timestamp: fmriTimestamp(t) } }
    const body = lines.map(l => l + '\n').join('')
    for (const a of parseManifest(body)) validateAction(a)
    const fmri = this.commit({ publisher, stem: parsed.stem, version: formatVersion(version) }, body, [...payloads.values()], true, by, () => {})
    return { fmri }
  }

  /** Closes an append: the package's manifest gains the signature actions; the catalog logs remove + add. */
  private replace (t: TransactionRow, sent: readonly PayloadDigests[]): string {
    const fmri = `pkg://${t.publisher}/${t.stem}@${t.version}`
    const old = this.repo.manifest(t.publisher, t.stem, t.version)
    if (!old) throw new BadRequestError(`Need an existing instance of ${fmri} to exist to append to it`)
    const manifest = Buffer.concat([old.body, Buffer.from(t.manifest, 'utf8')])
    const actions = parseManifest(manifest.toString('utf8'), this.limits.maxActions)
    const known = this.db.prepare('SELECT hash, chash, gzip_sha256 AS gzipSha256, file_sha256 AS fileSha256, size, csize FROM payload WHERE hash = ?')
    const byHash = new Map(sent.map(p => [p.hash, p]))
    for (const a of actions.filter(x => x.type === 'signature')) {
      for (const h of actionPayloads(a)) {
        if (!byHash.has(h) && !known.get(h)) throw new BadRequestError(`The payload ${h} of a signature action was never sent to this transaction.`)
      }
    }
    const db = this.db
    db.transaction(() => {
      const pkgId = db.prepare('SELECT id FROM package WHERE publisher = ? AND stem = ? AND version = ?').pluck().get(t.publisher, t.stem, t.version) as number
      restorePackage(db, pkgId, manifest, sha1Hex(manifest), [...byHash.values()], t.publisher, old.published)
      replaceInCatalog(db, t.publisher, pkgId, old.sha1, nowCatalogTime())
      db.prepare('DELETE FROM pub_transaction WHERE id = ?').run(t.id)
    }).immediate()
    this.repo.noteWrite()
    return fmri
  }

  /** Validates a complete package and commits it in one SQLite transaction. */
  private commit (t: { publisher: string, stem: string, version: string }, body: string, sent: readonly PayloadDigests[], addToCatalogNow: boolean, by: PublishedBy, alsoInTransaction: () => void): string {
    const fmri = `pkg://${t.publisher}/${t.stem}@${t.version}`
    const manifest = Buffer.from(`set name=pkg.fmri value=${fmri}\n${body}`, 'utf8')
    const actions = parseManifest(manifest.toString('utf8'), this.limits.maxActions)
    validatePackage(actions, true)
    const byHash = new Map(sent.map(p => [p.hash, p]))
    const known = this.db.prepare('SELECT hash, chash, gzip_sha256 AS gzipSha256, file_sha256 AS fileSha256, size, csize FROM payload WHERE hash = ?')
    for (const a of actions) {
      for (const h of actionPayloads(a)) {
        if (byHash.has(h)) continue
        const stored = known.get(h) as PayloadDigests | undefined
        if (!stored) throw new BadRequestError(`The payload ${h} of a ${a.type} action was never sent to this transaction.`)
        byHash.set(h, stored)
      }
    }
    const published = parseCatalogTime(t.version.slice(t.version.lastIndexOf(':') + 1))
    const db = this.db
    db.transaction(() => {
      const opTime: CatalogTime = nowCatalogTime()
      ensurePublisher(db, t.publisher, opTime, this.limits.catalogFormat)
      if (this.repo.manifest(t.publisher, t.stem, t.version)) throw new BadRequestError(`The specified FMRI, '${fmri}', already exists or has been restricted.`)
      const pkgId = storePackage(db, { publisher: t.publisher, stem: t.stem, version: t.version, published, manifest, sha1: sha1Hex(manifest), payloads: [...byHash.values()] })
      if (addToCatalogNow) addToCatalog(db, t.publisher, [pkgId], opTime)
      recordPublication(db, t.publisher, fmri, by)
      alsoInTransaction()
    }).immediate()
    this.repo.noteWrite()
    return fmri
  }
}
