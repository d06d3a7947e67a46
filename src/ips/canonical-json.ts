/**
 * The JSON form pkg(5) signs catalogs in: python-rapidjson's
 * dumps(obj, sort_keys=True, ensure_ascii=True), compact.
 *
 * It differs from JSON.stringify in ways the client notices: keys are
 * sorted by code point (not UTF-16 unit), non-ASCII is escaped as
 * uppercase \uXXXX (astral characters as surrogate pairs), control
 * characters other than \b \t \n \f \r use uppercase \u00XX, and '/' and
 * DEL are left alone.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' }

function hex4 (unit: number): string {
  return '\\u' + unit.toString(16).toUpperCase().padStart(4, '0')
}

export function quoteString (s: string, ensureAscii: boolean): string {
  let out = '"'
  let plainFrom = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    const needs = c < 0x20 || c === 0x22 || c === 0x5c || (ensureAscii && c > 0x7e && c !== 0x7f)
    if (!needs) continue
    out += s.slice(plainFrom, i)
    out += SHORT_ESCAPES[c] ?? hex4(c)
    plainFrom = i + 1
  }
  return out + s.slice(plainFrom) + '"'
}

/** Code point order, as Python sorts str keys. */
export function compareCodePoints (a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!
    const y = b.codePointAt(i)!
    if (x !== y) return x - y
    if (x > 0xffff) i++
  }
  return a.length - b.length
}

export function canonicalJson (value: JsonValue, ensureAscii = true): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false'
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`catalog JSON holds integers only, not ${value}`)
      return String(value)
    case 'string': return quoteString(value, ensureAscii)
  }
  if (Array.isArray(value)) return '[' + value.map(v => canonicalJson(v, ensureAscii)).join(',') + ']'
  const keys = Object.keys(value).sort(compareCodePoints)
  return '{' + keys.map(k => quoteString(k, ensureAscii) + ':' + canonicalJson(value[k]!, ensureAscii)).join(',') + '}'
}
