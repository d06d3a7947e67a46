/**
 * The messages between the serving thread (catalog-worker.ts) and the
 * catalog worker (catalog-worker-thread.ts). Types only, and importing no
 * store module, so that the repository can start the worker without an
 * import cycle through the rebuild and publish code the worker runs.
 */
import type { CatalogFormat } from '../ips/catalog.js'
import type { CatalogPart } from './catalog-parts.js'

export interface RebuildOptions {
  readonly publisher?: string | null
  readonly catalog: boolean
  readonly index: boolean
  /** Refresh rather than rebuild. */
  readonly refresh?: boolean
  /** Convert the catalog to this format (with a new `created`: clients fetch it whole once). */
  readonly catalogFormat?: CatalogFormat
}

export type CatalogRequest =
  | { readonly id: number, readonly seal: readonly string[] | null }
  | { readonly id: number, readonly rebuild: RebuildOptions }
export interface SealedPublisher { readonly publisher: string, readonly revision: number, readonly parts: readonly CatalogPart[] }
/** `replacedBytes`: of the pages the serving thread held, those these seals replaced. */
export type CatalogReply = { id: number, sealed: SealedPublisher[], replacedBytes: number } | { id: number, rebuilt: string[] } | { id: number, error: string }
