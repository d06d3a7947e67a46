/**
 * Catalog timestamps: ISO 8601 basic form with microseconds only when they
 * are not zero (Python's isoformat), e.g. 20261123T001657.389786Z. The
 * client re-formats every timestamp it parses before checking a
 * signature, so any other spelling breaks catalog.attrs.
 *
 * A CatalogTime is microseconds since the epoch, as a bigint, so that
 * nothing is lost between parsing and printing.
 */
import { BadRequestError } from '../errors.js'

export type CatalogTime = bigint

const BASIC = /^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})(?:\.([0-9]{6}))?Z$/

export function parseCatalogTime (s: string): CatalogTime {
  const m = BASIC.exec(s)
  if (!m) throw new BadRequestError(`invalid catalog timestamp '${s}'`, 'ERR_TIMESTAMP')
  const [, y, mo, d, h, mi, sec, us] = m
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec))
  return BigInt(ms) * 1000n + BigInt(us ?? '0')
}

function pad (n: number, w = 2): string { return String(n).padStart(w, '0') }

export function formatCatalogTime (t: CatalogTime): string {
  const us = Number(((t % 1_000_000n) + 1_000_000n) % 1_000_000n)
  const d = new Date(Number((t - BigInt(us)) / 1000n))
  const base = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`
  return us === 0 ? base + 'Z' : `${base}.${pad(us, 6)}Z`
}

/** The hourly update log a change at time t is recorded in: update.YYYYMMDDTHHZ.<locale>. */
export function updateLogName (t: CatalogTime, locale = 'C'): string {
  return `update.${formatCatalogTime(t).slice(0, 11)}Z.${locale}`
}

/** FMRI timestamps: YYYYMMDDTHHMMSSZ, whole seconds. */
export function fmriTimestamp (t: CatalogTime): string {
  return formatCatalogTime(t - (((t % 1_000_000n) + 1_000_000n) % 1_000_000n))
}

export function catalogTimeToDate (t: CatalogTime): Date {
  return new Date(Number(t / 1000n))
}

export function nowCatalogTime (): CatalogTime {
  // process.hrtime is monotonic, not wall-clock; combine the wall clock in ms
  // with a sub-millisecond counter so two operations never share a time.
  const ms = BigInt(Date.now()) * 1000n
  const t = ms > lastIssued ? ms : lastIssued + 1n
  lastIssued = t
  return t
}
let lastIssued = 0n
