/**
 * Python's urllib.parse.quote(s, safe=…): what pkg(5) uses for stems and
 * versions in URLs and on-disk manifest paths (safe=""), for transaction
 * ids, and for search matches (safe="/"). Only A-Z a-z 0-9 _ . - ~ and the
 * safe characters stay as they are; everything else is %XX of its UTF-8
 * bytes, upper case.
 */
const UNRESERVED = /[A-Za-z0-9_.\-~]/

export function pyQuote (s: string, safe = ''): string {
  let out = ''
  for (const ch of s) {
    if (UNRESERVED.test(ch) || safe.includes(ch)) { out += ch; continue }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** Percent-decoding that never throws: an invalid escape is kept literally. */
export function safeDecode (s: string): string {
  if (!s.includes('%')) return s
  try {
    return decodeURIComponent(s)
  } catch {
    return s.replace(/(%[0-9A-Fa-f]{2})+/g, run => {
      try { return decodeURIComponent(run) } catch { return run }
    })
  }
}
