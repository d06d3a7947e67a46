/** versions/0: the operations and versions this depot offers. */
import { cacheFor, type OpContext, type OpVersion, TEXT } from '../context.js'
import { sendEntity } from '../../entity.js'

export const SERVER_VERSION = 'ips-depot-0.1.0'

export function versionsBody (ops: ReadonlyMap<string, ReadonlyMap<number, OpVersion>>): Buffer {
  const lines = [`pkg-server ${SERVER_VERSION}`]
  for (const op of [...ops.keys()].sort()) lines.push(`${op} ${[...ops.get(op)!.keys()].sort((a, b) => a - b).join(' ')}`)
  return Buffer.from(lines.join('\n') + '\n')
}

export function versionsOp (body: () => Buffer): OpVersion {
  const send = async (ctx: OpContext): Promise<unknown> =>
    sendEntity(ctx.req, ctx.reply, { contentType: TEXT, cacheControl: cacheFor(300), maxAge: 300, body: body() }, ctx.depot.encoder)
  return { GET: send, HEAD: send }
}
