/**
 * ips-depot publish: a package from a pkgsend-style manifest and proto
 * directories, over the REST upload, for CI jobs. Payloads the depot
 * already has are not sent (preflight).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { formatAction } from './ips/action.js'
import { parseManifest } from './ips/manifest.js'
import type { TokenProvider } from './login/token-source.js'

export interface PublishOptions {
  readonly depot: string
  readonly publisher: string
  readonly manifest: string
  readonly protoDirs: readonly string[]
  readonly tokens: TokenProvider
}

async function sha1File (file: string): Promise<string> {
  const h = createHash('sha1')
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) h.update(chunk)
  return h.digest('hex')
}

function findSource (protoDirs: readonly string[], rel: string): string {
  for (const dir of protoDirs) {
    const p = path.resolve(dir, rel)
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p
  }
  throw new Error(`payload source '${rel}' not found in ${protoDirs.join(', ') || '(no -d directories)'}`)
}

export async function publishPackage (o: PublishOptions): Promise<string> {
  const actions = parseManifest(fs.readFileSync(o.manifest, 'utf8'))
  const sources = new Map<string, string>()
  const lines: string[] = []
  for (const a of actions) {
    if (a.type !== 'file' && a.type !== 'license') { lines.push(formatAction(a)); continue }
    // pkgsend's convention: the positional field names the source file, else the action's path.
    const rel = a.hash ?? (Array.isArray(a.attrs.path) ? a.attrs.path[0] : a.attrs.path)
    if (rel === undefined) throw new Error(`${a.type} action without a source: ${formatAction(a)}`)
    const file = findSource(o.protoDirs, rel)
    const hash = await sha1File(file)
    sources.set(hash, file)
    lines.push(formatAction({ ...a, hash }))
  }
  const base = `${o.depot.replace(/\/$/, '')}/api/v1/publishers/${encodeURIComponent(o.publisher)}`
  const auth = async (): Promise<Record<string, string>> => ({ authorization: `Bearer ${await o.tokens.token()}` })
  const pre = await fetch(`${base}/payloads/missing`, { method: 'POST', headers: { ...(await auth()), 'content-type': 'application/json' }, body: JSON.stringify({ hashes: [...sources.keys()] }) })
  if (!pre.ok) throw new Error(`preflight failed: ${pre.status} ${await pre.text()}`)
  const { missing } = await pre.json() as { missing: string[] }
  const form = new FormData()
  form.append('manifest', lines.join('\n') + '\n')
  for (const hash of missing) form.append(hash, await fs.openAsBlob(sources.get(hash)!), hash)
  const res = await fetch(`${base}/packages`, { method: 'POST', headers: await auth(), body: form })
  const body = await res.text()
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${body}`)
  return (JSON.parse(body) as { fmri: string }).fmri
}
