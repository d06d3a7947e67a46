/**
 * The commands that open the data directory: where the configuration comes
 * from, the single-writer lock around every writer, and `serve` itself.
 */
import fs from 'node:fs'
import path from 'node:path'
import { type DepotConfig, loadConfig, parseListen } from '../config.js'
import { ConfigError } from '../errors.js'
import { buildApp } from '../http/app.js'
import { startMetricsServer } from '../http/metrics.js'
import { DataDirLock, DataDirLockedError } from '../store/data-lock.js'
import { type Db, openDatabase } from '../store/db.js'
import { importRepository, type ImportProgress } from '../store/import.js'
import { collectPayloads, expireTransactions, sweepOrphanPayloads } from '../store/maintenance.js'
import { Repository } from '../store/repository.js'
import { VERSION } from '../version.js'

export interface ConfigFlags { readonly config?: string | undefined, readonly listen?: string | undefined, readonly data?: string | undefined }

/** --config, then $IPS_DEPOT_CONFIG, then ./depot.config.toml. */
export function configFile (flags: ConfigFlags): string {
  const chosen = flags.config ?? process.env.IPS_DEPOT_CONFIG ?? 'depot.config.toml'
  if (flags.config === undefined && process.env.IPS_DEPOT_CONFIG === undefined && !fs.existsSync(chosen)) {
    throw new ConfigError('(file)', `no configuration: give --config FILE, set IPS_DEPOT_CONFIG, or put depot.config.toml in ${process.cwd()}`)
  }
  return path.resolve(chosen)
}

export function configFrom (flags: ConfigFlags): DepotConfig {
  const cfg = loadConfig(configFile(flags))
  return {
    ...cfg,
    server: { ...cfg.server, ...(flags.listen ? parseListen(flags.listen, '--listen') : {}) },
    // A data directory named on the command line is the operator's: the sample repository is never seeded into it.
    storage: { ...cfg.storage, ...(flags.data ? { dataDir: path.resolve(flags.data), seedRepository: null } : {}) }
  }
}

export function progressPrinter (): ((p: ImportProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  let last = 0
  return p => {
    const now = Date.now()
    if (now - last < 100 && p.done !== p.total) return
    last = now
    const width = 30
    const filled = p.total === 0 ? width : Math.round(width * p.done / p.total)
    process.stderr.write(`\r${p.publisher.padEnd(16)} ${p.phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}   `)
    if (p.done === p.total) process.stderr.write('\n')
  }
}

/** Every writer holds the data directory's lock for as long as it has the repository open. */
export async function withRepository<T> (cfg: DepotConfig, command: string, fn: (repo: Repository) => Promise<T> | T): Promise<T> {
  const lock = DataDirLock.acquire(cfg.storage.dataDir, command)
  try {
    const repo = new Repository(cfg.storage.dataDir)
    try { return await fn(repo) } finally { repo.close() }
  } finally {
    lock.release()
  }
}

/**
 * For a command that changes the catalog and may run beside a serving
 * depot: with the lock when the directory is free (`owner`: it may delete
 * payload files), else on the database alone, which SQLite keeps
 * consistent between the two processes; the lock holder then deletes.
 */
export async function withWriter<T> (cfg: DepotConfig, command: string, fn: (repo: Repository, owner: boolean) => Promise<T> | T): Promise<T> {
  let lock: DataDirLock | null = null
  try {
    lock = DataDirLock.acquire(cfg.storage.dataDir, command)
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err
  }
  try {
    const repo = new Repository(cfg.storage.dataDir)
    try { return await fn(repo, lock !== null) } finally { repo.close() }
  } finally {
    lock?.release()
  }
}

/** The catalog of record opened read-only, without the lock: what a command that only reads uses beside a serving depot. */
export function withReader<T> (cfg: DepotConfig, fn: (db: Db) => T): T {
  const db = openDatabase(path.join(cfg.storage.dataDir, 'depot.sqlite'), { readonly: true })
  try { return fn(db) } finally { db.close() }
}

export async function serve (cfg: DepotConfig, file: string): Promise<void> {
  // Held until the process exits: the sweeps below may only run with no other writer on the directory.
  const lock = DataDirLock.acquire(cfg.storage.dataDir, 'serve')
  const repo = new Repository(cfg.storage.dataDir)
  repo.payloads.sweepTemporary()
  const idleMs = cfg.publish.transactionIdleHours * 3600_000
  expireTransactions(repo, idleMs)
  sweepOrphanPayloads(repo)
  collectPayloads(repo)
  if (cfg.storage.seedRepository !== null && repo.publishers().length === 0) {
    await importRepository(repo, cfg.storage.seedRepository, { onProgress: progressPrinter() })
  }
  const app = await buildApp({ config: cfg, repo })
  // The store reports what it survives (a seal that failed, served as last sealed) as process warnings: into the log.
  process.on('warning', w => { app.log.warn({ warning: w.name }, w.message) })
  const housekeeping = [
    every(3600_000, () => { expireTransactions(repo, idleMs) }),
    // Removals by `ips-depot remove` beside this depot leave their payload files to this process, the lock holder.
    every(COLLECT_INTERVAL_MS, () => {
      const n = collectPayloads(repo)
      if (n > 0) app.log.info({ payloads: n }, 'collected the files of removed payloads')
    })
  ]
  await repo.warmCatalog()
  await app.depot.search.warm()
  const publishers = await Promise.all(repo.publisherNames().map(async name => ({ name, ...(await repo.counts(name)) })))
  app.log.info({
    version: VERSION,
    config: file,
    dataDir: cfg.storage.dataDir,
    publishers,
    publishing: cfg.auth === null ? 'off (no [auth]: read-only)' : 'on',
    issuers: cfg.auth?.issuers.map(i => i.issuer) ?? []
  }, `ips-depot ${VERSION} starting`)
  let metrics: Awaited<ReturnType<typeof startMetricsServer>> | null = null
  const close = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down: no new connections; finishing the requests in flight')
    for (const timer of housekeeping) clearInterval(timer)
    await metrics?.close()
    await app.close()
    repo.close()
    lock.release()
    app.log.info('stopped: requests finished, database closed')
    process.exit(0)
  }
  process.once('SIGINT', () => { void close('SIGINT') })
  process.once('SIGTERM', () => { void close('SIGTERM') })
  await app.listen({ host: cfg.server.host, port: cfg.server.port })
  if (cfg.metrics !== null) metrics = await startMetricsServer(app, cfg.metrics.listen)

  /** A housekeeping job that fails (the database busy for longer than its timeout) is told and tried again next time. */
  function every (ms: number, job: () => void): NodeJS.Timeout {
    return setInterval(() => {
      try { job() } catch (err) { app.log.warn({ err }, 'housekeeping failed; trying again later') }
    }, ms).unref()
  }
}

const COLLECT_INTERVAL_MS = 5000
