/**
 * Imports a pkg5 file repository (v4 layout) without changing a byte of
 * any manifest or payload, and keeping its catalog history (created,
 * last-modified of every part, the update logs) so that clients of the old
 * depot go on refreshing incrementally. The generated catalog must
 * reproduce the source's signatures exactly, or nothing is imported.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { JsonValue } from '../ips/canonical-json.js'
import { catalogFormatOf, PART_NAME, UPDATE_LOG_NAME, verifyCatalogFile, sha1Hex } from '../ips/catalog.js'
import { manifestPayloads, parseManifest } from '../ips/manifest.js'
import { pyQuote } from '../ips/quote.js'
import { parseCatalogTime } from '../ips/timestamp.js'
import { parseVersion } from '../ips/version.js'
import { isValidPublisher } from '../ips/fmri.js'
import { regenerateCatalog } from './catalog-writer.js'
import { indexPackages } from './search-index.js'
import { recordPackagePayloads } from './payload-references.js'
import { digestGzipFile, type PayloadDigests } from './payload-digests.js'
import { SHA1_NAME } from './payload-store.js'
import { parsePkg5Config } from './pkg5-config.js'
import type { Repository } from './repository.js'

export class ImportError extends Error {
  readonly code = 'ERR_IMPORT'
}

export interface ImportProgress {
  readonly publisher: string
  readonly phase: 'manifests' | 'payloads' | 'catalog'
  readonly done: number
  readonly total: number
}

export interface ImportOptions {
  /** Replace a publisher that already exists with a different catalog. */
  readonly replace?: boolean
  readonly onProgress?: (p: ImportProgress) => void
}

export interface PublisherImport {
  readonly name: string
  readonly packages: number
  readonly payloads: number
  /** The depot already held exactly this catalog. */
  readonly unchanged: boolean
}

type CatalogObject = { [key: string]: JsonValue }

interface SourceCatalog {
  attrs: CatalogObject
  attrsSignature: string
  files: Map<string, { data: CatalogObject, signature: string }>
}

function readCatalog (dir: string, publisher: string): SourceCatalog {
  const attrsPath = path.join(dir, 'catalog.attrs')
  if (!fs.existsSync(attrsPath)) throw new ImportError(`publisher ${publisher} has no catalog (${attrsPath}); run 'pkgrepo rebuild' on the source first`)
  const check = (name: string): { data: CatalogObject, signature: string } => {
    try {
      return verifyCatalogFile(fs.readFileSync(path.join(dir, name)))
    } catch (err) {
      throw new ImportError(`publisher ${publisher}: ${name}: ${(err as Error).message}`)
    }
  }
  const attrs = check('catalog.attrs')
  const files = new Map<string, { data: CatalogObject, signature: string }>()
  for (const section of ['parts', 'updates'] as const) {
    const listed = attrs.data[section] as { [name: string]: { 'signature-sha-1': string } }
    for (const [name, stamp] of Object.entries(listed)) {
      if (!(section === 'parts' ? PART_NAME : UPDATE_LOG_NAME).test(name)) throw new ImportError(`publisher ${publisher}: unexpected catalog file name ${name}`)
      const file = check(name)
      if (file.signature !== stamp['signature-sha-1']) throw new ImportError(`publisher ${publisher}: ${name} does not match the signature catalog.attrs lists`)
      files.set(name, file)
    }
  }
  return { attrs: attrs.data, attrsSignature: attrs.signature, files }
}

function entriesOf (data: CatalogObject, publisher: string): Array<[string, CatalogObject[]]> {
  const stems = (data[publisher] ?? {}) as { [stem: string]: CatalogObject[] }
  return Object.entries(stems)
}

/** Both pkg5 file layouts: V1 file/<h[0:2]>/<h> and V0 file/<h[0:2]>/<h[2:8]>/<h>. */
function* storedPayloadFiles (fileDir: string): Generator<[string, string]> {
  if (!fs.existsSync(fileDir)) return
  const walk = function * (dir: string): Generator<[string, string]> {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, ent.name)
      if (ent.isDirectory()) yield * walk(p)
      else if (ent.isFile() && SHA1_NAME.test(ent.name)) yield [ent.name, p]
    }
  }
  yield * walk(fileDir)
}

