#!/usr/bin/env node
/**
 * ips-depot serve | import | rebuild | add-publisher | auth-proxy | publish | keys | check-config
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { DepotIssuer } from './auth/depot-issuer.js'
import { type DepotConfig, loadConfig, parseListen } from './config.js'
import { ConfigError } from './errors.js'
import { buildApp } from './http/app.js'
import { importRepository, type ImportProgress } from './store/import.js'
import { startAuthProxy } from './auth-proxy.js'
import { removeLogin } from './login/credentials.js'
import { browserLogin, clientCredentialsLogin, deviceLogin, depotLoginInfo } from './login/oauth.js'
import { chooseTokenSource, TokenProvider } from './login/token-source.js'
import { expireTransactions, sweepOrphanPayloads } from './store/maintenance.js'
import { DataDirLock } from './store/data-lock.js'
import { publishPackage } from './publish-cli.js'
import { addPublisher } from './store/publish.js'
import { rebuild } from './store/rebuild.js'
import { Repository } from './store/repository.js'

const USAGE = `usage:
  ips-depot serve [--config FILE] [--listen HOST:PORT] [--data DIR]
  ips-depot import DIR [--config FILE] [--data DIR] [--replace]
  ips-depot rebuild [--publisher NAME] [--catalog] [--index] [--config FILE] [--data DIR]
  ips-depot add-publisher NAME [--default] [--config FILE] [--data DIR]
  ips-depot login --depot URL [--browser | --client-credentials] [--issuer URL]
  ips-depot logout --depot URL
  ips-depot whoami --depot URL [TOKEN OPTIONS]
  ips-depot auth-proxy --upstream URL [--listen 127.0.0.1:PORT] [TOKEN OPTIONS]
  ips-depot publish --depot URL --publisher NAME [-d DIR]... MANIFEST [TOKEN OPTIONS]
  ips-depot keys rotate [--config FILE] [--data DIR]
  ips-depot check-config [--config FILE]
token options (at most one; without one: the stored login, then a CI exchange, then $IPS_DEPOT_TOKEN):
  --token-file F | --token-env VAR | --token-command CMD | --ci-token-file F | --ci-token-env VAR`

function configFrom (values: { config?: string | undefined, listen?: string | undefined, data?: string | undefined }): DepotConfig {
  const cfg = loadConfig(values.config ?? 'depot.config.toml')
  return {
    ...cfg,
    server: { ...cfg.server, ...(values.listen ? parseListen(values.listen, '--listen') : {}) },
    storage: { ...cfg.storage, ...(values.data ? { dataDir: path.resolve(values.data) } : {}) }
  }
}

function progressPrinter (): ((p: ImportProgress) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  let last = 0
  return p => {
    const now = Date.now()
    if (now - last < 100 && p.done !== p.total) return
    last = now
    const width = 30
    const filled = p.total === 0 ? width : Math.round(width * p.done / p.total)
    process.stderr.write(`\r${p.publisher.padEnd(16)} ${p.phase.padEnd(9)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total}   `)
    if (p.done === p.total) process.stderr.write('\n')
  }
}

/** Every writer holds the data directory's lock for as long as it has the repository open. */
async function withRepository<T> (cfg: DepotConfig, command: string, fn: (repo: Repository) => Promise<T> | T): Promise<T> {
  const lock = DataDirLock.acquire(cfg.storage.dataDir, command)
  try {
    const repo = new Repository(cfg.storage.dataDir)
    try { return await fn(repo) } finally { repo.close() }
  } finally {
    lock.release()
  }
}

