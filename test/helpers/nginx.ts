/**
 * nginx as a test and benchmark companion: a main configuration whose
 * state (pid, logs, temp files) lives in a scratch prefix, around an http
 * body the caller gives, run in the foreground until killed.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(p => fs.existsSync(p))

export async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo
      s.close(() => resolve(port))
    }).on('error', reject)
  })
}

export interface RunningNginx {
  /** `nginx -t` on the configuration: exit status and what it printed. */
  readonly check: { readonly status: number | null, readonly stderr: string }
  /** SIGTERM, and waits for nginx to exit (SIGKILL after 5 s). */
  stop: () => Promise<void>
}

/** Writes <prefix>/nginx.conf around `http` and starts nginx on it, once `port` accepts connections. */
export async function startNginx (prefix: string, http: string, port: number): Promise<RunningNginx> {
  if (NGINX === undefined) throw new Error('nginx is not installed')
  fs.mkdirSync(prefix, { recursive: true })
  const conf = path.join(prefix, 'nginx.conf')
  // Workers of a root master switch users; the data directories the tests make are private to root.
  fs.writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
master_process off;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
${http}
}
`)
  const check = spawnSync(NGINX, ['-t', '-p', prefix, '-c', conf], { encoding: 'utf8', timeout: 60_000 })
  const child: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', conf], { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true) }).on('error', () => resolve(false))
    })
    if (up) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const exited = new Promise<void>(resolve => { if (child.exitCode !== null || child.signalCode !== null) resolve(); else child.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM')
    const forced = setTimeout(() => { child.kill('SIGKILL') }, 5000)
    await exited
    clearTimeout(forced)
  }
  return { check: { status: check.status, stderr: check.stderr }, stop }
}
