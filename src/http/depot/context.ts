/**
 * What a pkg(5) operation handler is given, and the services the depot
 * plugin decorates the Fastify instance with.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { DepotConfig } from '../../config.js'
import type { Repository } from '../../store/repository.js'
import type { JobQueue } from '../../jobs.js'
import type { Publications } from '../../store/transactions.js'
import type { SearchPool } from '../../store/search-pool.js'
import type { ByteLru } from '../../lru.js'
import type { Encoder } from '../compression.js'
import type { AccessRequest } from '../auth.js'
import type { SearchAnswer } from './ops/search.js'

export interface RequestCounters { catalog: number, file: number, manifests: number }

export interface DepotServices {
  readonly repo: Repository
  readonly config: DepotConfig
  /** Encoded (zstd/gzip) bodies and small payloads, bounded by bytes. */
  readonly cache: ByteLru<Buffer>
  /** zstd/gzip variants of text bodies, kept in `cache`. */
  readonly encoder: Encoder
  readonly counters: RequestCounters
  readonly jobs: JobQueue
  readonly publications: Publications
  readonly search: SearchPool
  /** Whole search answers by ETag, for repeated queries. */
  readonly searchAnswers: ByteLru<SearchAnswer>
}

/** Read only: a resolved request, its query included, is shared by every request for the same URL. */
export type QueryParams = Pick<URLSearchParams, 'get' | 'getAll' | 'has' | 'entries'>

export interface OpContext {
  readonly req: FastifyRequest
  readonly reply: FastifyReply
  readonly depot: DepotServices
  /** The publisher prefix of the URL, already checked to exist. */
  readonly prefix: string | null
  /** The arguments after the version, joined with '/'. */
  readonly arg: string
  readonly query: QueryParams
}

/** What a request names before any handler runs: enough to decide who may run it. */
export interface OpTarget {
  readonly depot: DepotServices
  readonly prefix: string | null
  readonly arg: string
  readonly query: QueryParams
}

/** The permission a write needs, worked out from the request alone (no body has been read). */
export type AccessRule = (target: OpTarget) => AccessRequest

/**
 * A handler for one method of one operation version. A handler without an
 * `access` rule is a read: the operation table accepts that only for the
 * reads the protocol defines (routes.ts), so a write cannot be added
 * without a permission.
 */
export interface OpHandler {
  (ctx: OpContext): Promise<unknown>
  readonly access?: AccessRule
}

/** A handler that changes the repository: runs only for a caller the guard granted `access`. */
export function guarded (access: AccessRule, run: (ctx: OpContext) => Promise<unknown>): OpHandler {
  return Object.assign(async (ctx: OpContext) => await run(ctx), { access })
}

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT'] as const
export type Method = typeof METHODS[number]

/** One operation version: a handler per HTTP method. */
export type OpVersion = Partial<Record<Method, OpHandler>>

export const cacheFor = (seconds: number): string => `must-revalidate, no-transform, max-age=${seconds}`
export const ONE_YEAR = 31536000
export const TEXT = 'text/plain;charset=utf-8'
export const P5I = 'application/vnd.pkg5.info'
