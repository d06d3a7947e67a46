/**
 * admin/0 and index/0: repository maintenance, answered at once and run in
 * the background, scoped to the prefixed publisher (or all of them). Only
 * offered when an issuer is configured. A refresh only adds what was
 * published but not yet added (pkgrecv -d asks for one after each package),
 * so `publish` on the publisher grants it; a rebuild needs `rebuild`.
 */
import { BadRequestError, NotFoundError } from '../../../errors.js'
import type { AccessRequest } from '../../auth.js'
import { guarded, type OpContext, type OpVersion } from '../context.js'

const COMMANDS: Record<string, { catalog: boolean, index: boolean, refresh: boolean }> = {
  rebuild: { catalog: true, index: true, refresh: false },
  'rebuild-packages': { catalog: true, index: false, refresh: false },
  'rebuild-indexes': { catalog: false, index: true, refresh: false },
  refresh: { catalog: true, index: true, refresh: true },
  'refresh-packages': { catalog: true, index: false, refresh: true },
  'refresh-indexes': { catalog: false, index: true, refresh: true }
}

function submit (ctx: OpContext, cmd: string): unknown {
  const what = COMMANDS[cmd]!
  ctx.depot.jobs.submit(cmd, ctx.prefix, async () => await ctx.depot.repo.rebuildInBackground({ publisher: ctx.prefix, ...what }))
  return ctx.reply.header('Pragma', 'no-cache').header('Cache-Control', 'no-cache, no-transform, must-revalidate').header('Expires', '0')
    .type('text/plain;charset=utf-8').send('')
}

async function admin (ctx: OpContext): Promise<unknown> {
  const cmd = ctx.query.get('cmd') ?? ''
  if (!Object.hasOwn(COMMANDS, cmd)) throw new BadRequestError(`Unknown or unsupported operation: '${cmd}'`)
  return submit(ctx, cmd)
}

async function index (ctx: OpContext): Promise<unknown> {
  if (ctx.arg !== 'refresh') throw new NotFoundError(`Unknown index subcommand: ${ctx.arg}`)
  return submit(ctx, 'refresh-indexes')
}

const forCommand = (cmd: string | null, publisher: string | null): AccessRequest =>
  ({ publisher, action: cmd !== null && Object.hasOwn(COMMANDS, cmd) && COMMANDS[cmd]!.refresh ? 'publish' : 'rebuild' })

export const adminOps: Record<number, OpVersion> = { 0: { GET: guarded(t => forCommand(t.query.get('cmd'), t.prefix), admin) } }
export const indexOps: Record<number, OpVersion> = { 0: { GET: guarded(t => forCommand('refresh-indexes', t.prefix), index) } }
