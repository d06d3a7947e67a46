/**
 * Who published each package version, and how: one audit-log row per
 * publish, written in the transaction that commits the package, so a
 * package never exists without its record (and a record never outlives a
 * rolled-back publish). The web pages and the provenance API read it back.
 */
import type { Db } from './db.js'

/** The identity behind a publish, as the token that authorized it says. */
export interface PublishedBy {
  readonly issuer: string | null
  readonly subject: string | null
  readonly clientId: string | null
  readonly jti: string | null
  /** Which interface: the REST upload or the pkg(5) publication protocol (pkgsend, pkgrecv -d). */
  readonly via: 'rest' | 'pkg5'
  /** For a depot token from a CI token exchange: the CI token's issuer, subject and job claims. */
  readonly exchangedFrom: Readonly<Record<string, string>> | null
}

export interface Publication extends PublishedBy {
  readonly fmri: string
  readonly at: string
}

export function recordPublication (db: Db, publisher: string, fmri: string, by: PublishedBy): void {
  db.prepare(`INSERT INTO audit_log (at, issuer, subject, client_id, jti, action, publisher, package, result, detail)
    VALUES (?, ?, ?, ?, ?, 'publish', ?, ?, 'published', ?)`).run(Date.now(), by.issuer, by.subject, by.clientId, by.jti, publisher, fmri,
    JSON.stringify({ via: by.via, ...(by.exchangedFrom === null ? {} : { exchanged_from: by.exchangedFrom }) }))
}

interface Row { at: number, issuer: string | null, subject: string | null, client_id: string | null, jti: string | null, package: string, detail: string | null }

/** The publications of one package version, newest first; an imported version has none. */
export function publicationsOf (db: Db, publisher: string, stem: string, version: string): Publication[] {
  const rows = db.prepare(`SELECT at, issuer, subject, client_id, jti, package, detail FROM audit_log
    WHERE package = ? AND action = 'publish' AND result = 'published' ORDER BY id DESC`).all(`pkg://${publisher}/${stem}@${version}`) as Row[]
  return rows.map(r => {
    const detail = JSON.parse(r.detail ?? '{}') as { via?: 'rest' | 'pkg5', exchanged_from?: Record<string, string> }
    return {
      fmri: r.package,
      at: new Date(Number(r.at)).toISOString(),
      issuer: r.issuer,
      subject: r.subject,
      clientId: r.client_id,
      jti: r.jti,
      via: detail.via ?? 'rest',
      exchangedFrom: detail.exchanged_from ?? null
    }
  })
}
