/**
 * Single-use token ids: claimed by an atomic insert, kept until the token
 * has expired (after which its signature check refuses it anyway).
 */
import type { Db } from './db.js'

/** Whether this is the first use of (issuer, jti). */
export function spendJti (db: Db, issuer: string, jti: string, expires: number, now = Math.floor(Date.now() / 1000)): boolean {
  db.prepare('DELETE FROM used_jti WHERE expires < ?').run(now)
  return db.prepare('INSERT INTO used_jti (issuer, jti, expires) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(issuer, jti, expires).changes === 1
}
