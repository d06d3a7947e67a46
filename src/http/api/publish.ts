/**
 * The REST upload: one multipart request carries a manifest, first, and
 * then the payloads it references (each part named by the SHA-1 of its
 * content, raw or gzip). Every size is bounded before work is done: the
 * declared Content-Length, the whole request, the manifest field, and each
 * payload by the pkg.size its action declares. Payloads are received to
 * disk and checked in a worker. A preflight says which payloads the depot
 * still needs. Errors are problem+json.
 */
import multipart from '@fastify/multipart'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { BadRequestError, DepotError, PayloadTooLargeError } from '../../errors.js'
import { declaredPayloadSizes, parseManifest } from '../../ips/manifest.js'
import type { PayloadDigests } from '../../store/payload-digests.js'
import { type PayloadHold, SHA1_NAME } from '../../store/payload-store.js'
import type { DepotServices } from '../depot/context.js'
import { publishedBy } from '../../auth/provenance.js'
import { streamToFile } from '../body.js'
import { rm } from 'node:fs/promises'

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024
const MAX_PARTS = 100_000

const publisherParam = {
  type: 'object',
  required: ['publisher'],
  properties: { publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' } }
} as const

/** Field values arrive as latin1 (one char per byte) so that invalid UTF-8 is refused, not replaced with U+FFFD. */
function utf8Field (name: string, latin1: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(latin1, 'latin1'))
  } catch {
    throw new BadRequestError(`The "${name}" field is not valid UTF-8.`)
  }
}

export async function publishApi (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const { depot } = opts
  const guard = app.authGuard
  if (guard === null) return
  const bodyLimit = depot.config.server.bodyLimit
  await app.register(multipart, {
    defCharset: 'latin1',
    limits: { fileSize: bodyLimit, files: MAX_PARTS, fields: 4, fieldSize: MAX_MANIFEST_BYTES, parts: MAX_PARTS + 4 }
  })
  const authorize = async (req: FastifyRequest): Promise<void> => {
    await guard.check(req, { publisher: (req.params as { publisher: string }).publisher, action: 'publish' })
  }

  app.post<{ Params: { publisher: string }, Body: { hashes: string[] } }>('/publishers/:publisher/payloads/missing', {
    schema: {
      params: publisherParam,
      body: { type: 'object', required: ['hashes'], additionalProperties: false, properties: { hashes: { type: 'array', maxItems: MAX_PARTS, items: { type: 'string', pattern: '^[0-9a-f]{40}$' } } } }
    },
    onRequest: authorize
  }, async req => ({ missing: req.body.hashes.filter(h => depot.repo.payload(req.params.publisher, h) === undefined && depot.repo.payload(null, h) === undefined) }))

  app.post<{ Params: { publisher: string } }>('/publishers/:publisher/packages', {
    schema: { params: publisherParam },
    onRequest: authorize
  }, async (req, reply) => {
    if (Number(req.headers['content-length'] ?? 0) > bodyLimit) throw new PayloadTooLargeError(`The request body is larger than ${bodyLimit} bytes (server.body_limit).`)
    if (!req.isMultipart()) throw new BadRequestError('Send multipart/form-data: a "manifest" field and one part per payload, named by its SHA-1.')
    const hold = depot.repo.payloads.hold()
    try {
      const { manifest, payloads } = await receiveUpload(req, depot, hold)
      const { fmri } = depot.publications.publishManifest(req.params.publisher, manifest, payloads, publishedBy(req.principal!, 'rest'))
      return await reply.code(201).send({ fmri })
    } finally {
      hold.release()
    }
  })
}

/** Reads the multipart body: the manifest, then each payload checked and stored under `hold`. */
async function receiveUpload (req: FastifyRequest, depot: DepotServices, hold: PayloadHold): Promise<{ manifest: string, payloads: Map<string, PayloadDigests> }> {
  const bodyLimit = depot.config.server.bodyLimit
  let manifest: string | undefined
  let declared = new Map<string, number | null>()
  const payloads = new Map<string, PayloadDigests>()
  const maxDecompressed = depot.config.publish.maxDecompressedBytes
  let received = 0
  const tooLarge = (): PayloadTooLargeError => new PayloadTooLargeError(`The request body is larger than ${bodyLimit} bytes (server.body_limit).`)
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'manifest') throw new BadRequestError(`Unexpected field '${part.fieldname}'.`)
        if (manifest !== undefined) throw new BadRequestError('The "manifest" field was sent twice.')
        if (part.valueTruncated) throw new PayloadTooLargeError(`The manifest is larger than ${MAX_MANIFEST_BYTES} bytes.`)
        const value = String(part.value)
        received += value.length
        if (received > bodyLimit) throw tooLarge()
        manifest = utf8Field('manifest', value)
        declared = declaredPayloadSizes(parseManifest(manifest, depot.config.publish.maxActions))
        continue
      }
      const name = part.fieldname
      if (manifest === undefined) throw new BadRequestError('Send the "manifest" field first, before the payloads.')
      if (!SHA1_NAME.test(name)) throw new BadRequestError(`Payload parts are named by the SHA-1 of their content, not '${name}'.`)
      if (!declared.has(name)) throw new BadRequestError(`Payload ${name} is not referenced by the manifest.`)
      const { file, size } = await streamToFile(part.file, depot.repo.payloads.tmp, bodyLimit - received, tooLarge)
      try {
        received += size
        if (part.file.truncated) throw tooLarge()
        payloads.set(name, await ingest(depot, hold, file, name, declared.get(name) ?? null, maxDecompressed))
      } finally {
        await rm(file, { force: true })
      }
    }
  } catch (err) {
    // The multipart parser's own errors: those with a 4xx status stand; anything else is an unreadable body, not a 500.
    if (err instanceof DepotError || ((err as { statusCode?: number }).statusCode ?? 500) < 500) throw err
    throw new BadRequestError(`The multipart body cannot be read: ${(err as Error).message}`)
  }
  if (manifest === undefined) throw new BadRequestError('The "manifest" field is missing.')
  return { manifest, payloads }
}

/** Checks and stores one received payload, bounded by what its actions declare. */
async function ingest (depot: DepotServices, hold: PayloadHold, file: string, name: string, declaredSize: number | null, maxDecompressed: number): Promise<PayloadDigests> {
  const maxSize = declaredSize === null ? maxDecompressed : Math.min(declaredSize, maxDecompressed)
  const outcome = await depot.repo.payloads.ingest(file, hold, { encoding: 'detect', expected: name, maxSize })
  switch (outcome.kind) {
    case 'stored': return outcome.digests
    case 'mismatch': throw new BadRequestError(`payload ${name} holds content with SHA-1 ${outcome.hash}`)
    case 'unreadable': throw new BadRequestError(`payload ${name} could not be read: ${outcome.message}`)
    case 'too-large': throw new PayloadTooLargeError(maxSize === declaredSize
      ? `payload ${name} is larger than the pkg.size its action declares (${maxSize} bytes)`
      : `payload ${name} is larger than ${maxSize} bytes (publish.max_decompressed_bytes)`)
  }
}
