/**
 * Writes a deterministic pkg5 v4 file repository for benchmarks: one
 * publisher, packages whose files have the given payload sizes. It is
 * loaded into the depot through the project's own importer.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { buildCatalogAttrs, buildPart, buildUpdateLog, type FileStamp, type UpdateLogEntry, type VersionEntry } from '../src/ips/catalog.js'
import { pkgGzip } from '../src/ips/gzip.js'
import { pyQuote } from '../src/ips/quote.js'
import { parseCatalogTime, updateLogName } from '../src/ips/timestamp.js'

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** Deterministic pseudo-random content of one size (compressible like typical binaries: about half). */
function content (seed: number, size: number): Buffer {
  const out = Buffer.alloc(size)
  let x = (seed * 2654435761) >>> 0
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0
    out[i] = (i & 1) === 0 ? x & 0xff : 0x41 + (x % 8)
  }
  return out
}

export interface BenchPackage { readonly stem: string, readonly payloadSizes: readonly number[] }

export function makeRepository (dir: string, publisher: string, packages: readonly BenchPackage[]): { payloads: Map<number, string> } {
  fs.rmSync(dir, { recursive: true, force: true })
  const pubDir = path.join(dir, 'publisher', publisher)
  fs.mkdirSync(path.join(pubDir, 'catalog'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'pkg5.repository'), `[publisher]\nprefix = ${publisher}\n\n[repository]\nversion = 4\n\n[CONFIGURATION]\nversion = 4\n`)
  const opTime = parseCatalogTime('20260101T000000.000001Z')
  const base: VersionEntry[] = []
  const summary: VersionEntry[] = []
  const log: UpdateLogEntry[] = []
  const payloads = new Map<number, string>()
  let seed = 1
  for (const pkg of packages) {
    const version = '1.0,5.11-0.1:20260101T000000Z'
    const lines = [`set name=pkg.fmri value=pkg://${publisher}/${pkg.stem}@${version}`, `set name=pkg.summary value="Benchmark package ${pkg.stem}"`]
    for (const size of pkg.payloadSizes) {
      const raw = content(seed++, size)
      const gz = pkgGzip(raw)
      const hash = sha1(raw)
      const file = path.join(pubDir, 'file', hash.slice(0, 2), hash)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, gz)
      payloads.set(size, hash)
      lines.push(`file ${hash} chash=${sha1(gz)} group=bin mode=0444 owner=root path=opt/bench/${pkg.stem}/${seed} pkg.content-hash=file:sha256:${sha256(raw)} pkg.content-hash=gzip:sha256:${sha256(gz)} pkg.csize=${gz.length} pkg.size=${size}`)
    }
    const manifest = lines.join('\n') + '\n'
    const mdir = path.join(pubDir, 'pkg', pyQuote(pkg.stem))
    fs.mkdirSync(mdir, { recursive: true })
    fs.writeFileSync(path.join(mdir, pyQuote(version)), manifest)
    const b = { stem: pkg.stem, version, entry: { 'signature-sha-1': sha1(manifest) } }
    const s = { stem: pkg.stem, version, entry: { actions: [lines[1]!] } }
    base.push(b); summary.push(s)
    log.push({ stem: pkg.stem, version, opType: 'add', opTime, parts: { 'catalog.base.C': { ...b.entry, version }, 'catalog.summary.C': { ...s.entry, version } } })
  }
  const files: Array<[string, { bytes: Buffer, signature: string }]> = [
    ['catalog.base.C', buildPart(publisher, base)],
    ['catalog.summary.C', buildPart(publisher, summary)],
    [updateLogName(opTime), buildUpdateLog(publisher, log)]
  ]
  const parts = new Map<string, FileStamp>()
  const updates = new Map<string, FileStamp>()
  for (const [name, f] of files) {
    fs.writeFileSync(path.join(pubDir, 'catalog', name), f.bytes)
    ;(name.startsWith('update.') ? updates : parts).set(name, { lastModified: opTime, signature: f.signature })
  }
  const attrs = buildCatalogAttrs({ created: opTime, lastModified: opTime, packageCount: packages.length, packageVersionCount: packages.length, parts, updates })
  fs.writeFileSync(path.join(pubDir, 'catalog', 'catalog.attrs'), attrs.bytes)
  return { payloads }
}