export async function importRepository (repo: Repository, source: string, opts: ImportOptions = {}): Promise<PublisherImport[]> {
  const cfgPath = path.join(source, 'pkg5.repository')
  if (!fs.existsSync(cfgPath)) throw new ImportError(`${source} is not a pkg5 repository: no pkg5.repository`)
  const config = parsePkg5Config(fs.readFileSync(cfgPath, 'utf8'))
  const version = config.CONFIGURATION?.version ?? config.repository?.version
  if (version !== 4) throw new ImportError(`${source}: repository version ${String(version)} is not supported (only version 4)`)
  const pubRoot = path.join(source, 'publisher')
  const publishers = fs.existsSync(pubRoot) ? fs.readdirSync(pubRoot).filter(n => fs.statSync(path.join(pubRoot, n)).isDirectory()).sort() : []
  for (const p of publishers) if (!isValidPublisher(p)) throw new ImportError(`${source}: invalid publisher name '${p}'`)

  const results: PublisherImport[] = []
  for (const publisher of publishers) results.push(await importPublisher(repo, path.join(pubRoot, publisher), publisher, opts))

  const prefix = config.publisher?.prefix
  repo.db.transaction(() => {
    const set = repo.db.prepare('INSERT INTO repository_setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
    if (typeof prefix === 'string' && prefix !== '' && repo.defaultPublisher === null) set.run('publisher/prefix', prefix)
    const repoSection = { ...(config.repository ?? {}) }
    if (repo.setting('repository/configuration') === undefined) set.run('repository/configuration', JSON.stringify(repoSection))
  }).immediate()
  repo.noteWrite()
  return results
}

async function importPublisher (repo: Repository, dir: string, publisher: string, opts: ImportOptions): Promise<PublisherImport> {
  const progress = (phase: ImportProgress['phase'], done: number, total: number): void => opts.onProgress?.({ publisher, phase, done, total })
  const src = readCatalog(path.join(dir, 'catalog'), publisher)
  const created = parseCatalogTime(src.attrs.created as string)
  const lastModified = parseCatalogTime(src.attrs['last-modified'] as string)

  const existing = repo.db.prepare('SELECT catalog_created, catalog_last_modified FROM publisher WHERE name = ?').get(publisher) as { catalog_created: number, catalog_last_modified: number } | undefined
  if (existing) {
    const attrs = repo.db.prepare("SELECT signature FROM catalog_file WHERE publisher = ? AND name = 'catalog.attrs'").pluck().get(publisher)
    if (attrs === src.attrsSignature) return { name: publisher, packages: 0, payloads: 0, unchanged: true }
    if (!opts.replace) throw new ImportError(`publisher ${publisher} already exists in the depot with a different catalog; import with --replace to overwrite it`)
  }

  // Manifests named by the base part, verified against its signatures.
  const base = src.files.get('catalog.base.C')?.data ?? {}
  const packages: Array<{ stem: string, version: string, body: Buffer, sha1: string, published: bigint, payloads: Set<string> }> = []
  const firstUse = new Map<string, bigint>()
  const baseEntries = entriesOf(base, publisher)
  const total = baseEntries.reduce((n, [, list]) => n + list.length, 0)
  for (const [stem, list] of baseEntries) {
    for (const e of list) {
      const version = e.version as string
      const file = path.join(dir, 'pkg', pyQuote(stem), pyQuote(version))
      if (!fs.existsSync(file)) throw new ImportError(`publisher ${publisher}: manifest of ${stem}@${version} is missing (${file})`)
      const body = fs.readFileSync(file)
      const sha1 = sha1Hex(body)
      if (sha1 !== e['signature-sha-1']) throw new ImportError(`publisher ${publisher}: manifest of ${stem}@${version} does not match its catalog signature`)
      const ts = parseVersion(version).timestamp
      if (!ts) throw new ImportError(`publisher ${publisher}: ${stem}@${version} has no timestamp`)
      const published = parseCatalogTime(ts)
      const payloads = manifestPayloads(parseManifest(body.toString('utf8')))
      for (const h of payloads) if (!firstUse.has(h) || firstUse.get(h)! > published) firstUse.set(h, published)
      packages.push({ stem, version, body, sha1, published, payloads })
      progress('manifests', packages.length, total)
    }
  }

  // Payloads: every stored object, digested and checked against its name.
  const stored = [...storedPayloadFiles(path.join(dir, 'file'))]
  const payloads: Array<PayloadDigests & { firstPublished: bigint }> = []
  for (const [name, file] of stored) {
    let d: PayloadDigests
    try {
      d = await digestGzipFile(file)
    } catch (err) {
      throw new ImportError(`publisher ${publisher}: payload ${name} is not a valid gzip stream: ${(err as Error).message}`)
    }
    if (d.hash !== name) throw new ImportError(`publisher ${publisher}: payload ${name} decompresses to content with SHA-1 ${d.hash}`)
    await repo.payloads.put(name, file)
    const firstPublished = firstUse.get(name) ?? BigInt(Math.floor(fs.statSync(file).mtimeMs)) * 1000n
    payloads.push({ ...d, firstPublished })
    progress('payloads', payloads.length, stored.length)
  }
  const imported = new Set(payloads.map(p => p.hash))
  const missing: string[] = []
  for (const h of firstUse.keys()) if (SHA1_NAME.test(h) && !imported.has(h) && !await repo.payloads.has(h)) missing.push(h)
  if (missing.length > 0) throw new ImportError(`publisher ${publisher}: ${missing.length} payloads referenced by manifests are missing, e.g. ${missing[0]}`)

  progress('catalog', 0, 1)
  const repository = readPublisherRepository(dir, publisher)
  const db = repo.db
  db.transaction(() => {
    if (existing) {
      db.prepare('DELETE FROM package WHERE publisher = ?').run(publisher)
      db.prepare('DELETE FROM publisher WHERE name = ?').run(publisher)
    }
    db.prepare('INSERT INTO publisher (name, catalog_created, catalog_last_modified, repository, catalog_format) VALUES (?, ?, ?, ?, ?)')
      .run(publisher, created, lastModified, repository === null ? null : JSON.stringify(repository), catalogFormatOf(src.attrs))
    const insPkg = db.prepare('INSERT INTO package (publisher, stem, version, published, manifest, manifest_sha1) VALUES (?, ?, ?, ?, ?, ?)')
    const ids = new Map<string, bigint>()
    for (const p of packages) {
      const id = insPkg.run(publisher, p.stem, p.version, p.published, p.body, p.sha1).lastInsertRowid as bigint
      ids.set(`${p.stem}@${p.version}`, id)
      recordPackagePayloads(db, id, p.payloads)
    }
    indexPackages(db, (function * () { for (const p of packages) yield { id: ids.get(`${p.stem}@${p.version}`)!, manifest: p.body.toString('utf8') } })())

    const insPart = db.prepare('INSERT INTO package_part (package_id, part, actions) VALUES (?, ?, ?)')
    const insStamp = db.prepare('INSERT INTO catalog_stamp (publisher, name, last_modified) VALUES (?, ?, ?)')
    const insLog = db.prepare('INSERT INTO update_log_entry (publisher, log, stem, version, op_type, op_time, parts) VALUES (?, ?, ?, ?, ?, ?, ?)')
    for (const section of ['parts', 'updates'] as const) {
      for (const [name, stamp] of Object.entries(src.attrs[section] as { [n: string]: { 'last-modified': string } })) {
        insStamp.run(publisher, name, parseCatalogTime(stamp['last-modified']))
        const data = src.files.get(name)!.data
        for (const [stem, list] of entriesOf(data, publisher)) {
          for (const e of list) {
            const { version, 'op-type': opType, 'op-time': opTime, ...rest } = e as CatalogObject & { version: string }
            if (section === 'updates') {
              insLog.run(publisher, name, stem, version, opType as string, parseCatalogTime(opTime as string), JSON.stringify(rest))
            } else if (name !== 'catalog.base.C') {
              const id = ids.get(`${stem}@${version}`)
              if (id === undefined) throw new ImportError(`publisher ${publisher}: ${name} lists ${stem}@${version}, which catalog.base.C does not`)
              insPart.run(id, name, JSON.stringify(rest.actions ?? []))
            }
          }
        }
      }
    }

    const insPayload = db.prepare(`INSERT INTO payload (hash, chash, gzip_sha256, file_sha256, size, csize, first_published) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (hash) DO UPDATE SET first_published = min(first_published, excluded.first_published)`)
    const insPubPayload = db.prepare('INSERT OR IGNORE INTO publisher_payload (publisher, hash) VALUES (?, ?)')
    const insAlias = db.prepare('INSERT OR IGNORE INTO payload_alias (digest, hash) VALUES (?, ?)')
    for (const p of payloads) {
      insPayload.run(p.hash, p.chash, p.gzipSha256, p.fileSha256, p.size, p.csize, p.firstPublished)
      insPubPayload.run(publisher, p.hash)
      insAlias.run(`gzip:sha256:${p.gzipSha256}`, p.hash)
      insAlias.run(`file:sha256:${p.fileSha256}`, p.hash)
    }

    regenerateCatalog(db, publisher)
    const mine = db.prepare('SELECT name, signature FROM catalog_file WHERE publisher = ?').all(publisher) as Array<{ name: string, signature: string }>
    for (const { name, signature } of mine) {
      const expected = name === 'catalog.attrs' ? src.attrsSignature : src.files.get(name)?.signature
      if (signature !== expected) throw new ImportError(`publisher ${publisher}: the regenerated ${name} differs from the source (signature ${signature}, source ${String(expected)}); nothing was imported`)
    }
  }).immediate()
  repo.noteWrite()
  progress('catalog', 1, 1)
  return { name: publisher, packages: packages.length, payloads: payloads.length, unchanged: false }
}

function readPublisherRepository (dir: string, publisher: string): CatalogObject | null {
  const file = path.join(dir, 'pub.p5i')
  if (!fs.existsSync(file)) return null
  const p5i = JSON.parse(fs.readFileSync(file, 'utf8')) as { publishers?: Array<{ name: string, repositories?: CatalogObject[] }> }
  const entry = p5i.publishers?.find(p => p.name === publisher)
  return entry?.repositories?.[0] ?? null
}
