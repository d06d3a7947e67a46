/**
 * Gzip as pkg5's PkgGzipFile writes it: fixed header 1f 8b 08 00,
 * mtime 0, XFL 2, OS 255, deflate level 9. Deterministic, so the same
 * content always gets the same chash.
 */
import zlib from 'node:zlib'

const HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff])

export function pkgGzip (content: Buffer): Buffer {
  const trailer = Buffer.alloc(8)
  trailer.writeUInt32LE(zlib.crc32(content) >>> 0, 0)
  trailer.writeUInt32LE(content.length >>> 0, 4)
  return Buffer.concat([HEADER, zlib.deflateRawSync(content, { level: 9 }), trailer])
}
