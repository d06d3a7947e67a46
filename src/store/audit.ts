/** `ips-depot audit`: the append-only record of every authorization decision, filtered. */
import type { Db } from './db.js'

export interface AuditEntry {
  readonly at: string
  readonly issuer: string | null
  readonly subject: string | null
  readonly client_id: string | null
  readonly jti: string | null
  readonly action: string
  readonly publisher: string | null
  readonly package: string | null
  readonly result: string
  readonly detail: string | null
}

/** `since`: an ISO 8601 time, or an age such as 90m, 24h, 7d. */
export function parseSince (text: string, now = Date.now()): number {
  const age = /^([0-9]+)([smhd])$/.exec(text)
  if (age !== null) return now - Number(age[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 's' | 'm' | 'h' | 'd']
  const at = Date.parse(text)
  if (Number.isNaN(at)) throw new Error(`--since ${text}: neither an ISO 8601 time nor an age such as 24h or 7d`)
  return at
}

export function readAudit (db: Db, filter: { since: number | null, publisher: string | null }): AuditEntry[] {
  const rows = db.prepare(`SELECT at, issuer, subject, client_id, jti, action, publisher, package, result, detail FROM audit_log
    WHERE at >= ? AND (? IS NULL OR publisher = ?) ORDER BY id`).all(filter.since ?? 0, filter.publisher, filter.publisher) as Array<Omit<AuditEntry, 'at'> & { at: number }>
  return rows.map(r => ({ ...r, at: new Date(r.at).toISOString() }))
}
