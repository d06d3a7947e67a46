/**
 * The payload ceiling: nginx serving the depot's payload store with
 * sendfile, at the same URLs, when nginx is installed.
 */
import path from 'node:path'
import { NGINX, type RunningNginx, startNginx } from '../test/helpers/nginx.js'

export { NGINX }

export async function startPayloadNginx (work: string, fileRoot: string, port: number): Promise<RunningNginx | null> {
  if (NGINX === undefined) return null
  return startNginx(path.join(work, 'nginx'), `  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:${port};
    location ~ "^/[^/]+/file/1/(?<h2>[0-9a-f]{2})(?<h38>[0-9a-f]{38})$" {
      root ${fileRoot};
      try_files /$h2/$h2$h38 =404;
      types { }
      default_type application/data;
    }
  }`, port)
}
