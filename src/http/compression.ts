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

/** A least-recently-used map bounded by the total size of its values. */
export class ByteLru<V extends { byteLength: number }> {
  private readonly map = new Map<string, V>()
  private bytes = 0
  constructor (private readonly maxBytes: number) {}

  get (key: string): V | undefined {
    const v = this.map.get(key)
    if (v !== undefined) { this.map.delete(key); this.map.set(key, v) }
    return v
  }

  set (key: string, value: V): void {
    if (value.byteLength > this.maxBytes / 4) return
    const old = this.map.get(key)
    if (old !== undefined) { this.bytes -= old.byteLength; this.map.delete(key) }
    this.map.set(key, value)
    this.bytes += value.byteLength
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break
      this.map.delete(k)
      this.bytes -= v.byteLength
    }
  }

  get size (): number { return this.bytes }
}
