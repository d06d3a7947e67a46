/**
 * depot.config.toml: read once at start, checked key by key. An unknown
 * key, a wrong type or an out-of-range value stops the start with a
 * message naming the key; nothing silently falls back to a default.
 */
import fs from 'node:fs'
import path from 'node:path'
import { parse as parseToml } from 'smol-toml'
import { ConfigError } from './errors.js'

export interface DepotConfig {
  readonly server: {
    readonly host: string
    readonly port: number
    /** Largest request body accepted, in bytes. */
    readonly bodyLimit: number
    /** Largest number of request headers accepted. */
    readonly maxHeaders: number
    readonly trustProxy: boolean
  }
  readonly storage: {
    /** Where depot.sqlite and the payload store live. */
    readonly dataDir: string
    /** A pkg5 repository imported at start when the depot holds no publisher yet. */
    readonly seedRepository: string | null
  }
  readonly cache: {
    /** Bytes of compressed catalog files, manifests and small payloads kept in memory. */
    readonly memoryBytes: number
    /** Payloads up to this size are read whole; larger ones are streamed. */
    readonly smallPayloadBytes: number
  }
  readonly log: {
    readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  }
}

type Table = Record<string, unknown>

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

class Reader {
  constructor (private readonly table: Table, private readonly prefix: string) {}
  private readonly seen = new Set<string>()

  private key (k: string): string { return this.prefix ? `${this.prefix}.${k}` : k }

  private get (k: string, required: boolean): unknown {
    this.seen.add(k)
    const v = this.table[k]
    if (v === undefined && required) throw new ConfigError(this.key(k), 'is required')
    return v
  }

  string (k: string): string
  string (k: string, optional: true): string | null
  string (k: string, optional = false): string | null {
    const v = this.get(k, !optional)
    if (v === undefined) return null
    if (typeof v !== 'string' || v === '') throw new ConfigError(this.key(k), 'must be a non-empty string')
    return v
  }

  int (k: string, min: number, max: number): number {
    const v = this.get(k, true)
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(this.key(k), `must be an integer from ${min} to ${max}`)
    return v
  }

  bool (k: string): boolean {
    const v = this.get(k, true)
    if (typeof v !== 'boolean') throw new ConfigError(this.key(k), 'must be true or false')
    return v
  }

  oneOf<T extends string> (k: string, values: readonly T[]): T {
    const v = this.get(k, true)
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw new ConfigError(this.key(k), `must be one of ${values.join(', ')}`)
    return v as T
  }

  section (k: string): Reader {
    const v = this.get(k, true)
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(this.key(k), 'must be a table')
    return new Reader(v as Table, this.key(k))
  }

  /** Every key must have been read: anything else is a typo or an unsupported option. */
  done (): void {
    for (const k of Object.keys(this.table)) if (!this.seen.has(k)) throw new ConfigError(this.key(k), 'is not a known setting')
  }
}

export function parseListen (value: string, key = 'server.listen'): { host: string, port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(value)
  const port = m ? Number(m[2]) : NaN
  if (!m || port > 65535) throw new ConfigError(key, `'${value}' is not HOST:PORT`)
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port }
}

export function parseConfig (text: string, baseDir: string): DepotConfig {
  let doc: Table
  try {
    doc = parseToml(text) as Table
  } catch (err) {
    throw new ConfigError('(file)', `not valid TOML: ${(err as Error).message}`)
  }
  const root = new Reader(doc, '')
  const server = root.section('server')
  const listen = parseListen(server.string('listen'))
  const cfgServer = {
    ...listen,
    bodyLimit: server.int('body_limit', 1024, 64 * 1024 ** 3),
    maxHeaders: server.int('max_headers', 16, 1000),
    trustProxy: server.bool('trust_proxy')
  }
  server.done()

  const storage = root.section('storage')
  const dataDir = path.resolve(baseDir, storage.string('data_dir'))
  const seed = storage.string('seed_repository', true)
  storage.done()

  const cache = root.section('cache')
  const cfgCache = {
    memoryBytes: cache.int('memory_bytes', 0, 64 * 1024 ** 3),
    smallPayloadBytes: cache.int('small_payload_bytes', 0, 64 * 1024 ** 2)
  }
  cache.done()

  const log = root.section('log')
  const cfgLog = { level: log.oneOf('level', LOG_LEVELS) }
  log.done()
  root.done()

  return {
    server: cfgServer,
    storage: { dataDir, seedRepository: seed === null ? null : path.resolve(baseDir, seed) },
    cache: cfgCache,
    log: cfgLog
  }
}

export function loadConfig (file: string): DepotConfig {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError('(file)', `cannot read ${file}: ${(err as Error).message}`)
  }
  return parseConfig(text, path.dirname(path.resolve(file)))
}
