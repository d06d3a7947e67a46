/**
 * The repository as the HTTP layer sees it: publishers, catalog files,
 * manifests and payloads, read through prepared statements. Changes go
 * through the importer and the publisher, which own their transactions;
 * sealing the catalog after them, and admin rebuilds, go to the catalog
 * worker (catalog-worker.ts), started on first need.
 */
import path from 'node:path'
import type { JsonValue } from '../ips/canonical-json.js'
import { verifyCatalogFile } from '../ips/catalog.js'
import { compareVersions, formatVersion, parseVersion, type Version } from '../ips/version.js'
import { CatalogWorker } from './catalog-worker.js'
import type { RebuildOptions } from './catalog-worker-protocol.js'
import { type Db, openDatabase, reclaimFreePages } from './db.js'
import type { PayloadDigests } from './payload-digests.js'
import { FilePayloads } from './payload-files.js'
import { type PayloadBackend, PayloadStore, SHA1_NAME } from './payload-store.js'
import { isIndexed, rebuildSearchIndex } from './search-index.js'
import { backfillPayloadReferences } from './payload-references.js'
import { ServiceUnavailableError } from '../errors.js'
import { ByteLru } from '../lru.js'
import type Database from 'better-sqlite3'

export interface PublisherInfo {
  readonly name: string
  readonly catalogCreated: bigint
  readonly catalogLastModified: bigint
  /** The repositories entry of the publisher's configuration (pub.p5i), if any. */
  readonly repository: { [key: string]: JsonValue } | null
}

export interface CatalogFile {
  /** A large part is served from its pages, never copied whole. */
  readonly body: Buffer | readonly Buffer[]
  readonly signature: string
  readonly lastModified: bigint
}

/** The file as one buffer (a copy, for a paged part). */
export function catalogFileBytes (file: CatalogFile): Buffer {
  return Buffer.isBuffer(file.body) ? file.body : Buffer.concat(file.body)
}

export interface StoredManifest {
  readonly publisher: string
  readonly stem: string
  readonly version: string
  readonly body: Buffer
  readonly sha1: string
  readonly published: bigint
}

export interface StoredPayload extends PayloadDigests {
  readonly firstPublished: bigint
}

export interface PackageVersion {
  readonly publisher: string
  readonly stem: string
  readonly version: string
}

const DATA_VERSION_TTL_MS = 100
const SERVING_BUSY_TIMEOUT_MS = 1000
const MANIFEST_CACHE_BYTES = 32 * 1024 * 1024
const PAYLOAD_CACHE_BYTES = 8 * 1024 * 1024
/** Parts up to this size are served as one buffer; larger ones from their pages. */
const WHOLE_PART_BYTES = 1024 * 1024

interface PublisherRow { name: string, catalog_created: number, catalog_last_modified: number, repository: string | null }
interface PayloadRow { hash: string, chash: string, gzip_sha256: string, file_sha256: string, size: number, csize: number, first_published: number }

export class Repository {
  readonly db: Db
  readonly payloads: PayloadStore
  readonly dataDir: string
  private readonly stmt: {
    publishers: Database.Statement
    setting: Database.Statement
    catalogFile: Database.Statement
    manifest: Database.Statement
    payload: Database.Statement
    payloadOf: Database.Statement
    alias: Database.Statement
    versions: Database.Statement
    stemVersions: Database.Statement
    dataVersion: Database.Statement
    revision: Database.Statement
  }

  private cached: { generation: string, publishers: PublisherInfo[], names: Set<string> } | undefined
  private localWrites = 0
  private dataVersion = 0
  private dataVersionAt = -Infinity
  private fileCache: { generation: string, files: Map<string, CatalogFile>, revisions: Map<string, { revision: number, sealed: number } | undefined>, unsealable: Set<string> } = { generation: '', files: new Map(), revisions: new Map(), unsealable: new Set() }
  private worker: CatalogWorker | undefined
  private payloadCache: { generation: string, lru: ByteLru<{ payload: StoredPayload, byteLength: number }> } = { generation: '', lru: new ByteLru(0) }
  private manifestCache: { generation: string, lru: ByteLru<{ manifest: StoredManifest, byteLength: number }> } = { generation: '', lru: new ByteLru(0) }

