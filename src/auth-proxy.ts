/**
 * ips-depot auth-proxy: pkgsend and pkgrecv cannot send a bearer token
 * (they refuse credentials in URLs and have no header option), so they talk
 * to this proxy on loopback, which forwards every request to the depot
 * with `Authorization: Bearer` added, from a TokenProvider (a stored
 * login, a CI exchange, a file, an environment variable or a command).
 */
import http from 'node:http'
import https from 'node:https'
import type { TokenProvider } from './login/token-source.js'

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
