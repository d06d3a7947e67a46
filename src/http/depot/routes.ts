/**
 * The one place a pkg(5) request is resolved: [/<publisher>]/<op>/<version>/<args…>
 * becomes the handler that will run and the permission it needs. The guard
 * and the dispatch both use this result, so they cannot disagree about what
 * a request is (they once did, and a version spelled `-0` published without
 * a token).
 */
import { BadRequestError, DepotError, MethodNotAllowedError, NotFoundError } from '../../errors.js'
import type { AccessRequest } from '../auth.js'
import { isValidPublisher } from '../../ips/fmri.js'
import { type DepotServices, type Method, METHODS, type OpHandler, type OpVersion, type QueryParams } from './context.js'
import { displayPath, KNOWN_OPS, parseDepotPath } from './request-path.js'
import { adminOps, indexOps } from './ops/admin.js'
import { abandonOps, addOps, appendOps, closeOps, openOps, uploads } from './ops/publish.js'
import { catalogOps } from './ops/catalog.js'
import { fileOps } from './ops/file.js'
import { infoOps } from './ops/info.js'
import { manifestOps } from './ops/manifest.js'
import { p5iOps } from './ops/p5i.js'
import { publisherOps } from './ops/publisher.js'
import { searchOps } from './ops/search.js'
import { statusOps } from './ops/status.js'
import { versionsBody, versionsOp } from './ops/versions.js'

export class OperationNotSupportedError extends DepotError {
  constructor () { super('ERR_OP_NOT_SUPPORTED', 404, 'Operation not supported in current server mode.') }
}

/**
 * Every read the protocol defines (op/version/method). A handler without an
 * access rule must be one of these: anything else is a write that forgot
 * its permission, and the table refuses to build.
 */
export const PROTOCOL_READS: ReadonlySet<string> = new Set([
  'catalog/0/GET', 'catalog/0/HEAD', 'catalog/1/GET', 'catalog/1/HEAD',
  'file/0/GET', 'file/0/HEAD', 'file/1/GET', 'file/2/GET', 'file/2/HEAD',
  'info/0/GET', 'info/0/HEAD',
  'manifest/0/GET', 'manifest/0/HEAD', 'manifest/1/GET',
  'p5i/0/GET', 'p5i/0/HEAD',
  'publisher/0/GET', 'publisher/0/HEAD', 'publisher/1/GET', 'publisher/1/HEAD',
  'search/0/GET', 'search/0/HEAD', 'search/1/GET', 'search/1/HEAD', 'search/1/POST',
  'status/0/GET', 'status/0/HEAD',
  'versions/0/GET', 'versions/0/HEAD'
])

export type OpTable = ReadonlyMap<string, ReadonlyMap<number, OpVersion>>

export class UnguardedWriteError extends Error {
  readonly code = 'ERR_UNGUARDED_WRITE'
  constructor (where: string) {
    super(`${where} has no access rule and is not a read the protocol defines`)
    this.name = 'UnguardedWriteError'
  }
}

/** Refuses a table in which any handler outside PROTOCOL_READS lacks an access rule. */
export function checkDenyByDefault (ops: OpTable): void {
  for (const [op, versions] of ops) {
    for (const [version, handlers] of versions) {
      for (const method of METHODS) {
        const h = handlers[method]
        if (h !== undefined && h.access === undefined && !PROTOCOL_READS.has(`${op}/${version}/${method}`)) throw new UnguardedWriteError(`${op}/${version} ${method}`)
      }
    }
  }
}

/** The operations a depot offers: reads always, writes only when an issuer can grant them. */
export function operationTable (writable: boolean): OpTable {
  const ops = new Map<string, Map<number, OpVersion>>()
  const add = (op: string, versions: Record<number, OpVersion>): void => {
    // Copies: a writable depot adds upload methods to its own file/1 and manifest/1.
    ops.set(op, new Map(Object.entries(versions).map(([v, h]) => [Number(v), { ...h }])))
  }
  add('catalog', catalogOps)
  add('file', fileOps)
  add('info', infoOps)
  add('manifest', manifestOps)
  add('p5i', p5iOps)
  add('publisher', publisherOps)
  add('search', searchOps)
  add('status', statusOps)
  if (writable) {
    add('admin', adminOps)
    add('index', indexOps)
    add('open', openOps)
    add('append', appendOps)
    add('add', addOps)
    add('close', closeOps)
    add('abandon', abandonOps)
    Object.assign(ops.get('file')!.get(1)!, uploads.file)
    Object.assign(ops.get('manifest')!.get(1)!, uploads.manifest)
  }
  let body: Buffer | undefined
  add('versions', { 0: versionsOp(() => (body ??= versionsBody(ops))) })
  checkDenyByDefault(ops)
  return ops
}

/** A request resolved to the handler that will run and what it needs. */
export interface ResolvedOp {
  readonly publisher: string | null
  readonly op: string
  readonly version: number
  readonly handler: OpHandler
  /** Null for a read. */
  readonly access: AccessRequest | null
  readonly arg: string
  readonly query: QueryParams
}

/** Versions are plain decimal digits, no sign, no leading zero: one spelling per version. */
const VERSION = /^(?:0|[1-9][0-9]{0,8})$/
/** What pkg.depotd's int() would take as an integer: refused as a version not offered. */
const INTEGERISH = /^[+-]?[0-9]+$/

/** Uploads pkg5 accepts on otherwise read-only operations (transactions). */
const PUBLICATION_UPLOADS = new Set(['file/1', 'manifest/1'])

/**
 * Resolves a request or throws the error pkg.depotd answers for it, before
 * any authentication: bad paths are refused alike with or without a token.
 */
export function resolveOp (ops: OpTable, depot: DepotServices, method: string, rawUrl: string): ResolvedOp {
  const path = parseDepotPath(rawUrl)
  if (path === null) throw new NotFoundError(`The path '${displayPath(rawUrl)}' was not found.`)
  if (path.publisher !== null && !depot.repo.hasPublisher(path.publisher)) {
    // Only a name that could be a publisher is echoed back.
    throw new BadRequestError(isValidPublisher(path.publisher) ? `Unknown publisher: ${path.publisher}` : 'Unknown publisher: the path does not start with a valid publisher name')
  }
  const versions = ops.get(path.op)
  if (!versions) {
    if (KNOWN_OPS.has(path.op) && path.op !== 'feed') throw new OperationNotSupportedError()
    throw new NotFoundError(`The path '${displayPath(rawUrl)}' was not found.`)
  }
  const v = path.version
  if (v === undefined || v === '') throw new BadRequestError('Missing version')
  const unsupported = (): NotFoundError => new NotFoundError(`Version '${v}' not supported for operation '${path.op}'`)
  if (!VERSION.test(v)) throw INTEGERISH.test(v) ? unsupported() : new BadRequestError('Non-integer version')
  const version = Number(v)
  const handlers = versions.get(version)
  if (!handlers) throw unsupported()
  const handler = (METHODS as readonly string[]).includes(method) ? handlers[method as Method] : undefined
  if (!handler) {
    if ((method === 'POST' || method === 'PUT') && PUBLICATION_UPLOADS.has(`${path.op}/${version}`)) throw new OperationNotSupportedError()
    throw new MethodNotAllowedError(method, Object.keys(handlers))
  }
  const arg = path.args.join('/')
  const access = handler.access?.({ depot, prefix: path.publisher, arg, query: path.query }) ?? null
  return { publisher: path.publisher, op: path.op, version, handler, access, arg, query: path.query }
}
