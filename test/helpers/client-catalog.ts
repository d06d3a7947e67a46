/**
 * The checks the pkg(5) client makes on catalog/1 files, written from the
 * rules in the protocol reference (§3): signatures, the attrs listing,
 * counts, manifest signatures, and update-log replay.
 */
import { createHash } from 'node:crypto'
import zlib from 'node:zlib'
import { canonicalJson, type JsonValue } from '../../src/ips/canonical-json.js'
import { compareVersionStrings } from '../../src/ips/catalog.js'
import { parseCatalogTime } from '../../src/ips/timestamp.js'
import { request } from './http.js'

type Obj = { [k: string]: JsonValue }
export type Part = { [stem: string]: Obj[] }

export interface FetchedCatalog {
  readonly attrs: Obj
  readonly files: Map<string, Obj>
}

const sha1 = (s: string | Buffer): string => createHash('sha1').update(s).digest('hex')

/** Parses a catalog file and checks its _SIGNATURE as the client does (re-serialising what it parsed). */
export function checkSignature (body: Buffer): { data: Obj, signature: string } {
  const data = JSON.parse(body.toString('utf8')) as Obj
  const sig = (data._SIGNATURE as { 'sha-1': string })['sha-1']
  delete data._SIGNATURE
  const utf8 = Array.isArray(data._FEATURE) && data._FEATURE.includes('ooce:utf8')
  const actual = sha1(canonicalJson(data, !utf8) + '\n')
  if (sig !== actual) throw new Error(`signature ${sig} does not match content ${actual}`)
  return { data, signature: actual }
}

/** `headers` go with every request (a forced refresh sends Cache-Control: no-cache). */
export async function fetchCatalog (port: number, publisher: string, headers: Record<string, string> = {}): Promise<FetchedCatalog> {
  const get = async (name: string): Promise<{ data: Obj, signature: string }> => {
    const res = await request(port, 'GET', `/${publisher}/catalog/1/${name}`, headers)
    if (res.status !== 200) throw new Error(`${name}: HTTP ${res.status}`)
    return checkSignature(res.body)
  }
  const attrs = (await get('catalog.attrs')).data
  const files = new Map<string, Obj>()
  for (const section of ['parts', 'updates']) {
    for (const [name, stamp] of Object.entries(attrs[section] as { [n: string]: { 'signature-sha-1': string } })) {
      const f = await get(name)
      if (f.signature !== stamp['signature-sha-1']) throw new Error(`${name}: signature differs from catalog.attrs`)
      files.set(name, f.data)
    }
  }
  return { attrs, files }
}

export function partOf (data: Obj | undefined, publisher: string): Part {
  return (data?.[publisher] ?? {}) as Part
}

export function isSortedAscending (part: Part): boolean {
  return Object.values(part).every(list => list.every((e, i) => i === 0 || compareVersionStrings(list[i - 1]!.version as string, e.version as string) < 0))
}

/** Applies update-log entries to parts the way Catalog.apply_updates does. */
export function applyUpdates (parts: Map<string, Part>, logs: Obj[], publisher: string, partLastModified: Map<string, bigint>): void {
  for (const log of logs) {
    for (const [stem, entries] of Object.entries(partOf(log, publisher))) {
      for (const e of entries) {
        const opTime = parseCatalogTime(e['op-time'] as string)
        for (const [key, value] of Object.entries(e)) {
          if (!key.startsWith('catalog.')) continue
          if (opTime <= (partLastModified.get(key) ?? -1n)) continue
          const part = parts.get(key) ?? {}
          parts.set(key, part)
          const list = part[stem] ?? (part[stem] = [])
          if (e['op-type'] === 'add') {
            if (list.some(x => x.version === e.version)) throw new Error(`DuplicateCatalogEntry ${stem}@${String(e.version)} in ${key}`)
            list.push(value as Obj)
            list.sort((a, b) => compareVersionStrings(a.version as string, b.version as string))
          } else {
            // CatalogPart.remove: a stem without versions goes, and the publisher with its last stem.
            part[stem] = list.filter(x => x.version !== e.version)
            if (part[stem].length === 0) delete part[stem]
          }
        }
      }
    }
  }
}

