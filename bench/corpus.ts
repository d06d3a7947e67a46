/**
 * A deterministic synthetic IPS corpus, shaped like real repositories
 * (the scale of real repositories in the workplace's performance notes, §1): file actions per manifest
 * log-normal with median 14 and p99 ~4k; payload sizes log-normal with
 * median ~2 KB and p99 ~260 KB; each new version of a stem keeps 50–80% of
 * the previous version's payloads. Written as a pkg5 v4 file repository
 * (catalog parts, update log, manifests, pkg5 gzip payloads) for the
 * project's own importer to load.
 *
 *   S: 800 stems x 3 versions, with payloads (smoke runs)
 *   M: 6,500 stems x 2-3 versions (~15k), like a Solaris release repository
 *   L: 6,000 stems x ~38 versions (~228k), metadata only, like helios-dev
 *
 * M and L carry no file actions (metadata only): their payload bytes
 * (~10 GB for M) would not fit a benchmark run on the CI machine. They
 * have no update log either, as after `pkgrepo rebuild`: one hourly log of
 * 228k additions would be a 100 MB file no client ever fetches.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { buildCatalogAttrs, buildPart, buildUpdateLog, type FileStamp, type UpdateLogEntry, type VersionEntry } from '../src/ips/catalog.js'
import { pkgGzip } from '../src/ips/gzip.js'
import { catalogPartActions, parseManifest } from '../src/ips/manifest.js'
import { pyQuote } from '../src/ips/quote.js'
import { parseCatalogTime, updateLogName } from '../src/ips/timestamp.js'

export type ProfileName = 'S' | 'M' | 'L'

export interface Profile {
  readonly stems: number
  readonly minVersions: number
  readonly maxVersions: number
  readonly payloads: boolean
  /** Cap on file actions per manifest (the real tail reaches 42k). */
  readonly maxFiles: number
  /** Cap on one payload's size. */
  readonly maxPayloadBytes: number
}

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  S: { stems: 800, minVersions: 3, maxVersions: 3, payloads: true, maxFiles: 100, maxPayloadBytes: 1 << 20 },
  M: { stems: 6500, minVersions: 2, maxVersions: 3, payloads: false, maxFiles: 0, maxPayloadBytes: 0 },
  L: { stems: 6000, minVersions: 20, maxVersions: 56, payloads: false, maxFiles: 0, maxPayloadBytes: 0 }
}

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A log-normal draw with the given median and 99th percentile. */
function logNormal (rand: () => number, median: number, p99: number): number {
  const sigma = Math.log(p99 / median) / 2.326
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  return median * Math.exp(sigma * z)
}

/** Content compressible like a mix of binaries and text (gzip about 2-3x). */
function content (seed: number, size: number): Buffer {
  const out = Buffer.alloc(size)
  let x = (seed * 2654435761 + 1) >>> 0
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    out[i] = (i & 3) === 0 ? x & 0xff : 0x61 + (x % 12)
  }
  return out
}

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

interface FileSlot { path: string, hash: string, line: string }

export interface CorpusSummary {
  readonly profile: ProfileName | 'custom'
  readonly stems: number
  readonly versions: number
  readonly fileActions: number
  readonly payloads: number
  readonly payloadBytes: number
  /** Some payload hashes of each size class, for benchmarks to fetch. */
  readonly samplePayloads: ReadonlyArray<{ hash: string, size: number }>
  /** Some manifests, as (stem, version). */
  readonly sampleManifests: ReadonlyArray<{ stem: string, version: string }>
}

const CATEGORIES = ['library', 'system', 'developer', 'network', 'web', 'text', 'runtime', 'service', 'database', 'desktop', 'diagnostic', 'file']

