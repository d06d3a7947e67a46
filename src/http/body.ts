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
