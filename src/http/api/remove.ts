/**
 * Removing a package version over the REST API, with the remove permission
 * or the admin role: the catalog logs a "remove" (clients refresh
 * incrementally), search forgets the package, and the payloads nothing
 * references any more are collected at once. Authorization runs in
 * onRequest, from the URL alone, and is audited with the package named.
 */
import type { FastifyInstance } from 'fastify'
import { NotFoundError } from '../../errors.js'
import { packageNamed, removePackages, settleRemoval } from '../../store/remove.js'
import type { DepotServices } from '../depot/context.js'

interface RemoveParams { publisher: string, '*': string }

export async function removeApi (app: FastifyInstance, opts: { depot: DepotServices }): Promise<void> {
  const { depot } = opts
  const guard = app.authGuard
  if (guard === null) return

  // A wildcard, so that a stem's slashes may come encoded (%2F) or not.
  app.delete<{ Params: RemoveParams }>('/publishers/:publisher/packages/*', {
    schema: {
      params: {
        type: 'object',
        required: ['publisher', '*'],
        properties: { publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' }, '*': { type: 'string', minLength: 1, maxLength: 4096 } }
      }
    },
    onRequest: async req => {
      const params = req.params as RemoveParams
      await guard.check(req, { publisher: params.publisher, action: 'remove', package: params['*'] })
    }
  }, async req => {
    const { publisher, '*': fmri } = req.params
    if (!depot.repo.hasPublisher(publisher)) throw new NotFoundError(`Unknown publisher: ${publisher}`)
    const removal = removePackages(depot.repo.db, [packageNamed(depot.repo.db, publisher, fmri)])
    // This process serves, so it holds the data directory's lock: it deletes the released files itself.
    const collected = await settleRemoval(depot.repo, true)
    return {
      removed: removal.packages.map(p => `pkg://${p.publisher}/${p.stem}@${p.version}`),
      payloadsReleased: removal.unreferenced,
      payloadsCollected: collected
    }
  })
}
