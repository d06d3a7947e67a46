/** Reads a request body that the depot's catch-all parser left unread, within a bound. */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { rm } from 'node:fs/promises'
import { type Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyRequest } from 'fastify'
import { PayloadTooLargeError } from '../errors.js'

export async function readBody (req: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req.raw as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) throw new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

/** Streams a request body into a temporary file within a bound; the caller removes the file. */
export async function receiveToFile (req: FastifyRequest, dir: string, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`)
  return (await streamToFile(req.raw, dir, limit, () => new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`))).file
}

/** Streams into a new temporary file, failing with `tooLarge()` past `limit` bytes; the file is removed on failure. */
export async function streamToFile (source: Readable, dir: string, limit: number, tooLarge: () => Error): Promise<{ file: string, size: number }> {
  const file = path.join(dir, `upload.${randomBytes(8).toString('hex')}`)
  let size = 0
  const bound = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      size += chunk.length
      cb(size > limit ? tooLarge() : null, chunk)
    }
  })
  try {
    await pipeline(source, bound, createWriteStream(file))
  } catch (err) {
    await rm(file, { force: true })
    throw err
  }
  return { file, size }
}
