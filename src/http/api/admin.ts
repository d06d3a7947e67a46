/**
 * REST administration: start a rebuild of one publisher (or all, with the
 * admin role) and follow its job. Authorization runs in onRequest, from
 * the URL alone, so nothing is read from an unauthorized request.
 */
import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../errors.js'
import type { DepotServices } from '../depot/context.js'

interface RebuildQuery { catalog?: boolean, index?: boolean }

const rebuildSchema = {
  querystring: {
    type: 'object',
    additionalProperties: false,
    properties: { catalog: { type: 'boolean' }, index: { type: 'boolean' } }
  },
  params: {
    type: 'object',
    properties: { publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' } }
  }
} as const

export async function adminApi (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const { depot } = opts
  const guard = app.authGuard
  if (guard === null) return

  const start = (publisher: string | null, q: RebuildQuery): object => {
    if (publisher !== null && !depot.repo.hasPublisher(publisher)) throw new NotFoundError(`Unknown publisher: ${publisher}`)
    const both = q.catalog === undefined && q.index === undefined
    const what = { catalog: both || q.catalog === true, index: both || q.index === true }
    return depot.jobs.submit(`rebuild${what.catalog ? '-catalog' : ''}${what.index ? '-index' : ''}`, publisher, async () => await depot.repo.rebuildInBackground({ publisher, ...what }))
  }

  app.post<{ Params: { publisher: string }, Querystring: RebuildQuery }>('/publishers/:publisher/rebuild', {
    schema: rebuildSchema,
    onRequest: async req => { await guard.check(req, { publisher: (req.params as { publisher: string }).publisher, action: 'rebuild' }) }
  }, async (req, reply) => reply.code(202).send(start(req.params.publisher, req.query)))

  app.post<{ Querystring: RebuildQuery }>('/rebuild', {
    schema: { querystring: rebuildSchema.querystring },
    onRequest: async req => { await guard.check(req, { publisher: null, action: 'rebuild' }) }
  }, async (req, reply) => reply.code(202).send(start(null, req.query)))

  app.get<{ Params: { id: string } }>('/jobs/:id', async req => {
    const job = depot.jobs.get(req.params.id)
    if (!job) throw new NotFoundError('No such job.')
    return job
  })
}
