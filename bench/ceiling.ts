/**
 * The ceiling: plain Fastify replying from memory with the same bytes the
 * depot serves. Run as a child process by bench/run.ts; reads
 * {path: [contentType, base64]} from its argument file.
 */
import fs from 'node:fs'
import Fastify from 'fastify'

const bodies = JSON.parse(fs.readFileSync(process.argv[2]!, 'utf8')) as Record<string, [string, string]>
const app = Fastify({ logger: false })
for (const [url, [type, b64]] of Object.entries(bodies)) {
  const body = Buffer.from(b64, 'base64')
  app.get(url, async (_req, reply) => reply.type(type).send(body))
}
await app.listen({ host: '127.0.0.1', port: Number(process.argv[3]) })
process.send?.('ready')
