/**
 * The pkg(5) publication operations pkgsend and pkgrecv speak: open/0,
 * add/0, file/1 POST, manifest/1 POST, close/0, abandon/0. Every error is a
 * 400 with its message (a 404 would tell the client the operation is
 * unsupported). The caller was authorized for "publish" in onRequest.
 */
import fs from 'node:fs'
import { publishedBy } from '../../../auth/provenance.js'
import { BadRequestError } from '../../../errors.js'
import { parseFmri } from '../../../ips/fmri.js'
import { normalizeTransactionId, type TransactionCaller } from '../../../store/transactions.js'
import { parsePythonList } from '../../../ips/validate.js'
import { readBody, receiveToFile } from '../../body.js'
import type { AccessRequest } from '../../auth.js'
import { type AccessRule, guarded, type OpContext, type OpVersion } from '../context.js'

const NO_CACHE = { Pragma: 'no-cache', 'Cache-Control': 'no-cache, no-transform, must-revalidate', Expires: '0' }

function done (ctx: OpContext, headers: Record<string, string> = {}): unknown {
  return ctx.reply.headers({ ...NO_CACHE, ...headers }).type('text/plain;charset=utf-8').send('')
}

function transactionId (ctx: OpContext): string {
  return normalizeTransactionId(ctx.arg)
}

/** add/0's argument is <transaction-id>/<action-type>. */
function addTarget (arg: string): { id: string, type: string } | null {
  const slash = arg.lastIndexOf('/')
  return slash === -1 ? null : { id: normalizeTransactionId(arg.slice(0, slash)), type: arg.slice(slash + 1) }
}

const publishOn = (publisher: string | null): AccessRequest =>
  // No publisher the handler could act on: the token must still be valid, and the handler answers 400.
  publisher === null ? { publisher, action: 'publish', authenticateOnly: true } : { publisher, action: 'publish' }

/** open/0 and append/0: publish on the FMRI's publisher, else the prefix, else the default. */
const onFmriPublisher: AccessRule = ({ depot, prefix, arg }) => {
  let publisher: string | null = null
  try { publisher = parseFmri(arg).publisher } catch { /* the handler answers 400 */ }
  return publishOn(publisher ?? prefix ?? depot.repo.defaultPublisher)
}

/** Transaction ops: publish on the publisher the open transaction was opened for. */
const onTransaction = (idOf: (arg: string) => string | undefined): AccessRule => ({ depot, arg }) => {
  const id = idOf(arg)
  return publishOn(id === undefined ? null : depot.publications.publisherOf(id))
}
const onTransactionArg = onTransaction(normalizeTransactionId)

/** The token subject that opens a transaction owns it; the admin role may also abandon it. */
function caller (ctx: OpContext): TransactionCaller {
  const p = ctx.req.principal
  if (p === null) throw new Error('a publication op ran without an authorized caller')
  return { subject: `${p.claims.iss!} ${p.claims.sub!}`, admin: ctx.req.server.authGuard?.isAdmin(p) ?? false }
}

async function open (ctx: OpContext): Promise<unknown> {
  const cr = ctx.req.headers['client-release']
  const { id } = ctx.depot.publications.open(ctx.arg, typeof cr === 'string' ? cr : undefined, ctx.prefix ?? ctx.depot.repo.defaultPublisher, caller(ctx))
  return done(ctx, { 'Transaction-ID': id })
}

async function append (ctx: OpContext): Promise<unknown> {
  const cr = ctx.req.headers['client-release']
  const { id } = ctx.depot.publications.append(ctx.arg, typeof cr === 'string' ? cr : undefined, ctx.prefix ?? ctx.depot.repo.defaultPublisher, caller(ctx))
  return done(ctx, { 'Transaction-ID': id })
}

/** X-IPkg-SetAttr<N>: key=value headers; a value in [...] must be a literal list. */
function setAttrs (ctx: OpContext): Record<string, string | string[]> {
  const attrs: Record<string, string | string[]> = {}
  for (const [name, raw] of Object.entries(ctx.req.headers)) {
    if (!name.toLowerCase().startsWith('x-ipkg-setattr')) continue
    for (const header of Array.isArray(raw) ? raw : [raw ?? '']) {
      const eq = header.indexOf('=')
      if (eq <= 0) throw new BadRequestError(`The specified Action attribute, '${header}', is not valid.`)
      const key = header.slice(0, eq)
      const value = header.slice(eq + 1)
      let values: string[] = [value]
      if (value.startsWith('[') && value.endsWith(']')) {
        const list = parsePythonList(value)
        if (list === null) throw new BadRequestError(`The specified Action attribute value, '${value}', is not valid.`)
        values = list
      }
      const prev = attrs[key]
      const merged = prev === undefined ? values : [...(Array.isArray(prev) ? prev : [prev]), ...values]
      attrs[key] = merged.length === 1 ? merged[0]! : merged
    }
  }
  return attrs
}

