/**
 * Content-Encoding for text the depot serves (catalog files, manifests,
 * p5i, info): zstd or gzip when the client accepts it, compressed once per
 * representation and kept in a byte-bounded cache. Payloads (file/*) are
 * never encoded: the client hashes the stored gzip bytes as received.
 *
 * zstd at level 19 runs at ~1 MB/s on catalog JSON: a 100 MB part would
 * hold the event loop for over a minute. So the level falls with the size,
 * and bodies over SYNC_LIMIT are compressed without holding the event loop
 * (gzip on libuv's pool, zstd a slice at a time); concurrent requests for
 * one representation share one compression.
 */
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { CompressStream, compress as zstdCompress } from 'zstd-napi'
import type { ByteLru } from '../lru.js'

export type Coding = 'zstd' | 'gzip' | 'identity'

const SYNC_LIMIT = 1 << 20

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

/** Measured on catalog JSON: 19 costs ~20 ms per 64 KiB, 12 ~15 ms per MiB, 9 ~7 ms per MiB. */
export function zstdLevel (size: number): number {
  return size <= 16384 ? 19 : size <= SYNC_LIMIT ? 12 : 9
}

const gzipLevel = (size: number): number => size <= 65536 ? 9 : 6

const gzipAsync = promisify(zlib.gzip)

/** Chunk by chunk, yielding to the event loop between chunks (~7 ms of work each at level 9). */
async function zstdInSlices (body: Buffer, level: number): Promise<Buffer> {
  const out: Buffer[] = []
  const stream = new CompressStream({ compressionLevel: level })
  stream.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise<void>((resolve, reject) => { stream.on('end', resolve); stream.on('error', reject) })
  for (let at = 0; at < body.length; at += SYNC_LIMIT) {
    stream.write(body.subarray(at, at + SYNC_LIMIT))
    await new Promise(resolve => setImmediate(resolve))
  }
  stream.end()
  await ended
  return Buffer.concat(out)
}

export class Encoder {
  private readonly pending = new Map<string, Promise<Buffer>>()
  /** Compressions run since start (not cache hits, not shared ones). */
  compressions = 0

  constructor (readonly cache: ByteLru<Buffer>) {}

  /** The body in that coding; cached under `key` when there is one. */
  async encode (key: string | undefined, body: Buffer, coding: Exclude<Coding, 'identity'>): Promise<Buffer> {
    const cacheKey = key === undefined ? undefined : `${key}:${coding}`
    const hit = cacheKey === undefined ? undefined : this.cache.get(cacheKey)
    if (hit) return hit
    if (body.length <= SYNC_LIMIT) {
      this.compressions++
      const out = coding === 'zstd' ? zstdCompress(body, { compressionLevel: zstdLevel(body.length) }) : zlib.gzipSync(body, { level: gzipLevel(body.length) })
      if (cacheKey !== undefined) this.cache.set(cacheKey, out)
      return out
    }
    const shared = cacheKey === undefined ? undefined : this.pending.get(cacheKey)
    if (shared) return shared
    this.compressions++
    const work = (coding === 'zstd' ? zstdInSlices(body, zstdLevel(body.length)) : gzipAsync(body, { level: gzipLevel(body.length) }))
      .then(out => { if (cacheKey !== undefined) this.cache.set(cacheKey, out); return out })
      .finally(() => { if (cacheKey !== undefined) this.pending.delete(cacheKey) })
    if (cacheKey !== undefined) this.pending.set(cacheKey, work)
    return work
  }
}