  /** `payloads`: where the payload bytes are; the file store under `dataDir` unless given. */
  constructor (dataDir: string, opts: { readonly?: boolean, payloads?: PayloadBackend } = {}) {
    this.dataDir = dataDir
    // The serving thread waits at most a second for another connection's write (a rebuild, an import):
    // better a 503 the client retries than a stalled depot.
    this.db = openDatabase(path.join(dataDir, 'depot.sqlite'), { readonly: opts.readonly, busyTimeoutMs: SERVING_BUSY_TIMEOUT_MS })
    this.payloads = new PayloadStore(opts.payloads ?? new FilePayloads(dataDir), dataDir)
    this.stmt = {
      publishers: this.db.prepare('SELECT name, catalog_created, catalog_last_modified, repository FROM publisher ORDER BY name'),
      setting: this.db.prepare('SELECT value FROM repository_setting WHERE key = ?'),
      catalogFile: this.db.prepare(`SELECT b.body, f.signature, f.last_modified FROM catalog_file f
        LEFT JOIN catalog_file_body b ON b.publisher = f.publisher AND b.name = f.name WHERE f.publisher = ? AND f.name = ?`),
      manifest: this.db.prepare('SELECT publisher, stem, version, manifest, manifest_sha1, published FROM package WHERE publisher = ? AND stem = ? AND version = ?'),
      payload: this.db.prepare('SELECT * FROM payload WHERE hash = ?'),
      payloadOf: this.db.prepare('SELECT p.* FROM payload p JOIN publisher_payload pp ON pp.hash = p.hash WHERE pp.publisher = ? AND p.hash = ?'),
      alias: this.db.prepare('SELECT hash FROM payload_alias WHERE digest = ?'),
      versions: this.db.prepare('SELECT publisher, stem, version FROM package WHERE publisher = ? AND in_catalog = 1'),
      stemVersions: this.db.prepare('SELECT version FROM package WHERE publisher = ? AND stem = ?'),
      dataVersion: this.db.prepare('PRAGMA data_version').pluck(),
      revision: this.db.prepare('SELECT catalog_revision AS revision, sealed_revision AS sealed FROM publisher WHERE name = ?')
    }
    if (!opts.readonly) {
      this.indexUnindexedPublishers()
      backfillPayloadReferences(this.db)
    }
  }

  /** Packages stored before the search index existed (or before schema 014 replaced it) get indexed once, at open; the space the old index held goes back to the file system. */
  private indexUnindexedPublishers (): void {
    const stored = this.db.prepare('SELECT DISTINCT publisher FROM package').pluck().all() as string[]
    const unindexed = stored.filter(p => !isIndexed(this.db, p))
    for (const pub of unindexed) this.db.transaction(() => rebuildSearchIndex(this.db, pub))()
    if (unindexed.length > 0) reclaimFreePages(this.db)
  }

  close (): void {
    this.worker?.close()
    void this.payloads.close()
    this.db.close()
  }

  private get catalogWorker (): CatalogWorker {
    // Another write, by the worker's connection: what this one has cached of the catalog is stale.
    this.worker ??= new CatalogWorker(this.dataDir, this.db.name, () => { this.localWrites++ })
    return this.worker
  }

  /** A rebuild run off the serving thread (admin/0, the REST API): the depot goes on serving meanwhile. */
  async rebuildInBackground (opts: RebuildOptions): Promise<string[]> {
    const names = await this.catalogWorker.rebuild(opts)
    this.worker?.nudge()
    return names
  }

  /**
   * Seals every publisher's catalog and builds every part in memory now,
   * so the first client after a start (or after a crash in mid-publish)
   * does not wait for it (the largest part of a 229k-version catalog takes
   * ~2 s to assemble from its fragments).
   */
  async warmCatalog (): Promise<void> {
    try {
      await this.catalogWorker.seal(null)
    } catch {
      // One publisher's damaged row must not keep the depot from starting: each on its own, a failure served as last sealed.
      for (const name of this.publisherNames()) await this.seal(name)
    }
  }

  setting (key: string): string | undefined {
    return (this.stmt.setting.get(key) as { value: string } | undefined)?.value
  }

  /** The repository's default publisher (pkg5's publisher/prefix), if set. */
  get defaultPublisher (): string | null {
    return this.setting('publisher/prefix') ?? null
  }

