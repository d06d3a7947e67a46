/**
 * ips-depot auth-proxy: pkgsend and pkgrecv cannot send a bearer token
 * (they refuse credentials in URLs and have no header option), so they talk
 * to this proxy on loopback, which forwards every request to the depot
 * with `Authorization: Bearer` added. The token comes from a file, an
 * environment variable, or a command that is re-run before it expires.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import { promisify } from 'node:util'
import { decodeJwt } from 'jose'

export type TokenSource = { file: string } | { env: string } | { command: string }

const REFRESH_MARGIN_S = 60

export class TokenProvider {
  private cached: { token: string, exp: number } | null = null
  constructor (private readonly source: TokenSource) {}

  private async read (): Promise<string> {
    if ('file' in this.source) return (await fs.promises.readFile(this.source.file, 'utf8')).trim()
    if ('env' in this.source) {
      const v = process.env[this.source.env]
      if (!v) throw new Error(`environment variable ${this.source.env} is empty`)
      return v.trim()
    }
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', this.source.command], { timeout: 60_000, maxBuffer: 1 << 20 })
    return stdout.trim()
  }

  /** The current token; re-read when the cached one is within a minute of expiring (or has no exp). */
  async token (): Promise<string> {
    const now = Date.now() / 1000
    if (this.cached && this.cached.exp - REFRESH_MARGIN_S > now) return this.cached.token
    const token = await this.read()
    let exp = now
    try { exp = decodeJwt(token).exp ?? now } catch { /* opaque token: re-read every time */ }
    this.cached = { token, exp }
    return token
  }
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization'])

export function startAuthProxy (upstream: URL, tokens: TokenProvider, listen: { host: string, port: number }): Promise<http.Server> {
  const client = upstream.protocol === 'https:' ? https : http
  const base = upstream.pathname.replace(/\/$/, '')
  const server = http.createServer((req, res) => {
    void (async () => {
      let token: string
      try {
        token = await tokens.token()
      } catch (err) {
        res.writeHead(502, { 'content-type': 'text/plain' }).end(`auth-proxy: no token: ${(err as Error).message}\n`)
        return
      }
      const headers: http.OutgoingHttpHeaders = {}
      for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v
      headers.authorization = `Bearer ${token}`
      if (req.headers['transfer-encoding']) headers['transfer-encoding'] = req.headers['transfer-encoding']
      const out = client.request({ protocol: upstream.protocol, hostname: upstream.hostname, port: upstream.port, method: req.method, path: base + (req.url ?? '/'), headers }, up => {
        const back: http.OutgoingHttpHeaders = {}
        for (const [k, v] of Object.entries(up.headers)) if (k !== 'connection' && k !== 'keep-alive' && v !== undefined) back[k] = v
        res.writeHead(up.statusCode ?? 502, back)
        up.pipe(res)
      })
      out.on('error', err => { if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }); res.end(`auth-proxy: upstream error: ${err.message}\n`) })
      req.pipe(out)
    })()
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => resolve(server))
  })
}
