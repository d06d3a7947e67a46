/**
 * The REST upload: one multipart request carries a manifest and the
 * payloads it references (each part named by the SHA-1 of its content, raw
 * or gzip), streamed to disk and checked on the way; a preflight says which
 * payloads the depot still needs. Errors are problem+json.
 */
import multipart from '@fastify/multipart'
import type { FastifyInstance } from 'fastify'
import { BadRequestError } from '../../errors.js'
import type { PayloadDigests } from '../../store/payload-digests.js'
import { SHA1_NAME } from '../../store/payload-store.js'
import { ingestPayload } from '../../store/ingest.js'
import type { DepotServices } from '../depot/context.js'

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024
const MAX_PARTS = 100_000

const publisherParam = {
  type: 'object',
  required: ['publisher'],
  properties: { publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' } }
} as const

export async function publishApi (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const { depot } = opts
  const guard = app.authGuard
  if (guard === null) return
  await app.register(multipart, { limits: { fileSize: depot.config.server.bodyLimit, files: MAX_PARTS, fields: 4, fieldSize: MAX_MANIFEST_BYTES, parts: MAX_PARTS + 4 } })
  const authorize = async (req: { params: unknown }): Promise<void> => {
    await guard.check(req as never, { publisher: (req.params as { publisher: string }).publisher, action: 'publish' })
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
    if (!req.isMultipart()) throw new BadRequestError('Send multipart/form-data: a "manifest" field and one part per payload, named by its SHA-1.')
    let manifest: string | undefined
    const payloads = new Map<string, PayloadDigests>()
    const maxSize = depot.config.publish.maxDecompressedBytes
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        if (part.fieldname !== 'manifest') throw new BadRequestError(`Unexpected field '${part.fieldname}'.`)
        manifest = String(part.value)
        continue
      }
      if (!SHA1_NAME.test(part.fieldname)) throw new BadRequestError(`Payload parts are named by the SHA-1 of their content, not '${part.fieldname}'.`)
      payloads.set(part.fieldname, await ingestPayload(depot.repo.payloads, part.fieldname, part.file, maxSize))
      if (part.file.truncated) throw new BadRequestError(`Payload ${part.fieldname} is larger than ${depot.config.server.bodyLimit} bytes.`)
    }
    if (manifest === undefined) throw new BadRequestError('The "manifest" field is missing.')
    const { fmri } = depot.publications.publishManifest(req.params.publisher, manifest, payloads)
    return reply.code(201).send({ fmri })
  })
}
