/**
 * Sends a representation the way a careful static file server would:
 * caching headers, ETag and Last-Modified validation (304), byte ranges
 * (206, multipart for several), and Content-Encoding for text from a cache
 * of encoded bodies. pkg(5) clients need none of this beyond 200, but
 * proxies, mirrors and resumed downloads do.
 */
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { RangeNotSatisfiableError } from '../errors.js'
import { type Body, bodySize, type Encoder, negotiateCoding } from './compression.js'

export interface Entity {
  readonly contentType: string
  readonly cacheControl: string
  /** Seconds until Expires; omitted for no-cache responses. */
  readonly maxAge?: number
  /** Opaque validator, unquoted; a content hash where there is one. */
  readonly etag?: string
  readonly lastModified?: Date
  /** In memory: one buffer, or chunks to be sent in order (a paged catalog part). */
  readonly body?: Body
  /** A body too large to hold in memory: opened (whole or a span) only when it is sent. */
  readonly stream?: { readonly size: number, open (span?: { start: number, end: number }): Promise<Readable> }
  readonly compressible?: boolean
  readonly headers?: Readonly<Record<string, string>>
}

const MAX_RANGES = 16

interface ByteRange { start: number, end: number }

/**
 * RFC 9110 byte ranges, sorted and coalesced; null means "ignore the
 * header and send it all" (also for a set that asks for more bytes than
 * the representation has: overlapping ranges are an amplification, not a
 * download).
 */
export function parseRange (header: string, size: number): ByteRange[] | null | 'unsatisfiable' {
  const m = /^bytes=(.+)$/.exec(header.trim())
  if (!m) return null
  const specs = m[1]!.split(',').map(s => s.trim())
  if (specs.length > MAX_RANGES) return null
  const ranges: ByteRange[] = []
  for (const spec of specs) {
    const r = /^([0-9]*)-([0-9]*)$/.exec(spec)
    if (!r || (r[1] === '' && r[2] === '')) return null
    if (r[1] === '') {
      const n = Number(r[2])
      if (n === 0) continue
      ranges.push({ start: Math.max(0, size - n), end: size - 1 })
    } else {
      const start = Number(r[1])
      const end = r[2] === '' ? size - 1 : Math.min(Number(r[2]), size - 1)
      if (r[2] !== '' && Number(r[2]) < start) return null
      if (start >= size) continue
      ranges.push({ start, end })
    }
  }
  if (ranges.length === 0) return 'unsatisfiable'
  if (ranges.reduce((n, r) => n + r.end - r.start + 1, 0) > size) return null
  ranges.sort((a, b) => a.start - b.start)
  const merged: ByteRange[] = [ranges[0]!]
  for (const r of ranges.slice(1)) {
    const last = merged[merged.length - 1]!
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end); else merged.push(r)
  }
  return merged
}

function httpDate (d: Date): string {
  return d.toUTCString()
}

/** Last-Modified of an entity: its time formatted once, not per response (a catalog.attrs hit is mostly headers). */
const lastModifiedCache = new Map<number, string>()
function lastModifiedHeader (d: Date): string {
  const t = d.getTime()
  let value = lastModifiedCache.get(t)
  if (value === undefined) {
    if (lastModifiedCache.size >= 4096) lastModifiedCache.clear()
    value = httpDate(d)
    lastModifiedCache.set(t, value)
  }
  return value
}

/** Expires for a max-age: formatting a date per response showed in profiles, so once per second. */
const expiresCache = new Map<number, { second: number, value: string }>()
function expiresIn (maxAge: number): string {
  const second = Math.floor(Date.now() / 1000)
  const hit = expiresCache.get(maxAge)
  if (hit?.second === second) return hit.value
  const value = httpDate(new Date((second + maxAge) * 1000))
  expiresCache.set(maxAge, { second, value })
  return value
}

function wholeSeconds (d: Date): number {
  return Math.floor(d.getTime() / 1000)
}

