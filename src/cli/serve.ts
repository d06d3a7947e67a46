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
import { VERSION } from '../version.js'
import { progressPrinter } from './config-file.js'
import { openRepository } from './data-dir.js'
import { fileStoreHolds, migrateFileStore } from '../store/payload-migrate.js'
import { referencedPayloads } from '../store/payload-references.js'

export async function serve (cfg: DepotConfig, file: string): Promise<void> {
  // Held until the process exits: the sweeps below may only run with no other writer on the directory.
  const lock = DataDirLock.acquire(cfg.storage.dataDir, 'serve')
  const repo = await openRepository(cfg)
  repo.payloads.sweepTemporary()
  const idleMs = cfg.publish.transactionIdleHours * 3600_000
  expireTransactions(repo, idleMs)
  if (cfg.storage.payloads.backend === 's3' && await fileStoreHolds(cfg.storage.dataDir)) {
    // A depot just switched to a bucket: what was published since `payloads migrate` ran goes up before anything is served.
    const m = await migrateFileStore(referencedPayloads(repo.db), cfg.storage.dataDir, repo.payloads.backend)
    console.log(`payloads: ${m.copied} copied from ${m.from} to ${m.to} (${m.present} already there); the file store may be removed once the bucket serves well`)
    // Damage from before the switch, which `ips-depot verify` reports: no reason not to serve the rest.
    if (m.missing.length > 0) console.error(`warning: ${m.missing.length} payloads the catalog references are in neither ${m.from} nor ${m.to}: ${m.missing.slice(0, 5).join(', ')}`)
  }
  await sweepOrphanPayloads(repo)
  await collectPayloads(repo)
  if (cfg.storage.seedRepository !== null && repo.publishers().length === 0) {
    await importRepository(repo, cfg.storage.seedRepository, { onProgress: progressPrinter() })
  }
  const app = await buildApp({ config: cfg, repo })
  // The store reports what it survives (a seal that failed, served as last sealed) as process warnings: into the log.
  process.on('warning', w => { app.log.warn({ warning: w.name }, w.message) })
  const housekeeping = [
    every(3600_000, () => { expireTransactions(repo, idleMs) }),
    // Removals by `ips-depot remove` beside this depot leave their payload files to this process, the lock holder.
    every(COLLECT_INTERVAL_MS, async () => {
      const n = await collectPayloads(repo)
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
  try {
    // The metrics listener first: a depot that cannot serve its metrics (the port taken) does not start, as for the main one.
    if (cfg.metrics !== null) {
      const { host, port } = cfg.metrics.listen
      metrics = await startMetricsServer(app, cfg.metrics.listen).catch((err: Error) => { throw new Error(`metrics.listen ${host}:${port}: ${err.message}`) })
    }
    await app.listen({ host: cfg.server.host, port: cfg.server.port })
  } catch (err) {
    for (const timer of housekeeping) clearInterval(timer)
    await metrics?.close()
    await app.close()
    repo.close()
    lock.release()
    throw err
  }
  process.once('SIGINT', () => { void close('SIGINT') })
  process.once('SIGTERM', () => { void close('SIGTERM') })

  /** A housekeeping job that fails (the database busy for longer than its timeout) is told and tried again next time. */
  function every (ms: number, job: () => Promise<void> | void): NodeJS.Timeout {
    let running = false
    return setInterval(() => {
      // A slow round (a bucket answering slowly) is not overtaken by the next.
      if (running) return
      running = true
      void (async () => { await job() })()
        .catch((err: unknown) => { app.log.warn({ err }, 'housekeeping failed; trying again later') })
        .finally(() => { running = false })
    }, ms).unref()
  }
}

const COLLECT_INTERVAL_MS = 5000
