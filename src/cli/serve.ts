/**
 * `ips-depot serve`: the sweeps only the data directory's owner may run,
 * the seed repository for the development config, the app, housekeeping,
 * and a shutdown that finishes the requests in flight.
 */
import type { DepotConfig } from '../config.js'
import { buildApp } from '../http/app.js'
import { startMetricsServer } from '../http/metrics.js'
import { DataDirLock } from '../store/data-lock.js'
import { importRepository } from '../store/import.js'
import { collectPayloads, expireTransactions, sweepOrphanPayloads } from '../store/maintenance.js'
import { Repository } from '../store/repository.js'
import { VERSION } from '../version.js'
import { progressPrinter } from './config-file.js'

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
