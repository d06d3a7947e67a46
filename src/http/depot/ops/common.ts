/** Lookups shared by the read operations: which publisher, which package. */
import { ForbiddenError, NotFoundError } from '../../../errors.js'
import { formatFmri, type Fmri, MissingVersionError, parseFmri } from '../../../ips/fmri.js'
import type { PublisherInfo, StoredManifest } from '../../../store/repository.js'
import type { DepotServices, OpContext } from '../context.js'

export const DEFAULT_REFRESH_SECONDS = 14400

/** The publisher an unprefixed request means: the repository default. */
export function requestPublisher (ctx: OpContext): PublisherInfo {
  const name = ctx.prefix ?? ctx.depot.repo.defaultPublisher
  const pub = name === null ? undefined : ctx.depot.repo.publishers().find(p => p.name === name)
  if (!pub) throw new NotFoundError('This repository has no default publisher; use a /<publisher>/ prefix.')
  return pub
}

/** repository/refresh_seconds of a publisher: how long clients may cache its metadata. */
export function refreshSeconds (pub: PublisherInfo | undefined): number {
  const v = pub?.repository?.refresh_seconds
  return typeof v === 'number' && v >= 0 ? v : DEFAULT_REFRESH_SECONDS
}

export function requireArg (ctx: OpContext): string {
  if (ctx.arg === '') throw new ForbiddenError('Directory listing not allowed.')
  return ctx.arg
}

export interface FoundPackage { readonly fmri: Fmri & { publisher: string }, readonly manifest: StoredManifest }

/**
 * Resolves a manifest/info argument to a stored package. Errors name the
 * FMRI as pkg.depotd does; `notFound` builds the op's own 404.
 */
export function findPackage (ctx: OpContext, arg: string, notFound: () => Error): FoundPackage {
  // Parsing and ordering versions cost more than sending a small manifest: remember answers until the catalog changes.
  const generation = ctx.depot.repo.generation()
  let memo = resolved.get(ctx.depot)
  if (memo?.generation !== generation) resolved.set(ctx.depot, memo = { generation, found: new Map() })
  const key = `${ctx.prefix ?? ''}\0${arg}`
  const hit = memo.found.get(key)
  if (hit) return hit
  const found = resolve(ctx, arg, notFound)
  if (memo.found.size >= RESOLVED_MAX) memo.found.clear()
  memo.found.set(key, found)
  return found
}

const RESOLVED_MAX = 10_000
const resolved = new WeakMap<DepotServices, { generation: string, found: Map<string, FoundPackage> }>()

function resolve (ctx: OpContext, arg: string, notFound: () => Error): FoundPackage {
  const fmri = parseFmri(arg)
  const defaultPub = ctx.prefix ?? ctx.depot.repo.defaultPublisher
  if (!fmri.version) throw new MissingVersionError(formatFmri(fmri, { publisher: fmri.publisher ?? defaultPub }))
  if (!fmri.version.timestamp) throw notFound()
  if (ctx.prefix !== null && fmri.publisher !== null && fmri.publisher !== ctx.prefix) throw notFound()
  const candidates = fmri.publisher !== null ? [fmri.publisher] : ctx.prefix !== null ? [ctx.prefix] : ctx.depot.repo.publisherNames()
  const manifest = ctx.depot.repo.findManifest(candidates, fmri.stem, fmri.version)
  if (!manifest) throw notFound()
  return { fmri: { ...fmri, publisher: manifest.publisher }, manifest }
}