/**
 * A client's incremental refresh (catalog.py get_updates_needed and
 * apply_updates): from the parts it holds (`old`), the update logs of the
 * new catalog.attrs newer than its newest part, applied in name order.
 * Returns the parts it ends with and the logs it fetched; throws where the
 * client would fall back to a full refresh.
 */
export function refreshIncrementally (old: FetchedCatalog, neu: FetchedCatalog, publisher: string): { parts: Map<string, Part>, logs: string[] } {
  if (neu.attrs.created !== old.attrs.created) throw new Error('BadCatalogUpdateIdentity: created differs, a full refresh')
  const oldParts = old.attrs.parts as Record<string, { 'last-modified': string }>
  const newParts = neu.attrs.parts as Record<string, { 'last-modified': string }>
  const lastModified = new Map(Object.entries(oldParts).map(([n, s]) => [n, parseCatalogTime(s['last-modified'])]))
  for (const [name, at] of lastModified) {
    if (!(name in newParts)) throw new Error(`${name} is gone from catalog.attrs: a full refresh`)
    if (parseCatalogTime(newParts[name]!['last-modified']) < at) throw new Error(`ObsoleteCatalogUpdate: ${name} went back in time`)
  }
  const newest = [...lastModified.entries()].filter(([n]) => n.endsWith('.C')).reduce((m, [, v]) => v > m ? v : m, 0n)
  const logs = Object.entries(neu.attrs.updates as Record<string, { 'last-modified': string }>)
    .filter(([n, s]) => n.endsWith('.C') && parseCatalogTime(s['last-modified']) > newest).map(([n]) => n).sort()
  const parts = new Map<string, Part>()
  for (const name of Object.keys(oldParts)) if (name.endsWith('.C')) parts.set(name, structuredClone(partOf(old.files.get(name), publisher)))
  applyUpdates(parts, logs.map(n => neu.files.get(n)!), publisher, lastModified)
  return { parts, logs }
}

/** A catalog's format, from its catalog.attrs: utf8 files carry _FEATURE and unescaped text in their signed data. */
export function formatOf (attrs: Obj): 'legacy' | 'utf8' {
  return Array.isArray(attrs._FEATURE) && attrs._FEATURE.includes('ooce:utf8') ? 'utf8' : 'legacy'
}

/** The signature a part would have with this content, as catalog.attrs lists it. */
export function partSignature (publisher: string, part: Part, format: 'legacy' | 'utf8' = 'legacy'): string {
  const data: Obj = Object.keys(part).length === 0 ? {} : { [publisher]: part }
  return sha1(canonicalJson(format === 'utf8' ? { ...data, _FEATURE: ['ooce:utf8'] } : data, format === 'legacy') + '\n')
}

/**
 * What is wrong with a listed package, as the client would find it: its
 * manifest must match the catalog's signature-sha-1, and each payload must
 * match its chash (the stored gzip) and its hash (the content). Undefined
 * when nothing is.
 */
export async function packageProblem (port: number, pub: string, stem: string, version: string, signature: string): Promise<string | undefined> {
  const m = await request(port, 'GET', `/${pub}/manifest/0/${encodeURIComponent(stem)}@${encodeURIComponent(version)}`)
  if (m.status !== 200) return `its manifest answers ${m.status}`
  if (sha1(m.body) !== signature) return 'its manifest does not match the catalog\'s signature-sha-1'
  const payloads = m.body.toString().split('\n').filter(l => /^(file|license) /.test(l))
  for (const line of payloads) {
    const hash = line.split(' ')[1]!
    const chash = /\bchash=([0-9a-f]{40})\b/.exec(line)?.[1]
    const f = await request(port, 'GET', `/${pub}/file/0/${hash}`)
    if (f.status !== 200) return `payload ${hash} answers ${f.status}`
    if (sha1(f.body) !== chash) return `payload ${hash} does not match its chash`
    if (sha1(zlib.gunzipSync(f.body)) !== hash) return `payload ${hash} does not decompress to its hash`
  }
  return undefined
}
