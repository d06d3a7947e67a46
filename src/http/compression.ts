/**
 * Content-Encoding for text the depot serves (catalog files, manifests,
 * p5i, info): zstd or gzip when the client accepts it, compressed once per
 * representation and kept in a byte-bounded cache. Payloads (file/*) are
 * never encoded: the client hashes the stored gzip bytes as received.
 */
import zlib from 'node:zlib'
import { compress as zstdCompress } from 'zstd-napi'

export type Coding = 'zstd' | 'gzip' | 'identity'

/** Picks zstd, then gzip, from an Accept-Encoding header (q=0 excludes). */
export function negotiateCoding (header: string | undefined): Coding {
  if (!header) return 'identity'
  const q = new Map<string, number>()
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (!name) continue
    let weight = 1
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p)
      if (m) weight = Number(m[1])
    }
    q.set(name, weight)
  }
  const accepts = (c: string): boolean => (q.get(c) ?? q.get('*') ?? 0) > 0
  if (accepts('zstd')) return 'zstd'
  if (accepts('gzip')) return 'gzip'
  return 'identity'
}

export function encode (body: Buffer, coding: Exclude<Coding, 'identity'>): Buffer {
  return coding === 'zstd' ? zstdCompress(body, { compressionLevel: 19 }) : zlib.gzipSync(body, { level: 9 })
}
