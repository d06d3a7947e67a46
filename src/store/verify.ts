/**
 * `ips-depot verify`, as `pkgrepo verify`: every catalog file's signature
 * and its stamp in catalog.attrs, every manifest against its SHA-1, every
 * payload a manifest names against its chash (the stored gzip bytes), its
 * content hash and size. Damage is collected, not thrown: the report lists
 * all of it.
 */
import type { Readable } from 'node:stream'
import { sha1Hex, verifyCatalogFile } from '../ips/catalog.js'
import { actionPayloads, parseManifest } from '../ips/manifest.js'
import { digestGzip } from './payload-digests.js'
import { PayloadMissingError } from './payload-store.js'
import { catalogFileBytes, type Repository } from './repository.js'

export interface Damage { readonly publisher: string, readonly what: string, readonly problem: string }
export interface VerifyReport { readonly publishers: string[], readonly catalogFiles: number, readonly packages: number, readonly payloads: number, readonly damage: Damage[] }

async function verifyCatalog (repo: Repository, publisher: string, damage: Damage[]): Promise<number> {
  const bad = (what: string, problem: string): void => { damage.push({ publisher, what, problem }) }
  const attrs = await repo.catalogFile(publisher, 'catalog.attrs')
  if (attrs === undefined) { bad('catalog.attrs', 'missing'); return 0 }
  let data: Record<string, unknown>
  try { data = verifyCatalogFile(catalogFileBytes(attrs)).data } catch (err) { bad('catalog.attrs', (err as Error).message); return 1 }
  let checked = 1
  for (const section of ['parts', 'updates']) {
    for (const [name, stamp] of Object.entries((data[section] ?? {}) as Record<string, { 'signature-sha-1'?: string }>)) {
      checked++
      const file = await repo.catalogFile(publisher, name)
      if (file === undefined) { bad(name, 'listed in catalog.attrs but missing'); continue }
      try {
        const { signature } = verifyCatalogFile(catalogFileBytes(file))
        if (signature !== stamp['signature-sha-1']) bad(name, `signature ${signature} differs from catalog.attrs' ${String(stamp['signature-sha-1'])}`)
      } catch (err) {
        bad(name, (err as Error).message)
      }
    }
  }
  return checked
}

export async function verifyRepository (repo: Repository, only: string | null): Promise<VerifyReport> {
  const damage: Damage[] = []
  const publishers = only === null ? repo.publisherNames() : [only]
  let catalogFiles = 0
  let packages = 0
  const payloads = new Map<string, string | null>()
  const payloadRow = repo.db.prepare('SELECT chash, size FROM payload WHERE hash = ?')
  for (const publisher of publishers) {
    catalogFiles += await verifyCatalog(repo, publisher, damage)
    const rows = repo.db.prepare('SELECT stem, version, manifest, manifest_sha1 AS sha1 FROM package WHERE publisher = ? ORDER BY stem, version').iterate(publisher) as Iterable<{ stem: string, version: string, manifest: Buffer, sha1: string }>
    for (const row of rows) {
      packages++
      const fmri = `pkg://${publisher}/${row.stem}@${row.version}`
      if (sha1Hex(row.manifest) !== row.sha1) damage.push({ publisher, what: fmri, problem: `manifest does not match its SHA-1 ${row.sha1}` })
      for (const action of parseManifest(row.manifest.toString('utf8'))) {
        for (const hash of actionPayloads(action)) {
          if (!payloads.has(hash)) payloads.set(hash, await payloadProblem(repo, hash, payloadRow.get(hash) as { chash: string, size: number } | undefined))
          const problem = payloads.get(hash)
          if (problem !== null && problem !== undefined) damage.push({ publisher, what: `${fmri} ${action.type} ${hash}`, problem })
        }
      }
    }
  }
  return { publishers, catalogFiles, packages, payloads: payloads.size, damage }
}

async function payloadProblem (repo: Repository, hash: string, row: { chash: string, size: number } | undefined): Promise<string | null> {
  if (row === undefined) return 'no payload record'
  const where = repo.payloads.backend.localPath(hash) ?? `${repo.payloads.location}${hash}`
  let stored: Readable
  try {
    stored = await repo.payloads.read(hash)
  } catch (err) {
    if (err instanceof PayloadMissingError) return `payload file ${where} is missing`
    throw err
  }
  try {
    const d = await digestGzip(stored)
    if (d.chash !== row.chash) return `payload file ${where} does not match its chash ${row.chash} (it is ${d.chash})`
    if (d.hash !== hash) return `payload file ${where} decompresses to content with SHA-1 ${d.hash}`
    if (d.size !== row.size) return `payload file ${where} decompresses to ${d.size} bytes, not ${row.size}`
    return null
  } catch (err) {
    return `payload file ${where} is not a valid gzip stream: ${(err as Error).message}`
  }
}
