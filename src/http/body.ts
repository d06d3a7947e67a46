/** Reads a request body that the depot's catch-all parser left unread, within a bound. */
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
  const { createWriteStream } = await import('node:fs')
  const { randomBytes } = await import('node:crypto')
  const { pipeline } = await import('node:stream/promises')
  const { Transform } = await import('node:stream')
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > limit) throw new PayloadTooLargeError(`The request body is larger than ${limit} bytes.`)
  const file = `${dir}/upload.${randomBytes(8).toString('hex')}`
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