  /**
   * Changes whenever the database does, by this connection (noteWrite) or
   * by another process (SQLite's data_version): what in-memory caches of
   * catalog state are keyed by.
   */
  generation (): string {
    // Asking SQLite costs more than serving a small file: other processes'
    // writes (an import, a rebuild) are picked up within DATA_VERSION_TTL_MS.
    const now = performance.now()
    if (now - this.dataVersionAt > DATA_VERSION_TTL_MS) {
      this.dataVersion = this.stmt.dataVersion.get() as number
      this.dataVersionAt = now
    }
    return `${this.dataVersion}:${this.localWrites}`
  }

  /** Called after every transaction this process commits: catalog changes get sealed in the background. */
  noteWrite (): void {
    this.localWrites++
    this.worker?.nudge()
  }

  publishers (): PublisherInfo[] {
    return this.publisherCache().publishers
  }

  hasPublisher (name: string): boolean {
    return this.publisherCache().names.has(name)
  }

  private publisherCache (): { publishers: PublisherInfo[], names: Set<string> } {
    const generation = this.generation()
    if (this.cached?.generation === generation) return this.cached
    const publishers = (this.stmt.publishers.all() as PublisherRow[]).map(r => ({
      name: r.name,
      catalogCreated: BigInt(r.catalog_created),
      catalogLastModified: BigInt(r.catalog_last_modified),
      repository: r.repository === null ? null : JSON.parse(r.repository) as { [key: string]: JsonValue }
    }))
    this.cached = { generation, publishers, names: new Set(publishers.map(p => p.name)) }
    return this.cached
  }

  /**
   * A catalog/1 file as last sealed, kept in memory until the catalog
   * changes. Changes committed before the call are sealed first (a
   * publisher sees its own publish). Parts have no stored body: their bytes
   * are the catalog worker's, checked against the stored signature.
   */
  async catalogFile (publisher: string, name: string): Promise<CatalogFile | undefined> {
    // Each round waits for a seal; another process's commits could outrun a few.
    for (let round = 0; round < 5; round++) {
      const { files, revisions, unsealable } = this.catalogCache()
      if (!revisions.has(publisher)) revisions.set(publisher, this.stmt.revision.get(publisher) as { revision: number, sealed: number } | undefined)
      const at = revisions.get(publisher)
      if (at === undefined) return undefined
      if (at.sealed < at.revision && !unsealable.has(publisher)) { await this.seal(publisher); continue }
      const key = `${publisher}/${name}`
      const hit = files.get(key)
      if (hit) return hit
      const r = this.stmt.catalogFile.get(publisher, name) as { body: Buffer | null, signature: string, last_modified: number } | undefined
      if (r === undefined) return undefined
      let body: CatalogFile['body'] | null = r.body
      if (body === null) {
        const part = this.worker?.part(publisher, name)
        if (part?.signature !== r.signature) {
          if (unsealable.has(publisher)) throw new ServiceUnavailableError('The catalog cannot be signed at the moment; retry later.', 60)
          await this.seal(publisher)
          continue
        }
        // One copy per change for a small part, so that most catalogs are served as one buffer.
        body = part.size <= WHOLE_PART_BYTES ? Buffer.concat(part.chunks) : part.chunks
      }
      const file = { body, signature: r.signature, lastModified: BigInt(r.last_modified) }
      files.set(key, file)
      return file
    }
    throw new ServiceUnavailableError('The catalog is changing faster than it can be signed; retry shortly.', 1)
  }

  private catalogCache (): typeof this.fileCache {
    const generation = this.generation()
    if (this.fileCache.generation !== generation) this.fileCache = { generation, files: new Map(), revisions: new Map(), unsealable: new Set() }
    return this.fileCache
  }

  /**
   * A failed seal leaves the last sealed catalog, consistent if older, to
   * be served until the next change of the catalog tries again: better
   * than failing every catalog request.
   */
  private async seal (publisher: string): Promise<void> {
    try {
      await this.catalogWorker.seal([publisher])
    } catch (err) {
      this.catalogCache().unsealable.add(publisher)
      process.emitWarning(`${publisher}: ${(err as Error).message}; serving the catalog as last sealed`)
    }
  }