export function generateCorpus (dir: string, publisher: string, name: ProfileName | 'custom', seed = 1, custom?: Profile): CorpusSummary {
  const profile = name === 'custom' ? custom! : PROFILES[name]
  const rand = prng(seed)
  fs.rmSync(dir, { recursive: true, force: true })
  const pubDir = path.join(dir, 'publisher', publisher)
  fs.mkdirSync(path.join(pubDir, 'catalog'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'pkg5.repository'), `[publisher]\nprefix = ${publisher}\n\n[repository]\nversion = 4\n\n[CONFIGURATION]\nversion = 4\n`)
  const opTime = parseCatalogTime('20260101T000000.000001Z')
  const parts = new Map<string, VersionEntry[]>()
  const log: UpdateLogEntry[] = []
  const stems = Array.from({ length: profile.stems }, (_, i) => `${CATEGORIES[i % CATEGORIES.length]}/${name.toLowerCase()}${Math.floor(i / CATEGORIES.length)}/component-${i}`)
  let versions = 0
  let fileActions = 0
  let payloadBytes = 0
  const written = new Set<string>()
  const samplePayloads: Array<{ hash: string, size: number }> = []
  const sampleManifests: Array<{ stem: string, version: string }> = []
  let nextContent = 1

  const newPayload = (stem: string, index: number): FileSlot => {
    const size = Math.max(1, Math.min(profile.maxPayloadBytes, Math.round(logNormal(rand, 2000, 260_000))))
    const raw = content(nextContent++, size)
    const gz = pkgGzip(raw)
    const hash = sha1(raw)
    if (!written.has(hash)) {
      const file = path.join(pubDir, 'file', hash.slice(0, 2), hash)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, gz)
      written.add(hash)
      payloadBytes += size
      if (samplePayloads.length < 64 || (size > 200_000 && samplePayloads.length < 96)) samplePayloads.push({ hash, size })
    }
    const p = `usr/${stem.replace(/\//g, '_')}/f${index}`
    return { path: p, hash, line: `file ${hash} chash=${sha1(gz)} group=bin mode=0444 owner=root path=${p} pkg.content-hash=file:sha256:${sha256(raw)} pkg.content-hash=gzip:sha256:${sha256(gz)} pkg.csize=${gz.length} pkg.size=${size}` }
  }

  for (const [si, stem] of stems.entries()) {
    const count = profile.minVersions + Math.floor(rand() * (profile.maxVersions - profile.minVersions + 1))
    const files = profile.payloads ? Math.min(profile.maxFiles, Math.round(logNormal(rand, 14, 4000))) : 0
    let slots: FileSlot[] = []
    for (let v = 0; v < count; v++) {
      // Each version keeps 50-80% of its stem's payloads and replaces the rest.
      const keep = 0.5 + rand() * 0.3
      slots = Array.from({ length: files }, (_, i) => (v > 0 && slots[i] && rand() < keep) ? slots[i]! : newPayload(stem, i))
      const version = `${1 + Math.floor(v / 10)}.${v % 10}.${si % 7},5.11-2026.0.0.${v}:2026010${1 + (v % 9)}T${String(v % 24).padStart(2, '0')}0000Z`
      const deps = Array.from({ length: 2 + Math.floor(rand() * 8) }, () => stems[Math.floor(rand() * stems.length)]!)
      const lines = [
        `set name=pkg.fmri value=pkg://${publisher}/${stem}@${version}`,
        `set name=pkg.summary value="${stem.split('/').pop()} — synthetic component ${si}, version ${v}"`,
        `set name=pkg.description value="Synthetic ${name} component ${si}"`,
        `set name=info.classification value="org.opensolaris.category.2008:${CATEGORIES[si % CATEGORIES.length]}"`,
        'set name=variant.arch value=i386',
        `dir group=bin mode=0755 owner=root path=usr/${stem.replace(/\//g, '_')}`,
        ...[...new Set(deps)].filter(d => d !== stem).map(d => `depend fmri=${d}@1.0 type=require`),
        ...slots.map(s => s.line)
      ]
      const manifest = lines.join('\n') + '\n'
      const mdir = path.join(pubDir, 'pkg', pyQuote(stem))
      fs.mkdirSync(mdir, { recursive: true })
      fs.writeFileSync(path.join(mdir, pyQuote(version)), manifest)
      const logParts: { [part: string]: { [k: string]: unknown } } = { 'catalog.base.C': { 'signature-sha-1': sha1(manifest), version } }
      const base = parts.get('catalog.base.C') ?? []
      base.push({ stem, version, entry: { 'signature-sha-1': sha1(manifest) } })
      parts.set('catalog.base.C', base)
      for (const [part, actions] of catalogPartActions(parseManifest(manifest))) {
        const list = parts.get(part) ?? []
        list.push({ stem, version, entry: { actions } })
        parts.set(part, list)
        logParts[part] = { actions, version }
      }
      if (profile.payloads) log.push({ stem, version, opType: 'add', opTime, parts: logParts as UpdateLogEntry['parts'] })
      versions++
      fileActions += slots.length
      if (si % 97 === 0 && v === 0) sampleManifests.push({ stem, version })
    }
  }

  const stamps = new Map<string, FileStamp>()
  const updates = new Map<string, FileStamp>()
  for (const [part, entries] of parts) {
    const f = buildPart(publisher, entries)
    fs.writeFileSync(path.join(pubDir, 'catalog', part), f.bytes)
    stamps.set(part, { lastModified: opTime, signature: f.signature })
  }
  if (profile.payloads) {
    const updateLog = buildUpdateLog(publisher, log)
    fs.writeFileSync(path.join(pubDir, 'catalog', updateLogName(opTime)), updateLog.bytes)
    updates.set(updateLogName(opTime), { lastModified: opTime, signature: updateLog.signature })
  }
  const attrs = buildCatalogAttrs({ created: opTime, lastModified: opTime, packageCount: stems.length, packageVersionCount: versions, parts: stamps, updates })
  fs.writeFileSync(path.join(pubDir, 'catalog', 'catalog.attrs'), attrs.bytes)
  return { profile: name, stems: stems.length, versions, fileActions, payloads: written.size, payloadBytes, samplePayloads, sampleManifests }
}