async function serve (cfg: DepotConfig): Promise<void> {
  // Held until the process exits: the sweeps below may only run with no other writer on the directory.
  const lock = DataDirLock.acquire(cfg.storage.dataDir, 'serve')
  const repo = new Repository(cfg.storage.dataDir)
  repo.payloads.sweepTemporary()
  const idleMs = cfg.publish.transactionIdleHours * 3600_000
  expireTransactions(repo, idleMs)
  sweepOrphanPayloads(repo)
  setInterval(() => expireTransactions(repo, idleMs), 3600_000).unref()
  if (cfg.storage.seedRepository !== null && repo.publishers().length === 0) {
    await importRepository(repo, cfg.storage.seedRepository, { onProgress: progressPrinter() })
  }
  await repo.warmCatalog()
  const app = await buildApp({ config: cfg, repo })
  await app.depot.search.warm()
  const close = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down: no new connections; finishing the requests in flight')
    await app.close()
    repo.close()
    lock.release()
    app.log.info('stopped: requests finished, database closed')
    process.exit(0)
  }
  process.once('SIGINT', () => { void close('SIGINT') })
  process.once('SIGTERM', () => { void close('SIGTERM') })
  await app.listen({ host: cfg.server.host, port: cfg.server.port })
}

/** Prints the source a CLI took its token from (never the token): a surprise here is a support ticket saved. */
function tokens (depot: string, values: Parameters<typeof chooseTokenSource>[1]): TokenProvider {
  const source = chooseTokenSource(depot, values)
  const what = 'login' in source ? 'the stored login' : 'exchange' in source ? 'a trusted-publishing exchange' : 'file' in source ? `the file ${source.file}` : 'env' in source ? `$${source.env}` : 'a command'
  process.stderr.write(`ips-depot: token from ${what}\n`)
  return new TokenProvider(source)
}

async function login (depot: string, values: { issuer?: string | undefined, browser?: boolean | undefined, 'client-credentials'?: boolean | undefined }): Promise<void> {
  const info = await depotLoginInfo(depot, values.issuer)
  const tell = (m: string): void => { process.stderr.write(m + '\n') }
  if (values['client-credentials']) {
    const id = process.env.IPS_DEPOT_CLIENT_ID
    const secret = process.env.IPS_DEPOT_CLIENT_SECRET
    if (!id || !secret) throw new Error('--client-credentials reads IPS_DEPOT_CLIENT_ID and IPS_DEPOT_CLIENT_SECRET')
    await clientCredentialsLogin(depot, info, id, secret)
  } else if (values.browser) {
    await browserLogin(depot, info, url => tell(`Open this address in a browser to log in:\n${url}`))
  } else {
    await deviceLogin(depot, info, tell)
  }
  tell(`logged in to ${depot} (issuer ${info.issuer})`)
}

