/** Reads the recorded pkg(5) HTTP exchanges in fixtures/golden/http. */
import fs from 'node:fs'
import path from 'node:path'
import { GOLDEN } from './depot.js'

export interface Exchange {
  readonly name: string
  readonly trace?: string
  readonly depot_mode?: string
  readonly reference_quirk?: string
  readonly request: { method: string, path: string, headers: Record<string, string | string[]>, body_text?: string, body_base64?: string }
  readonly response: {
    status: number
    headers: Record<string, string>
    body_text?: string
    body_base64?: string
    body_sha1: string
    body_length: number
    error_message?: string
  }
}

export function exchanges (file: string): Exchange[] {
  return fs.readFileSync(path.join(GOLDEN, 'http', file), 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as Exchange)
}

export function responseBody (x: Exchange): Buffer {
  const r = x.response
  if (r.body_base64 !== undefined) return Buffer.from(r.body_base64, 'base64')
  return Buffer.from(r.body_text ?? '', 'utf8')
}

/** Request headers worth replaying: the client's own, not the recorder's connection handling. */
export function replayHeaders (x: Exchange): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(x.request.headers)) {
    if (['host', 'connection', 'content-length'].includes(k.toLowerCase())) continue
    out[k] = Array.isArray(v) ? v.join(', ') : v
  }
  return out
}
