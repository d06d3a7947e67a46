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
}

export interface OpContext {
  readonly req: FastifyRequest
  readonly reply: FastifyReply
  readonly depot: DepotServices
  /** The publisher prefix of the URL, already checked to exist. */
  readonly prefix: string | null
  /** The arguments after the version, joined with '/'. */
  readonly arg: string
  readonly query: URLSearchParams
}

export type OpHandler = (ctx: OpContext) => Promise<unknown>

/** One operation version: a handler per HTTP method. */
export type OpVersion = Partial<Record<'GET' | 'HEAD' | 'POST' | 'PUT', OpHandler>>

export const cacheFor = (seconds: number): string => `must-revalidate, no-transform, max-age=${seconds}`
export const ONE_YEAR = 31536000
export const TEXT = 'text/plain;charset=utf-8'
export const P5I = 'application/vnd.pkg5.info'
