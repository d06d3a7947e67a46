/**
 * Where a command's configuration comes from (--config, then
 * $IPS_DEPOT_CONFIG, then ./depot.config.toml) and what its flags
 * override, and the import progress bar: the light half of the CLI,
 * loaded for every command.
 */
import fs from 'node:fs'
import path from 'node:path'
import { type DepotConfig, loadConfig, parseListen } from '../config.js'
import { ConfigError } from '../errors.js'
import type { ImportProgress } from '../store/import.js'

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