  /** A stored manifest; recently used ones are kept in memory until the catalog changes. */
  manifest (publisher: string, stem: string, version: string): StoredManifest | undefined {
    const generation = this.generation()
    if (this.manifestCache.generation !== generation) this.manifestCache = { generation, lru: new ByteLru(MANIFEST_CACHE_BYTES) }
    const key = `${publisher}\0${stem}\0${version}`
    const hit = this.manifestCache.lru.get(key)
    if (hit) return hit.manifest
    const m = this.readManifest(publisher, stem, version)
    if (m) this.manifestCache.lru.set(key, { manifest: m, byteLength: m.body.length + key.length })
    return m
  }

  private readManifest (publisher: string, stem: string, version: string): StoredManifest | undefined {
    const r = this.stmt.manifest.get(publisher, stem, version) as { publisher: string, stem: string, version: string, manifest: Buffer, manifest_sha1: string, published: number } | undefined
    return r && { publisher: r.publisher, stem: r.stem, version: r.version, body: r.manifest, sha1: r.manifest_sha1, published: BigInt(r.published) }
  }

  /**
   * A payload by any name a client may use: the SHA-1 of its content, or
   * another digest (gzip:sha256:…). With a publisher, only that
   * publisher's payloads; without, any.
   */
  payload (publisher: string | null, name: string): StoredPayload | undefined {
    const generation = this.generation()
    if (this.payloadCache.generation !== generation) this.payloadCache = { generation, lru: new ByteLru(PAYLOAD_CACHE_BYTES) }
    const key = `${publisher ?? ''}\0${name}`
    const hit = this.payloadCache.lru.get(key)
    if (hit) return hit.payload
    const p = this.readPayload(publisher, name)
    if (p) this.payloadCache.lru.set(key, { payload: p, byteLength: 256 + key.length })
    return p
  }

  private readPayload (publisher: string | null, name: string): StoredPayload | undefined {
    const hash = SHA1_NAME.test(name) ? name : (this.stmt.alias.get(name) as { hash: string } | undefined)?.hash
    if (hash === undefined) return undefined
    const r = (publisher === null ? this.stmt.payload.get(hash) : this.stmt.payloadOf.get(publisher, hash)) as PayloadRow | undefined
    return r && {
      hash: r.hash,
      chash: r.chash,
      gzipSha256: r.gzip_sha256,
      fileSha256: r.file_sha256,
      size: r.size,
      csize: r.csize,
      firstPublished: BigInt(r.first_published)
    }
  }

  /**
   * The manifest of stem@version in the first of the given publishers that
   * has it. Versions are equal regardless of build release, as in pkg5.
   */
  findManifest (publishers: readonly string[], stem: string, version: Version): StoredManifest | undefined {
    for (const pub of publishers) {
      const exact = this.manifest(pub, stem, formatVersion(version))
      if (exact) return exact
      for (const { version: v } of this.stmt.stemVersions.all(pub, stem) as Array<{ version: string }>) {
        if (compareVersions(parseVersion(v), version) === 0) return this.manifest(pub, stem, v)
      }
    }
    return undefined
  }

  /** Publisher names, the default publisher first (pkgsend takes the first as its own). */
  publisherNames (): string[] {
    const names = this.publishers().map(p => p.name)
    const def = this.defaultPublisher
    return def !== null && names.includes(def) ? [def, ...names.filter(n => n !== def)] : names
  }

  /** Every package version in a publisher's catalog. */
  versions (publisher: string): PackageVersion[] {
    return this.stmt.versions.all(publisher) as PackageVersion[]
  }

  /** Each publisher's catalog revision and the revision last sealed: their difference is the seal lag. */
  catalogRevisions (): Array<{ name: string, revision: number, sealed: number }> {
    return this.db.prepare('SELECT name, catalog_revision AS revision, sealed_revision AS sealed FROM publisher ORDER BY name').all() as Array<{ name: string, revision: number, sealed: number }>
  }

  /** What the sealed catalog.attrs says: stems and versions in the base part. */
  async counts (publisher: string): Promise<{ stems: number, versions: number }> {
    const attrs = await this.catalogFile(publisher, 'catalog.attrs')
    const data = attrs === undefined ? {} : verifyCatalogFile(catalogFileBytes(attrs)).data
    return { stems: Number(data['package-count'] ?? 0), versions: Number(data['package-version-count'] ?? 0) }
  }
}
