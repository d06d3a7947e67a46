/**
 * The payload ceiling: nginx serving the depot's payload store with
 * sendfile, at the same URLs, when nginx is installed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find(p => fs.existsSync(p))

export async function startNginx (work: string, fileRoot: string, port: number): Promise<{ stop: () => void } | null> {
  if (NGINX === undefined) return null
  const prefix = path.join(work, 'nginx')
  fs.mkdirSync(prefix, { recursive: true })
  const conf = path.join(prefix, 'nginx.conf')
  fs.writeFileSync(conf, `${process.getuid?.() === 0 ? 'user root;\n' : ''}daemon off;
worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    location ~ "^/[^/]+/file/1/(?<h2>[0-9a-f]{2})(?<h38>[0-9a-f]{38})$" {
      root ${fileRoot};
      try_files /$h2/$h2$h38 =404;
      types { }
      default_type application/data;
    }
  }
}
`)
  const child: ChildProcess = spawn(NGINX, ['-p', prefix, '-c', conf], { stdio: 'inherit' })
  for (let i = 0; i < 100; i++) {
    try { await fetch(`http://127.0.0.1:${port}/`); break } catch { await new Promise(resolve => setTimeout(resolve, 50)) }
  }
  return { stop: () => { child.kill('SIGTERM') } }
}
