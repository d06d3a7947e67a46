/**
 * Token routes: the trusted-publishing exchange (a CI ID token for a
 * short-lived depot token) and whoami (what the caller's token is granted
 * here). The exchange is rate-limited per client address: each attempt
 * costs a signature check and, for an unknown kid, maybe a JWKS fetch.
 */
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import { principalLog } from '../../auth/verify.js'
import type { DepotServices } from '../depot/context.js'

interface ExchangeBody { token: string, publisher?: string }

const exchangeSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['token'],
    properties: {
      token: { type: 'string', minLength: 1, maxLength: 16384 },
      publisher: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9.-]{0,254}$' }
    }
  }
} as const

export async function tokenApi (app: FastifyInstance, _opts: { depot: DepotServices }): Promise<void> {
  const guard = app.authGuard
  if (guard === null) return

  app.get('/whoami', async req => {
    const { principal, admin, publishers } = await guard.grants(req)
    const log = principalLog(principal)
    return { issuer: log.iss, subject: log.sub, client_id: log.client ?? null, expires: principal.claims.exp ?? null, admin, publishers }
  })

  const tokens = guard.depotIssuer?.tokens
  if (tokens === undefined) return
  await app.register(rateLimit, { global: false })
  app.post<{ Body: ExchangeBody }>('/token/exchange', {
    schema: exchangeSchema,
    bodyLimit: 32768,
    config: { rateLimit: { max: tokens.exchangesPerMinute, timeWindow: 60_000 } }
  }, async req => {
    const t = await guard.exchange(req, req.body.token, req.body.publisher ?? null)
    return { token: t.token, token_type: 'Bearer', expires_in: t.expiresIn, publisher: t.publisher }
  })
}
