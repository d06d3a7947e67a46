/**
 * Stored logins, one per depot URL, in the user's config directory
 * ($IPS_DEPOT_CONFIG_DIR, else $XDG_CONFIG_HOME/ips-depot, else
 * ~/.config/ips-depot): credentials.json, mode 0600, written to a temp
 * file and renamed so a crash never leaves half a file.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface StoredLogin {
  readonly issuer: string
  readonly tokenEndpoint: string
  readonly clientId: string
  /** Only for --client-credentials logins (a service account's own secret). */
  readonly clientSecret?: string
  readonly resource: string
  readonly scope: string
  readonly accessToken: string
  readonly refreshToken?: string
  /** Unix seconds. */
  readonly expiresAt: number
  readonly obtainedAt: number
}

export function configDir (): string {
  if (process.env.IPS_DEPOT_CONFIG_DIR) return process.env.IPS_DEPOT_CONFIG_DIR
  const base = process.env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config')
  return path.join(base, 'ips-depot')
}

/** Depot URLs are compared without a trailing slash. */
export function depotKey (depot: string): string {
  return new URL(depot).toString().replace(/\/$/, '')
}

function file (): string { return path.join(configDir(), 'credentials.json') }

function readAll (): Record<string, StoredLogin> {
  try {
    return JSON.parse(fs.readFileSync(file(), 'utf8')) as Record<string, StoredLogin>
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw new Error(`cannot read ${file()}: ${(err as Error).message}`)
  }
}

function writeAll (all: Record<string, StoredLogin>): void {
  fs.mkdirSync(configDir(), { recursive: true, mode: 0o700 })
  const tmp = `${file()}.${process.pid}.tmp`
  fs.writeFileSync(tmp, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 })
  fs.renameSync(tmp, file())
}

export function loadLogin (depot: string): StoredLogin | undefined {
  return readAll()[depotKey(depot)]
}

export function saveLogin (depot: string, login: StoredLogin): void {
  writeAll({ ...readAll(), [depotKey(depot)]: login })
}

/** Whether there was a login to remove. */
export function removeLogin (depot: string): boolean {
  const all = readAll()
  const key = depotKey(depot)
  if (!(key in all)) return false
  delete all[key]
  writeAll(all)
  return true
}