async function main (argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      listen: { type: 'string' },
      data: { type: 'string' },
      replace: { type: 'boolean' },
      publisher: { type: 'string' },
      catalog: { type: 'boolean' },
      index: { type: 'boolean' },
      default: { type: 'boolean' },
      upstream: { type: 'string' },
      'token-file': { type: 'string' },
      'token-env': { type: 'string' },
      'token-command': { type: 'string' },
      'ci-token-file': { type: 'string' },
      'ci-token-env': { type: 'string' },
      issuer: { type: 'string' },
      browser: { type: 'boolean' },
      'client-credentials': { type: 'boolean' },
      depot: { type: 'string' },
      d: { type: 'string', multiple: true, short: 'd' }
    }
  })
  switch (command) {
    case 'serve':
      await serve(configFrom(values))
      return -1
    case 'import': {
      if (positionals.length !== 1) throw new Error(USAGE)
      await withRepository(configFrom(values), 'import', async repo => {
        const results = await importRepository(repo, positionals[0]!, { replace: values.replace ?? false, onProgress: progressPrinter() })
        for (const r of results) console.log(r.unchanged ? `${r.name}: already imported, unchanged` : `${r.name}: ${r.packages} packages, ${r.payloads} payloads`)
      })
      return 0
    }
    case 'rebuild': {
      await withRepository(configFrom(values), 'rebuild', repo => {
        // Neither flag means both, as `pkgrepo rebuild` without --no-index/--no-catalog.
        const both = !values.catalog && !values.index
        const done = rebuild(repo, { publisher: values.publisher ?? null, catalog: both || (values.catalog ?? false), index: both || (values.index ?? false) })
        console.log(`rebuilt ${done.join(', ')}`)
      })
      return 0
    }
    case 'add-publisher': {
      if (positionals.length !== 1) throw new Error(USAGE)
      await withRepository(configFrom(values), 'add-publisher', repo => {
        addPublisher(repo, positionals[0]!, values.default ?? false)
        console.log(`publisher ${positionals[0]} ready${values.default ? ' (default)' : ''}`)
      })
      return 0
    }
    case 'publish': {
      if (!values.depot || !values.publisher || positionals.length !== 1) throw new Error(USAGE)
      const fmri = await publishPackage({ depot: values.depot, publisher: values.publisher, manifest: positionals[0]!, protoDirs: values.d ?? [], tokens: tokens(values.depot, values) })
      console.log(`PUBLISHED\n${fmri}`)
      return 0
    }
    case 'auth-proxy': {
      if (!values.upstream) throw new Error(USAGE)
      const listen = parseListen(values.listen ?? '127.0.0.1:10081', '--listen')
      // The proxy adds a publisher's token to whatever reaches it: never listen beyond loopback.
      if (!['127.0.0.1', '::1', 'localhost'].includes(listen.host)) throw new Error('auth-proxy listens on loopback only')
      const server = await startAuthProxy(new URL(values.upstream), tokens(values.upstream, values), listen)
      const addr = server.address() as { port: number }
      console.log(`auth-proxy listening at http://${listen.host}:${addr.port}/ -> ${values.upstream}`)
      process.once('SIGINT', () => server.close())
      process.once('SIGTERM', () => server.close())
      return -1
    }
    case 'login': {
      if (!values.depot) throw new Error(USAGE)
      await login(values.depot, values)
      return 0
    }
    case 'logout': {
      if (!values.depot) throw new Error(USAGE)
      console.log(removeLogin(values.depot) ? `logged out of ${values.depot}` : `not logged in to ${values.depot}`)
      return 0
    }
    case 'whoami': {
      if (!values.depot) throw new Error(USAGE)
      const token = await tokens(values.depot, values).token()
      const res = await fetch(new URL('/api/v1/whoami', values.depot), { headers: { authorization: `Bearer ${token}` } })
      const body = await res.json() as { detail?: string, subject?: string, issuer?: string, admin?: boolean, publishers?: Record<string, string[]> }
      if (!res.ok) throw new Error(`whoami refused (${res.status}): ${body.detail ?? ''}`)
      console.log(`${body.subject} (issuer ${body.issuer})${body.admin ? ', admin' : ''}`)
      for (const [pub, actions] of Object.entries(body.publishers ?? {})) console.log(`  ${pub}: ${actions.join(', ')}`)
      if (Object.keys(body.publishers ?? {}).length === 0) console.log('  no publisher is granted to this identity')
      return 0
    }
    case 'keys': {
      const cfg = configFrom(values)
      const tokens = cfg.auth?.tokens
      if (positionals[0] !== 'rotate') throw new Error(USAGE)
      if (!tokens) throw new Error('[auth.tokens] is not configured: the depot issues no tokens of its own')
      const key = await new DepotIssuer(tokens, cfg.auth!.resource, path.join(cfg.storage.dataDir, 'keys')).store.rotate(tokens.algorithm)
      console.log(`new signing key ${key.kid} (${key.alg}); keys older than its predecessor's last tokens were removed`)
      return 0
    }
    case 'check-config': {
      const cfg = configFrom(values)
      console.log(`configuration OK: listen ${cfg.server.host}:${cfg.server.port}, data ${cfg.storage.dataDir}`)
      return 0
    }
    default:
      console.error(USAGE)
      return 2
  }
}

main(process.argv.slice(2)).then(code => { if (code >= 0) process.exitCode = code }, (err: Error) => {
  console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : `ips-depot: ${err.message}`)
  process.exitCode = 1
})
