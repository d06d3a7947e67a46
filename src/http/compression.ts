/**
 * Content-Encoding for text the depot serves (catalog files, manifests,
 * p5i, info): zstd or gzip when the client accepts it, compressed once per
 * representation and kept in a byte-bounded cache. Payloads (file/*) are
 * never encoded: the client hashes the stored gzip bytes as received.
 *
 * zstd at level 19 runs at ~1 MB/s on catalog JSON: a 100 MB part would
 * hold the event loop for over a minute. So the level falls with the size,
 * and bodies over SYNC_LIMIT are compressed a slice at a time without
 * holding the event loop; concurrent requests for one representation share
 * one compression.
 */
import zlib from 'node:zlib'
import { CompressStream, compress as zstdCompress } from 'zstd-napi'
import type { ByteLru } from '../lru.js'

export type Coding = 'zstd' | 'gzip' | 'identity'

/** A body in memory: one buffer, or chunks in order. */
export type Body = Buffer | readonly Buffer[]

export function bodySize (body: Body): number {
  if (Buffer.isBuffer(body)) return body.length
  let size = 0
  for (const chunk of body) size += chunk.length
  return size
}

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

/** The body in slices of at most SYNC_LIMIT bytes. */
function * slices (body: Body): Generator<Buffer> {
  for (const chunk of Buffer.isBuffer(body) ? [body] : body) {
    for (let at = 0; at < chunk.length; at += SYNC_LIMIT) yield chunk.subarray(at, at + SYNC_LIMIT)
  }
}

/**
 * Slice by slice, yielding to the event loop between slices (~7 ms of
 * zstd work each at level 9; gzip runs on libuv's pool meanwhile).
 */
async function inSlices (stream: NodeJS.ReadWriteStream, body: Body): Promise<Buffer> {
  const out: Buffer[] = []
  stream.on('data', (chunk: Buffer) => out.push(chunk))
  const ended = new Promise<void>((resolve, reject) => { stream.on('end', resolve); stream.on('error', reject) })
  for (const slice of slices(body)) {
    stream.write(slice)
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
  async encode (key: string | undefined, body: Body, coding: Exclude<Coding, 'identity'>): Promise<Buffer> {
    const cacheKey = key === undefined ? undefined : `${key}:${coding}`
    const hit = cacheKey === undefined ? undefined : this.cache.get(cacheKey)
    if (hit) return hit
    const size = bodySize(body)
    if (size <= SYNC_LIMIT) {
      this.compressions++
      const whole = Buffer.isBuffer(body) ? body : Buffer.concat(body)
      const out = coding === 'zstd' ? zstdCompress(whole, { compressionLevel: zstdLevel(size) }) : zlib.gzipSync(whole, { level: gzipLevel(size) })
      if (cacheKey !== undefined) this.cache.set(cacheKey, out)
      return out
    }
    const shared = cacheKey === undefined ? undefined : this.pending.get(cacheKey)
    if (shared) return shared
    this.compressions++
    const stream = coding === 'zstd' ? new CompressStream({ compressionLevel: zstdLevel(size) }) : zlib.createGzip({ level: gzipLevel(size) })
    const work = inSlices(stream, body)
      .then(out => { if (cacheKey !== undefined) this.cache.set(cacheKey, out); return out })
      .finally(() => { if (cacheKey !== undefined) this.pending.delete(cacheKey) })
    if (cacheKey !== undefined) this.pending.set(cacheKey, work)
    return work
  }
}