/** Receives the body into a temporary file; `always` keeps an empty body as a payload (an empty file is content too). */
async function withBody<T> (ctx: OpContext, always: boolean, fn: (file: string | null) => Promise<T>): Promise<T> {
  const length = Number(ctx.req.headers['content-length'] ?? 0)
  if (!Number.isInteger(length) || length < 0) throw new BadRequestError('Content-Length must be a non-negative integer.')
  const file = always || length > 0 || ctx.req.headers['transfer-encoding'] !== undefined
    ? await receiveToFile(ctx.req, ctx.depot.repo.payloads.tmp, ctx.depot.config.server.bodyLimit)
    : null
  try {
    return await fn(file !== null && (always || fs.statSync(file).size > 0) ? file : null)
  } finally {
    if (file !== null) await fs.promises.rm(file, { force: true })
  }
}

async function add (ctx: OpContext): Promise<unknown> {
  const target = addTarget(ctx.arg)
  if (target === null) throw new BadRequestError('No action type was given: add/0/<transaction-id>/<action-type>.')
  const attrs = setAttrs(ctx)
  const who = caller(ctx)
  ctx.depot.publications.owned(target.id, who)
  await withBody(ctx, target.type === 'file' || target.type === 'license', file => ctx.depot.publications.addAction(target.id, who, target.type, attrs, file))
  return done(ctx)
}

async function fileUpload (ctx: OpContext): Promise<unknown> {
  const attrs = setAttrs(ctx)
  const basename = typeof attrs.basename === 'string' ? attrs.basename : undefined
  const id = transactionId(ctx)
  const who = caller(ctx)
  ctx.depot.publications.owned(id, who)
  await withBody(ctx, false, async file => { await ctx.depot.publications.addFile(id, who, basename, file) })
  return done(ctx)
}

async function manifestUpload (ctx: OpContext): Promise<unknown> {
  const id = transactionId(ctx)
  const who = caller(ctx)
  ctx.depot.publications.owned(id, who)
  const body = await readBody(ctx.req, ctx.depot.config.server.bodyLimit)
  ctx.depot.publications.addManifest(id, who, body)
  return done(ctx)
}

async function close (ctx: OpContext): Promise<unknown> {
  const flag = ctx.req.headers['x-ipkg-add-to-catalog']
  let addNow = true
  if (flag !== undefined) {
    // pkg5's message is just the header's name.
    if (typeof flag !== 'string' || !/^\s*[+-]?[0-9]+\s*$/.test(flag)) throw new BadRequestError('X-IPkg-Add-To-Catalog')
    addNow = Number(flag) !== 0
  }
  const { fmri } = ctx.depot.publications.close(transactionId(ctx), caller(ctx), addNow, publishedBy(ctx.req.principal!, 'pkg5'))
  return done(ctx, { 'Package-FMRI': fmri, State: 'PUBLISHED' })
}

async function abandon (ctx: OpContext): Promise<unknown> {
  ctx.depot.publications.abandon(transactionId(ctx), caller(ctx))
  return done(ctx)
}

const openOp = guarded(onFmriPublisher, open)
const appendOp = guarded(onFmriPublisher, append)
const addOp = guarded(onTransaction(arg => addTarget(arg)?.id), add)
const fileOp = guarded(onTransactionArg, fileUpload)
const manifestOp = guarded(onTransactionArg, manifestUpload)

export const openOps: Record<number, OpVersion> = { 0: { GET: openOp } }
export const appendOps: Record<number, OpVersion> = { 0: { GET: appendOp } }
export const addOps: Record<number, OpVersion> = { 0: { POST: addOp, PUT: addOp } }
export const closeOps: Record<number, OpVersion> = { 0: { GET: guarded(onTransactionArg, close) } }
export const abandonOps: Record<number, OpVersion> = { 0: { GET: guarded(onTransactionArg, abandon) } }
/** Uploads pkg5 accepts on otherwise read-only operations, within a transaction. */
export const uploads: Record<'file' | 'manifest', OpVersion> = { file: { POST: fileOp, PUT: fileOp }, manifest: { POST: manifestOp, PUT: manifestOp } }
