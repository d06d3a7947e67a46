/**
 * Replays a recorded pkgsend/pkgrecv trace against a depot: transaction
 * ids the reference handed out are mapped to the ones this depot hands out,
 * and every request carries a bearer token (unless a proxy adds it).
 */
import { type Exchange, replayHeaders } from './golden.js'
import { request, type RawResponse } from './http.js'

export interface Replayed { readonly x: Exchange, readonly res: RawResponse }

export async function replayTrace (port: number, trace: readonly Exchange[], token: string | null): Promise<Replayed[]> {
  const ids = new Map<string, string>()
  const out: Replayed[] = []
  for (const x of trace) {
    let path = x.request.path
    for (const [golden, mine] of ids) path = path.split(golden).join(mine)
    const body = x.request.body_base64 !== undefined ? Buffer.from(x.request.body_base64, 'base64') : x.request.body_text
    const headers = token === null ? replayHeaders(x) : { ...replayHeaders(x), Authorization: `Bearer ${token}` }
    const res = await request(port, x.request.method, path, headers, body)
    const goldenId = x.response.headers['Transaction-Id']
    const mine = res.headers['transaction-id']
    if (goldenId !== undefined && typeof mine === 'string') ids.set(goldenId, mine)
    // A package published in the trace has its own timestamp here: later requests naming it follow.
    const goldenFmri = x.response.headers['Package-Fmri']
    const myFmri = res.headers['package-fmri']
    if (goldenFmri !== undefined && typeof myFmri === 'string') {
      const ts = (f: string): string => f.slice(f.lastIndexOf(':') + 1)
      ids.set(ts(goldenFmri), ts(myFmri))
      const epoch = (s: string): string => String(Date.UTC(+s.slice(0, 4), +s.slice(4, 6) - 1, +s.slice(6, 8), +s.slice(9, 11), +s.slice(11, 13), +s.slice(13, 15)) / 1000)
      ids.set(`${epoch(ts(goldenFmri))}_`, `${epoch(ts(myFmri))}_`)
    }
    out.push({ x, res })
  }
  return out
}
