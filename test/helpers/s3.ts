/**
 * An S3-compatible server on loopback for the tests: s3rver (npm), which
 * keeps its objects in a temporary directory. `useS3Payloads()` makes
 * every test depot of the process (started in-process or spawned) keep its
 * payloads in a bucket of it: the same tests, the other backend.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import type { S3PayloadsConfig } from '../../src/config.js'
import { tempDir } from './depot.js'

export interface S3Server {
  readonly endpoint: string
  readonly port: number
  /** Stops answering, as an unreachable bucket would; `resume` serves again on the same port (each does nothing the second time). */
  pause (): Promise<void>
  resume (): Promise<void>
  close (): Promise<void>
}

// s3rver takes any credentials (it checks no signature); the SDK's default chain needs some.
const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }

export async function startS3 (buckets: readonly string[] = ['payloads'], port = 0): Promise<S3Server> {
  // Loaded here: every test imports this helper (through depot.ts), few start the server.
  const { default: S3rver } = await import('s3rver')
  Object.assign(process.env, CREDENTIALS)
  const dir = tempDir('ips-depot-s3-')
  // A backstop for a test process that ends without its teardown (a failed start, an uncaught error).
  process.once('exit', () => { fs.rmSync(dir, { recursive: true, force: true }) })
  let server = new S3rver({ address: '127.0.0.1', port, directory: dir, silent: true, configureBuckets: buckets.map(name => ({ name })) })
  const address = await server.run()
  const bound = address.port
  let running = true
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    async pause () {
      // Kept-alive connections too: a client must find nobody there, not the old server.
      if (running) await Promise.all([server.close(), server.httpServer.closeAllConnections()])
      running = false
    },
    async resume () {
      if (running) return
      server = new S3rver({ address: '127.0.0.1', port: bound, directory: dir, silent: true })
      await server.run()
      running = true
    },
    async close () {
      if (running) await Promise.all([server.close(), server.httpServer.closeAllConnections()])
      running = false
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

export function s3Config (server: S3Server, opts: Partial<S3PayloadsConfig> = {}): S3PayloadsConfig {
  return { backend: 's3', bucket: 'payloads', prefix: 'depot/', endpoint: server.endpoint, region: 'us-east-1', pathStyle: true, reads: 'stream', publicUrl: null, presignSeconds: 300, ...opts }
}

/** The [storage.payloads] table of a config. */
export function s3Toml (c: S3PayloadsConfig): string {
  return `[storage.payloads]
backend = "s3"
bucket = "${c.bucket}"
${c.prefix === '' ? '' : `prefix = "${c.prefix}"\n`}endpoint = "${c.endpoint!}"
region = "${c.region}"
path_style = ${c.pathStyle}
reads = "${c.reads}"
${c.publicUrl === null ? '' : `public_url = "${c.publicUrl}"\n`}presign_seconds = ${c.presignSeconds}
`
}

let shared: S3PayloadsConfig | null = null

/**
 * Where the test depot on `dataDir` keeps its payloads: null for the file
 * store, else the shared bucket under a prefix of its own (each depot
 * sweeps the objects under its prefix that its catalog does not know).
 */
export function testPayloads (dataDir: string): S3PayloadsConfig | null {
  return shared === null ? null : { ...shared, prefix: `${createHash('sha1').update(path.resolve(dataDir)).digest('hex').slice(0, 16)}/` }
}

/**
 * From here on, test depots of this process keep their payloads in a
 * bucket (each depot under a prefix of its own); the server stops when
 * the process's tests end.
 */
export async function useS3Payloads (): Promise<void> {
  const server = await startS3()
  t.teardown(async () => { await server.close() })
  shared = s3Config(server)
}
