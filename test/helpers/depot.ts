/**
 * Starts a real depot for a test: a fresh data directory, a pkg5
 * repository imported into it through the importer, and Fastify listening
 * on a loopback port.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyInstance } from 'fastify'
import { parseConfig, type DepotConfig } from '../../src/config.js'
import { buildApp } from '../../src/http/app.js'
import { importRepository } from '../../src/store/import.js'
import { openPayloadBackend } from '../../src/store/payload-backends.js'
import { Repository } from '../../src/store/repository.js'
import { s3Toml, testPayloads } from './s3.js'

export const ROOT = path.resolve(import.meta.dirname, '../..')
/** Data recorded from the real pkg5 tools; fixtures/golden/README.md says what each file is. */
export const GOLDEN = path.resolve(ROOT, 'fixtures/golden')

export interface RunningDepot {
  readonly url: string
  readonly port: number
  readonly repo: Repository
  readonly app: FastifyInstance
  readonly dataDir: string
  close (): Promise<void>
}

/** The TOML of a test depot: small limits, `extra` appended (sections other than those below). */
export interface ServerOptions { readonly bodyLimit?: number, readonly trustProxy?: boolean, readonly maxHeaders?: number, readonly publicUrl?: string }

export function configText (dataDir: string, extra = '', opts: ServerOptions & { logLevel?: string } = {}): string {
  return `
[server]
listen = "127.0.0.1:0"
body_limit = ${opts.bodyLimit ?? 1048576}
max_headers = ${opts.maxHeaders ?? 100}
trust_proxy = ${opts.trustProxy ?? false}
${opts.publicUrl === undefined ? '' : `public_url = ${JSON.stringify(opts.publicUrl)}\n`}[storage]
data_dir = ${JSON.stringify(dataDir)}
${payloadsToml(dataDir)}[cache]
memory_bytes = 8388608
small_payload_bytes = 65536
[log]
level = "${opts.logLevel ?? 'silent'}"
${extra}`
}

function payloadsToml (dataDir: string): string {
  const s3 = testPayloads(dataDir)
  return s3 === null ? '' : s3Toml(s3)
}

export function testConfig (dataDir: string, extra = '', server: ServerOptions = {}): DepotConfig {
  return parseConfig(configText(dataDir, extra, server), ROOT)
}

/** A config file in `dir` for a depot the test spawns (`ips-depot serve --config`), its data in `dir`/data, logging at info. */
export function writeConfig (dir: string, extra = ''): string {
  const file = path.join(dir, 'depot.config.toml')
  fs.writeFileSync(file, configText(path.join(dir, 'data'), extra, { logLevel: 'info' }))
  return file
}

export function tempDir (prefix = 'ips-depot-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** `log` receives the depot's pino lines (level info) when given; otherwise it logs nothing. */
export interface DepotOptions {
  readonly source?: string | null
  readonly dataDir?: string
  readonly extraConfig?: string
  /** server.body_limit; 1 MiB unless given. */
  readonly bodyLimit?: number
  readonly trustProxy?: boolean
  readonly maxHeaders?: number
  /** server.public_url; unset unless given. */
  readonly publicUrl?: string
  readonly log?: { write: (line: string) => void }
}

export async function startDepot (opts: DepotOptions = {}): Promise<RunningDepot> {
  const dataDir = opts.dataDir ?? tempDir()
  const config = testConfig(dataDir, opts.extraConfig, opts)
  const repo = new Repository(dataDir, { payloads: await openPayloadBackend(config.storage.payloads, dataDir) })
  const source = opts.source === undefined ? path.join(GOLDEN, 'repo') : opts.source
  let app: FastifyInstance | undefined
  try {
    if (source !== null) await importRepository(repo, source)
    app = await buildApp({ config, repo, logger: opts.log === undefined ? false : { level: 'info', stream: opts.log } })
    await app.listen({ host: '127.0.0.1', port: 0 })
  } catch (err) {
    // A depot that never started has no close() for the test to call: its directory goes here.
    await app?.close()
    repo.close()
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
  const port = (app.server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    repo,
    app,
    dataDir,
    async close () {
      await app.close()
      repo.close()
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** A copy of the golden repository whose catalogs are replaced by another recorded state. */
export function repoWithCatalogs (catalogRoot: string): string {
  const dir = tempDir('ips-depot-repo-')
  fs.cpSync(path.join(GOLDEN, 'repo'), dir, { recursive: true })
  for (const pub of fs.readdirSync(catalogRoot)) {
    const target = path.join(dir, 'publisher', pub, 'catalog')
    fs.chmodSync(target, 0o755)
    fs.rmSync(target, { recursive: true, force: true })
    fs.cpSync(path.join(catalogRoot, pub), target, { recursive: true })
  }
  return dir
}
