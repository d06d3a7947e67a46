/**
 * Gzip as pkg5's PkgGzipFile writes it: fixed header 1f 8b 08 00,
 * mtime 0, XFL 2, OS 255, deflate level 9 — byte for byte, so the same
 * content always gets the chash pkg5 would give it. Node's own zlib is a
 * different deflate implementation (its output differs at the same level),
 * so the deflate here is pako, a port of the reference zlib.
 */
import zlib from 'node:zlib'
import pako from 'pako'

export const PKG_GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff])

export function gzipTrailer (crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(crc >>> 0, 0)
  trailer.writeUInt32LE(size >>> 0, 4)
  return trailer
}

export function pkgGzip (content: Buffer): Buffer {
  return Buffer.concat([PKG_GZIP_HEADER, pako.deflateRaw(content, { level: 9 }), gzipTrailer(zlib.crc32(content), content.length)])
}

/** The same, chunk by chunk: push content, then finish() for the last bytes. */
export class PkgGzipStream {
  private readonly deflate = new pako.Deflate({ level: 9, raw: true })
  private readonly out: Buffer[] = [PKG_GZIP_HEADER]
  private crc = 0
  private size = 0

  constructor () {
    this.deflate.onData = (chunk: Uint8Array) => { this.out.push(Buffer.from(chunk)) }
  }

  /** Compresses a chunk; returns the compressed bytes ready so far. */
  push (chunk: Buffer): Buffer[] {
    this.crc = zlib.crc32(chunk, this.crc)
    this.size += chunk.length
    this.deflate.push(chunk, false)
    return this.out.splice(0)
  }

  finish (): Buffer[] {
    this.deflate.push(new Uint8Array(0), true)
    return [...this.out.splice(0), gzipTrailer(this.crc, this.size)]
  }
}