/** Whether an If-None-Match (or If-Match) header names this validator, weak or strong, or is '*'. */
export function etagMatches (header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some(t => t.trim().replace(/^W\//, '') === `"${etag}"`)
}

function notModified (req: FastifyRequest, e: Entity, etag: string | undefined): boolean {
  const inm = req.headers['if-none-match']
  if (inm !== undefined) return etag !== undefined && etagMatches(inm, etag)
  const ims = req.headers['if-modified-since']
  if (ims === undefined || e.lastModified === undefined) return false
  const since = Date.parse(ims)
  return !Number.isNaN(since) && wholeSeconds(e.lastModified) <= Math.floor(since / 1000)
}

const CRLF = Buffer.from('\r\n')

/** Bytes `start` to `end` (inclusive) of a body, as views of it. */
function slice (body: Body, start: number, end: number): Buffer[] {
  if (Buffer.isBuffer(body)) return [body.subarray(start, end + 1)]
  const out: Buffer[] = []
  let at = 0
  for (const chunk of body) {
    const from = Math.max(start - at, 0)
    const to = Math.min(end + 1 - at, chunk.length)
    if (from < to) out.push(chunk.subarray(from, to))
    at += chunk.length
    if (at > end) break
  }
  return out
}

/** What reply.send takes for a body: a buffer, or the chunks as a stream (never copied whole). */
function sendable (chunks: Body): Buffer | Readable {
  if (Buffer.isBuffer(chunks)) return chunks
  return chunks.length === 1 ? chunks[0]! : Readable.from(chunks, { objectMode: false })
}

/** The representation is elsewhere (a bucket, a CDN): 302, which every HTTP client (pkg's libcurl too) follows for a GET. */
export async function sendRedirect (reply: FastifyReply, url: string, cacheControl: string): Promise<FastifyReply> {
  return await reply.code(302).header('Location', url).header('Cache-Control', cacheControl).send()
}

export async function sendEntity (req: FastifyRequest, reply: FastifyReply, e: Entity, encoder: Encoder): Promise<FastifyReply> {
  const size = e.body ? bodySize(e.body) : e.stream!.size
  const head = req.method === 'HEAD'
  reply.header('Cache-Control', e.cacheControl)
  if (e.maxAge !== undefined) reply.header('Expires', expiresIn(e.maxAge))
  if (e.lastModified) reply.header('Last-Modified', lastModifiedHeader(e.lastModified))
  reply.header('Accept-Ranges', 'bytes')
  for (const [k, v] of Object.entries(e.headers ?? {})) reply.header(k, v)

  const rangeHeader = typeof req.headers.range === 'string' ? req.headers.range : undefined
  const coding = e.compressible && e.body && rangeHeader === undefined ? negotiateCoding(req.headers['accept-encoding']) : 'identity'
  if (e.compressible) reply.header('Vary', 'Accept-Encoding')
  const etag = e.etag === undefined ? undefined : coding === 'identity' ? e.etag : `${e.etag}-${coding}`
  if (etag !== undefined) reply.header('ETag', `"${etag}"`)

  if (notModified(req, e, etag)) {
    reply.code(304)
    return reply.send()
  }

  const ifRange = String(req.headers['if-range'] ?? '') || undefined
  const rangeApplies = rangeHeader !== undefined && !head &&
    (ifRange === undefined || (etag !== undefined && ifRange === `"${etag}"`) ||
      (e.lastModified !== undefined && Date.parse(ifRange) / 1000 >= wholeSeconds(e.lastModified)))
  const ranges = rangeApplies && rangeHeader !== undefined ? parseRange(rangeHeader, size) : null
  if (ranges === 'unsatisfiable') throw new RangeNotSatisfiableError(size)

  if (ranges !== null && ranges.length === 1) {
    const r = ranges[0]!
    reply.code(206).header('Content-Type', e.contentType).header('Content-Range', `bytes ${r.start}-${r.end}/${size}`)
    reply.header('Content-Length', r.end - r.start + 1)
    return reply.send(e.body ? sendable(slice(e.body, r.start, r.end)) : await e.stream!.open(r))
  }
  if (ranges !== null) {
    const byteRanges = ranges
    const boundary = randomBytes(12).toString('hex')
    const heads = byteRanges.map(r => Buffer.from(`--${boundary}\r\nContent-Type: ${e.contentType}\r\nContent-Range: bytes ${r.start}-${r.end}/${size}\r\n\r\n`))
    const tail = Buffer.from(`--${boundary}--\r\n`)
    const length = heads.reduce((n, h, i) => n + h.length + byteRanges[i]!.end - byteRanges[i]!.start + 1 + 2, tail.length)
    // Part by part, each slice read when the client is ready for it: never the whole body in memory.
    async function * parts (): AsyncGenerator<Buffer> {
      for (const [i, r] of byteRanges.entries()) {
        yield heads[i]!
        if (e.body) yield * slice(e.body, r.start, r.end)
        else for await (const chunk of await e.stream!.open(r)) yield chunk as Buffer
        yield CRLF
      }
      yield tail
    }
    return reply.code(206).header('Content-Type', `multipart/byteranges; boundary=${boundary}`).header('Content-Length', length).send(Readable.from(parts()))
  }

  reply.header('Content-Type', e.contentType)
  if (coding !== 'identity' && e.body) {
    const encoded = await encoder.encode(e.etag, e.body, coding)
    reply.header('Content-Encoding', coding)
    reply.header('Content-Length', encoded.length)
    // Sent for HEAD too (Node writes no body for it): Fastify's HEAD of a GET route takes the length from what is sent.
    return reply.send(encoded)
  }
  reply.header('Content-Length', size)
  if (head) return reply.send(Buffer.isBuffer(e.body) ? e.body : undefined)
  return reply.send(e.body ? sendable(e.body) : await e.stream!.open())
}
