/** Reads a request body that the depot's catch-all parser left unread, within a bound. */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import path from 'node:path'
import { Transform } from 'node:stream'
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
  const file = path.join(dir, `upload.${randomBytes(8).toString('hex')}`)
  let size = 0
  const bound = new Transform({
    transform (chunk: Buffer, _enc, cb) {
      size += chunk.length
      cb(size > limit ? new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`) : null, chunk)
    }
  })
  await pipeline(req.raw, bound, createWriteStream(file))
  return file
}
