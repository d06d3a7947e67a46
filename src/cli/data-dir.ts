/**
 * Opening the data directory for a command: the single-writer lock around
 * every writer, the database alone beside a serving depot, read-only for
 * the commands that only read.
 */
import path from 'node:path'
import type { DepotConfig } from '../config.js'
import { DataDirLock, DataDirLockedError } from '../store/data-lock.js'
import { type Db, openDatabase } from '../store/db.js'
import { openPayloadBackend } from '../store/payload-backends.js'
import { Repository } from '../store/repository.js'

/** The repository of a config, with its payload backend. */
export async function openRepository (cfg: DepotConfig): Promise<Repository> {
  return new Repository(cfg.storage.dataDir, { payloads: await openPayloadBackend(cfg.storage.payloads, cfg.storage.dataDir) })
}

/** Every writer holds the data directory's lock for as long as it has the repository open. */
export async function withRepository<T> (cfg: DepotConfig, command: string, fn: (repo: Repository) => Promise<T> | T): Promise<T> {
  const lock = DataDirLock.acquire(cfg.storage.dataDir, command)
  try {
    const repo = await openRepository(cfg)
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
    const repo = await openRepository(cfg)
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
