/**
 * pkg5.repository: the INI-style configuration of a pkg5 file repository.
 * Values are Python reprs: True/False, integers, lists like ['a', 'b'].
 */
import type { JsonValue } from '../ips/canonical-json.js'

export type Pkg5Config = Record<string, Record<string, JsonValue>>

function pyLiteral (raw: string): JsonValue {
  const v = raw.trim()
  if (v === 'True') return true
  if (v === 'False') return false
  if (/^-?[0-9]+$/.test(v)) return Number(v)
  if (v.startsWith('[') && v.endsWith(']')) {
    const inner = v.slice(1, -1).trim()
    if (inner === '') return []
    return inner.split(',').map(s => s.trim().replace(/^(['"])(.*)\1$/, '$2'))
  }
  return v
}

export function parsePkg5Config (text: string): Pkg5Config {
  const out: Pkg5Config = {}
  let section: Record<string, JsonValue> | null = null
  for (const line of text.split(/\r?\n/)) {
    const l = line.trim()
    if (l === '' || l.startsWith('#') || l.startsWith(';')) continue
    const sec = /^\[(.+)\]$/.exec(l)
    if (sec) { section = out[sec[1]!] ??= {}; continue }
    const eq = l.indexOf('=')
    if (section === null || eq === -1) throw new Error(`pkg5.repository: cannot parse line '${l}'`)
    section[l.slice(0, eq).trim()] = pyLiteral(l.slice(eq + 1))
  }
  return out
}
