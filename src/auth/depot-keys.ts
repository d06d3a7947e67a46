/**
 * The signing keys of the depot's own tokens, one file per key in
 * <data_dir>/keys (0600, written to a temp name and renamed). The newest
 * key signs. An older key stays in the JWKS until every token it signed
 * has expired: its successor's creation plus the longest token lifetime.
 * `ips-depot keys rotate` adds a key and prunes retired ones; serving
 * processes notice new files by the directory's mtime.
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

export interface DepotKey {
  readonly kid: string
  readonly alg: 'ES256' | 'RS256'
  /** Unix seconds. */
  readonly created: number
  readonly privateJwk: JWK
}

const KEY_FILE = /^key-[0-9]{10}-[A-Za-z0-9-]+\.json$/

function publicJwk (k: DepotKey): JWK {
  const { d, p, q, dp, dq, qi, ...pub } = k.privateJwk
  return { ...pub, kid: k.kid, alg: k.alg, use: 'sig' }
}

export class DepotKeyStore {
  private keys: DepotKey[] = []
  private mtimeMs = -1
  private readonly imported = new Map<string, CryptoKey | Uint8Array>()

  /** @param retireAfter seconds a superseded key keeps verifying: the longest token lifetime plus clock tolerance */
  constructor (readonly dir: string, private readonly retireAfter: number) {}

  /** Newest first; re-read when the directory changed since the last read. */
  private current (): DepotKey[] {
    let mtimeMs: number
    try { mtimeMs = fs.statSync(this.dir).mtimeMs } catch { mtimeMs = 0 }
    if (mtimeMs !== this.mtimeMs) {
      const files = mtimeMs === 0 ? [] : fs.readdirSync(this.dir).filter(f => KEY_FILE.test(f))
      this.keys = files.map(f => JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8')) as DepotKey).sort((a, b) => b.created - a.created)
      this.mtimeMs = mtimeMs
    }
    return this.keys
  }

  /** The key new tokens are signed with; the first one is made when there is none. */
  async signingKey (alg: DepotKey['alg']): Promise<{ kid: string, alg: DepotKey['alg'], key: CryptoKey | Uint8Array }> {
    let newest = this.current()[0]
    if (newest === undefined || newest.alg !== alg) newest = await this.rotate(alg)
    let key = this.imported.get(newest.kid)
    if (key === undefined) {
      key = await importJWK(newest.privateJwk, newest.alg)
      this.imported.set(newest.kid, key)
    }
    return { kid: newest.kid, alg: newest.alg, key }
  }

  /** Public keys that still verify: the newest, and each older one until its successor is retireAfter old. */
  jwks (now = Date.now() / 1000): { keys: JWK[] } {
    const keys = this.current()
    return { keys: keys.filter((_, i) => i === 0 || now - keys[i - 1]!.created <= this.retireAfter).map(publicJwk) }
  }

  /** Adds a new signing key and deletes the keys no token can still need. */
  async rotate (alg: DepotKey['alg'], now = Math.floor(Date.now() / 1000)): Promise<DepotKey> {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    // Two rotations in one second still order by creation: never reuse a second already taken.
    const created = Math.max(now, (this.current()[0]?.created ?? 0) + 1)
    const key: DepotKey = { kid: randomUUID(), alg, created, privateJwk: await exportJWK(privateKey) }
    const file = path.join(this.dir, `key-${created}-${key.kid}.json`)
    const tmp = `${file}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(key), { mode: 0o600, flag: 'wx' })
    fs.renameSync(tmp, file)
    this.mtimeMs = -1
    const keep = new Set(this.jwks(now).keys.map(k => k.kid))
    for (const f of fs.readdirSync(this.dir).filter(f => KEY_FILE.test(f))) {
      const kid = f.slice('key-0000000000-'.length, -'.json'.length)
      if (kid !== key.kid && !keep.has(kid)) fs.rmSync(path.join(this.dir, f))
    }
    this.mtimeMs = -1
    return key
  }
}
