/**
 * Claim paths: a JSON pointer ("/realm_access/roles",
 * "/https:~1~1example.org~1roles") or a dotted path ("realm_access.roles").
 * Only own properties resolve, and a value of the wrong type is no value:
 * a malformed token can be refused, never crash the depot.
 */
export function resolveClaim (payload: unknown, path: string): unknown {
  const segments = path.startsWith('/')
    ? path.slice(1).split('/').map(s => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    : path.split('.')
  let cur: unknown = payload
  for (const seg of segments) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, seg)) return undefined
    cur = (cur as Record<string, unknown>)[seg]
  }
  return cur
}

/** A string (split on whitespace when asked) or an array of strings; anything else contributes nothing. */
export function claimStrings (value: unknown, splitSpaces: boolean): string[] {
  if (typeof value === 'string') return splitSpaces ? value.split(/\s+/).filter(Boolean) : [value]
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return []
}
