/**
 * One load run on loopback: wrk when it is installed (it costs the machine
 * less than a Node load generator), autocannon otherwise.
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import autocannon from 'autocannon'

export interface LoadResult {
  readonly name: string
  readonly reqs: number
  readonly mbs: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

export const WRK = ['/usr/bin/wrk', '/usr/local/bin/wrk'].find(p => fs.existsSync(p))
export const LOAD_TOOL = WRK === undefined ? 'autocannon' : 'wrk'

function ms (text: string): number {
  const m = /^([0-9.]+)(us|ms|s)$/.exec(text)
  if (!m) return NaN
  const n = Number(m[1])
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n
}

function mb (text: string): number {
  const m = /^([0-9.]+)(B|KB|MB|GB)$/.exec(text)
  if (!m) return NaN
  return Number(m[1]) * ({ B: 1 / 1048576, KB: 1 / 1024, MB: 1, GB: 1024 } as Record<string, number>)[m[2]!]!
}

/**
 * Each request from another client: an X-Forwarded-For of its own among
 * 250 documentation addresses (a header only; the depot trusts it in the
 * bench), as a hundred users would be, not one address holding a hundred
 * connections, which the search's per-client queue serves in turn.
 */
const MANY_CLIENTS = `local n = 0
request = function ()
  n = n + 1
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers["X-Forwarded-For"] = "198.51.100." .. (n % 250 + 1)
  return wrk.format(nil, nil, headers)
end
`

export async function load (name: string, url: string, opts: { headers?: Record<string, string>, connections: number, seconds: number, timeoutSeconds?: number, manyClients?: boolean }): Promise<LoadResult> {
  const headers = opts.headers ?? {}
  if (WRK !== undefined) {
    let script: string[] = []
    let scriptDir: string | null = null
    if (opts.manyClients === true) {
      scriptDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-depot-bench-clients-'))
      fs.writeFileSync(path.join(scriptDir, 'clients.lua'), MANY_CLIENTS)
      script = ['-s', path.join(scriptDir, 'clients.lua')]
    }
    const args = ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', ...script, ...(opts.timeoutSeconds === undefined ? [] : ['--timeout', `${opts.timeoutSeconds}s`]), ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]
    let stdout: string
    try {
      ({ stdout } = await promisify(execFile)(WRK, args, { maxBuffer: 1 << 20 }))
    } finally {
      if (scriptDir !== null) fs.rmSync(scriptDir, { recursive: true, force: true })
    }
    const num = (re: RegExp): number => Number(re.exec(stdout)?.[1] ?? 0)
    const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout)
    return {
      name,
      reqs: num(/Requests\/sec:\s+([0-9.]+)/),
      mbs: mb(/Transfer\/sec:\s+(\S+)/.exec(stdout)?.[1] ?? '0B'),
      p50: ms(/\s50%\s+(\S+)/.exec(stdout)?.[1] ?? 'NaN'),
      p99: ms(/\s99%\s+(\S+)/.exec(stdout)?.[1] ?? 'NaN'),
      errors: num(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
    }
  }
  let n = 0
  const r = await autocannon({
    url,
    connections: opts.connections,
    duration: opts.seconds,
    headers,
    ...(opts.manyClients === true ? { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, headers: { ...req.headers, 'X-Forwarded-For': `198.51.100.${(n++ % 250) + 1}` } }) }] } : {})
  })
  return { name, reqs: r.requests.average, mbs: r.throughput.average / 1048576, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }
}
