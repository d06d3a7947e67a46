/**
 * p5i documents (application/vnd.pkg5.info): publisher configuration and
 * package lists, as json.dumps(indent=2, sort_keys=True,
 * ensure_ascii=False) plus a newline.
 */
import type { JsonValue } from './canonical-json.js'

export interface P5iPublisher {
  readonly name: string
  readonly packages: readonly string[]
  readonly repository: { [key: string]: JsonValue } | null
}

function sortKeys (v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v !== null && typeof v === 'object') {
    const out: { [key: string]: JsonValue } = {}
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]!)
    return out
  }
  return v
}

/** Python's json.dumps(indent=2, sort_keys=True) layout. */
export function prettyJson (v: JsonValue): string {
  return JSON.stringify(sortKeys(v), null, 2) + '\n'
}

export function p5iDocument (publishers: readonly P5iPublisher[]): string {
  return prettyJson({
    packages: [],
    publishers: publishers.map(p => ({
      alias: null,
      name: p.name,
      packages: [...p.packages],
      repositories: p.repository === null ? [] : [p.repository]
    })),
    version: 1
  })
}
