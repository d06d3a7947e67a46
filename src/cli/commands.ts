/** Every `ips-depot` command: its usage, options and what it runs. */
import fs from 'node:fs'
import path from 'node:path'
import { startAuthProxy } from '../auth-proxy.js'
import { type DepotConfig, parseListen } from '../config.js'
import { ConfigError } from '../errors.js'
import { CATALOG_FORMATS, type CatalogFormat } from '../ips/catalog.js'
import { removeLogin } from '../login/credentials.js'
import type { TokenFlags, TokenProvider } from '../login/token-source.js'
import { type Command, type Options, UsageError, type Values } from './command.js'
import { configFile, configFrom, progressPrinter } from './config-file.js'

// What a command runs is loaded when it runs: `--help` and a usage error need none of it,
// and each command loads only its own (the database, Fastify, jose), so the CLI starts quickly.
const dataDir = async (): Promise<typeof import('./data-dir.js')> => await import('./data-dir.js')
const store = {
  audit: async () => await import('../store/audit.js'),
  backup: async () => await import('../store/backup.js'),
  dataLock: async () => await import('../store/data-lock.js'),
  import: async () => await import('../store/import.js'),
  list: async () => await import('../store/list.js'),
  payloadBackends: async () => await import('../store/payload-backends.js'),
  payloadMigrate: async () => await import('../store/payload-migrate.js'),
  payloadReferences: async () => await import('../store/payload-references.js'),
  publish: async () => await import('../store/publish.js'),
  rebuild: async () => await import('../store/rebuild.js'),
  remove: async () => await import('../store/remove.js'),
  verify: async () => await import('../store/verify.js')
}

const CONFIG: Options = { config: { type: 'string' }, data: { type: 'string' } }
const CONFIG_HELP = `  --config FILE   the configuration (else $IPS_DEPOT_CONFIG, else ./depot.config.toml)
  --data DIR      the data directory, instead of the configuration's storage.data_dir`
const TOKEN: Options = {
  'token-file': { type: 'string' },
  'token-env': { type: 'string' },
  'token-command': { type: 'string' },
  'ci-token-file': { type: 'string' },
  'ci-token-env': { type: 'string' }
}
const TOKEN_HELP = `token options (at most one; without one: the stored login for the depot, then a
trusted-publishing exchange in GitHub Actions, then $IPS_DEPOT_TOKEN):
  --token-file F       a file holding a depot token
  --token-env VAR      an environment variable holding one
  --token-command CMD  a command that prints one (run with /bin/sh -c)
  --ci-token-file F    a CI ID token in a file, exchanged for a depot token
  --ci-token-env VAR   a CI ID token in a variable, exchanged for a depot token`

/** What check-config sees beyond the file itself: a data directory the depot can write, a seed repository that exists. */
function checkPaths (cfg: DepotConfig): string[] {
  const problems: string[] = []
  const { dataDir, seedRepository } = cfg.storage
  // The data directory, or the nearest existing directory it would be created in.
  let dir = dataDir
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir)
  try {
    if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`)
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK)
  } catch (err) {
    problems.push(`storage.data_dir: ${dataDir} cannot be written (${(err as NodeJS.ErrnoException).code === undefined ? (err as Error).message : `${dir}: ${(err as NodeJS.ErrnoException).code!}`})`)
  }
  if (seedRepository !== null && !fs.existsSync(path.join(seedRepository, 'pkg5.repository'))) {
    problems.push(`storage.seed_repository: ${seedRepository} is not a pkg5 repository (no pkg5.repository file)`)
  }
  return problems
}

const BESIDE_HELP = `Works beside a serving depot: the catalog it serves changes at once, and it deletes
the released payload files within seconds (it owns the data directory). On a
stopped depot this command deletes them itself.`

function collectionNote (released: number, owner: boolean, collected: number): string {
  if (released === 0) return 'no payload was released: every one is still needed'
  return owner ? `${collected} payload file(s) no package needs any more deleted` : `${released} payload file(s) no package needs any more: the serving depot deletes them`
}

const str = (v: Values[string]): string | undefined => typeof v === 'string' ? v : undefined
const bool = (v: Values[string]): boolean => v === true
const configFlags = (v: Values): { config?: string, data?: string, listen?: string } => ({ config: str(v.config), data: str(v.data), listen: str(v.listen) } as never)

/** Prints the source a CLI took its token from (never the token): a surprise here is a support ticket saved. */
async function tokens (depot: string, values: Values): Promise<TokenProvider> {
  const { chooseTokenSource, TokenProvider } = await import('../login/token-source.js')
  const source = chooseTokenSource(depot, values as TokenFlags)
  const what = 'login' in source ? 'the stored login' : 'exchange' in source ? 'a trusted-publishing exchange' : 'file' in source ? `the file ${source.file}` : 'env' in source ? `$${source.env}` : 'a command'
  process.stderr.write(`ips-depot: token from ${what}\n`)
  return new TokenProvider(source)
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'serve',
    summary: 'Serve the repository: the pkg(5) depot protocol, the REST API, and metrics if [metrics] is set.',
    synopsis: '[--config FILE] [--listen HOST:PORT] [--data DIR]',
    details: `${CONFIG_HELP}\n  --listen HOST:PORT  instead of server.listen`,
    options: { ...CONFIG, listen: { type: 'string' } },
    async run (v) {
      const flags = configFlags(v)
      const { serve } = await import('./serve.js')
      await serve(configFrom(flags), configFile(flags))
      return null
    }
  },
  {
    name: 'import',
    summary: 'Import a pkg5 file repository (version 4) without changing a byte of it.',
    synopsis: 'DIR [--replace] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --replace       replace publishers already imported from elsewhere`,
    options: { ...CONFIG, replace: { type: 'boolean' } },
    args: ['DIR'],
    async run (v, [dir]) {
      const [{ withRepository }, { importRepository }] = await Promise.all([dataDir(), store.import()])
      await withRepository(configFrom(configFlags(v)), 'import', async repo => {
        const results = await importRepository(repo, dir!, { replace: bool(v.replace), onProgress: progressPrinter() })
        for (const r of results) console.log(r.unchanged ? `${r.name}: already imported, unchanged` : `${r.name}: ${r.packages} packages, ${r.payloads} payloads`)
      })
      return 0
    }
  },
  {
    name: 'rebuild',
    summary: 'Regenerate the catalog and the search index from the catalog of record (SQLite).',
    synopsis: '[--publisher NAME] [--catalog] [--index] [--catalog-format utf8|legacy] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --publisher NAME  only this publisher\n  --catalog, --index  only that part (neither: both)\n  --catalog-format F  convert the catalog to format F (utf8: OmniOS's; legacy: ASCII-escaped); clients fetch it whole once`,
    options: { ...CONFIG, publisher: { type: 'string' }, catalog: { type: 'boolean' }, index: { type: 'boolean' }, 'catalog-format': { type: 'string' } },
    async run (v) {
      const format = str(v['catalog-format']) as CatalogFormat | undefined
      if (format !== undefined && !(CATALOG_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--catalog-format takes ${CATALOG_FORMATS.join(' or ')}, not '${format}'`, this)
      const [{ withRepository }, { rebuild }] = await Promise.all([dataDir(), store.rebuild()])
      await withRepository(configFrom(configFlags(v)), 'rebuild', repo => {
        // Neither flag means both, as `pkgrepo rebuild` without --no-index/--no-catalog.
        const both = !bool(v.catalog) && !bool(v.index)
        const done = rebuild(repo, { publisher: str(v.publisher) ?? null, catalog: both || bool(v.catalog), index: both || bool(v.index), catalogFormat: format })
        console.log(`rebuilt ${done.join(', ')}`)
      })
      return 0
    }
  },
  {
    name: 'add-publisher',
    summary: 'Create an empty publisher.',
    synopsis: 'NAME [--default] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --default       make it the default publisher`,
    options: { ...CONFIG, default: { type: 'boolean' } },
    args: ['NAME'],
    async run (v, [name]) {
      const [{ withRepository }, { addPublisher }] = await Promise.all([dataDir(), store.publish()])
      const cfg = configFrom(configFlags(v))
      await withRepository(cfg, 'add-publisher', repo => {
        addPublisher(repo, name!, bool(v.default), cfg.publish.catalogFormat)
        console.log(`publisher ${name!} ready${bool(v.default) ? ' (default)' : ''}`)
      })
      return 0
    }
  },
  {
    name: 'login',
    summary: 'Log in to a depot through its issuer and store the token (device flow unless told otherwise).',
    synopsis: '--depot URL [--browser | --client-credentials] [--issuer URL]',
    details: '  --browser             authorization code + PKCE in a browser\n  --client-credentials  a machine login: IPS_DEPOT_CLIENT_ID and IPS_DEPOT_CLIENT_SECRET\n  --issuer URL          which of the depot\'s issuers, when it has several',
    options: { depot: { type: 'string' }, browser: { type: 'boolean' }, 'client-credentials': { type: 'boolean' }, issuer: { type: 'string' } },
    required: ['depot'],
    async run (v) {
      const depot = str(v.depot)!
      const { browserLogin, clientCredentialsLogin, deviceLogin, depotLoginInfo } = await import('../login/oauth.js')
      const info = await depotLoginInfo(depot, str(v.issuer))
      const tell = (m: string): void => { process.stderr.write(m + '\n') }
      if (bool(v['client-credentials'])) {
        const id = process.env.IPS_DEPOT_CLIENT_ID
        const secret = process.env.IPS_DEPOT_CLIENT_SECRET
        if (!id || !secret) throw new Error('--client-credentials reads IPS_DEPOT_CLIENT_ID and IPS_DEPOT_CLIENT_SECRET')
        await clientCredentialsLogin(depot, info, id, secret)
      } else if (bool(v.browser)) {
        await browserLogin(depot, info, url => tell(`Open this address in a browser to log in:\n${url}`))
      } else {
        await deviceLogin(depot, info, tell)
      }
      tell(`logged in to ${depot} (issuer ${info.issuer})`)
      return 0
    }
  },
  {
    name: 'logout',
    summary: 'Forget the stored login for a depot.',
    synopsis: '--depot URL',
    options: { depot: { type: 'string' } },
    required: ['depot'],
    async run (v) {
      const depot = str(v.depot)!
      console.log(removeLogin(depot) ? `logged out of ${depot}` : `not logged in to ${depot}`)
      return 0
    }
  },
  {
    name: 'whoami',
    summary: 'Show the identity a depot sees in your token, and what it grants.',
    synopsis: '--depot URL [TOKEN OPTION]',
    details: TOKEN_HELP,
    options: { depot: { type: 'string' }, ...TOKEN },
    required: ['depot'],
    async run (v) {
      const depot = str(v.depot)!
      const token = await (await tokens(depot, v)).token()
      const res = await fetch(new URL('/api/v1/whoami', depot), { headers: { authorization: `Bearer ${token}` } })
      const body = await res.json() as { detail?: string, subject?: string, issuer?: string, admin?: boolean, publishers?: Record<string, string[]> }
      if (!res.ok) throw new Error(`whoami refused (${res.status}): ${body.detail ?? ''}`)
      console.log(`${body.subject} (issuer ${body.issuer})${body.admin ? ', admin' : ''}`)
      for (const [pub, actions] of Object.entries(body.publishers ?? {})) console.log(`  ${pub}: ${actions.join(', ')}`)
      if (Object.keys(body.publishers ?? {}).length === 0) console.log('  no publisher is granted to this identity')
      return 0
    }
  },
  {
    name: 'publish',
    summary: 'Publish a pkgsend-style manifest and its payloads over the REST API.',
    synopsis: '--depot URL --publisher NAME [-d DIR]... MANIFEST [TOKEN OPTION]',
    details: `  -d DIR          where the manifest's file paths are found (repeatable)\n${TOKEN_HELP}`,
    options: { depot: { type: 'string' }, publisher: { type: 'string' }, d: { type: 'string', multiple: true, short: 'd' }, ...TOKEN },
    args: ['MANIFEST'],
    required: ['depot', 'publisher'],
    async run (v, [manifest]) {
      const depot = str(v.depot)!
      const { publishPackage } = await import('../publish-cli.js')
      const fmri = await publishPackage({ depot, publisher: str(v.publisher)!, manifest: manifest!, protoDirs: (v.d as string[] | undefined) ?? [], tokens: await tokens(depot, v) })
      console.log(`PUBLISHED\n${fmri}`)
      return 0
    }
  },
  {
    name: 'auth-proxy',
    summary: 'A loopback proxy that adds your token to every request, for the stock pkgsend and pkgrecv.',
    synopsis: '--upstream URL [--listen 127.0.0.1:PORT] [TOKEN OPTION]',
    details: `  --listen HOST:PORT  loopback only; 127.0.0.1:10081 unless given\n${TOKEN_HELP}`,
    options: { upstream: { type: 'string' }, listen: { type: 'string' }, ...TOKEN },
    required: ['upstream'],
    async run (v) {
      const upstream = str(v.upstream)!
      const listen = parseListen(str(v.listen) ?? '127.0.0.1:10081', '--listen')
      // The proxy adds a publisher's token to whatever reaches it: never listen beyond loopback.
      if (!['127.0.0.1', '::1', 'localhost'].includes(listen.host)) throw new Error('auth-proxy listens on loopback only')
      const server = await startAuthProxy(new URL(upstream), await tokens(upstream, v), listen)
      const addr = server.address() as { port: number }
      console.log(`auth-proxy listening at http://${listen.host}:${addr.port}/ -> ${upstream}`)
      process.once('SIGINT', () => server.close())
      process.once('SIGTERM', () => server.close())
      return null
    }
  },
  {
    name: 'keys',
    summary: 'Manage the signing keys of the depot\'s own tokens: `keys rotate` adds one and removes retired ones.',
    synopsis: 'rotate [--config FILE] [--data DIR]',
    details: CONFIG_HELP,
    options: CONFIG,
    args: ['rotate'],
    async run (v, [sub]) {
      if (sub !== 'rotate') throw new Error(`unknown keys subcommand '${sub!}': the one there is, is rotate`)
      const cfg = configFrom(configFlags(v))
      const t = cfg.auth?.tokens
      if (!t) throw new Error('[auth.tokens] is not configured: the depot issues no tokens of its own')
      const { DepotIssuer } = await import('../auth/depot-issuer.js')
      const key = await new DepotIssuer(t, cfg.auth!.resource, path.join(cfg.storage.dataDir, 'keys')).store.rotate(t.algorithm)
      console.log(`new signing key ${key.kid} (${key.alg}); keys older than its predecessor's last tokens were removed`)
      return 0
    }
  },
  {
    name: 'list',
    summary: 'List the package versions in the catalog, as pkgrepo list: newest first, o for obsolete, r for renamed.',
    synopsis: '[--publisher NAME] [PATTERN...] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --publisher NAME  only this publisher\n  PATTERN         pkg(5) patterns: a stem or its tail, * and ? globs, @version\n\nReads the database without its lock: it works beside a serving depot.`,
    options: { ...CONFIG, publisher: { type: 'string' } },
    args: ['PATTERN...?'],
    async run (v, patterns) {
      const [{ withReader }, { listPackages }] = await Promise.all([dataDir(), store.list()])
      const listed = withReader(configFrom(configFlags(v)), db => listPackages(db, str(v.publisher) ?? null, patterns))
      if (listed.length === 0 && patterns.length > 0) throw new Error(`no packages match ${patterns.join(' ')}`)
      const widths = [Math.max(9, ...listed.map(l => l.publisher.length)), Math.max(4, ...listed.map(l => l.stem.length))]
      console.log(`${'PUBLISHER'.padEnd(widths[0]!)} ${'NAME'.padEnd(widths[1]!)} O VERSION`)
      for (const l of listed) console.log(`${l.publisher.padEnd(widths[0]!)} ${l.stem.padEnd(widths[1]!)} ${(l.state || ' ')} ${l.version}`)
      return 0
    }
  },
  {
    name: 'remove',
    summary: 'Remove package versions, as pkgrepo remove: logged in the catalog so clients refresh incrementally, gone from search, and the payloads no package needs any more collected.',
    synopsis: 'PATTERN... [--publisher NAME] [-n] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --publisher NAME  only this publisher (else every publisher)\n  -n, --dry-run   list what would be removed, change nothing\n  PATTERN         pkg(5) patterns, as for list; each must match, or nothing is removed\n\n${BESIDE_HELP}`,
    options: { ...CONFIG, publisher: { type: 'string' }, 'dry-run': { type: 'boolean', short: 'n' } },
    args: ['PATTERN...'],
    async run (v, patterns) {
      const [{ withWriter }, { packagesToRemove, removePackages, settleRemoval }] = await Promise.all([dataDir(), store.remove()])
      await withWriter(configFrom(configFlags(v)), 'remove', async (repo, owner) => {
        const packages = packagesToRemove(repo.db, str(v.publisher) ?? null, patterns)
        const fmris = packages.map(p => `pkg://${p.publisher}/${p.stem}@${p.version}`)
        if (bool(v['dry-run'])) {
          console.log(`${packages.length} package(s) will be removed:\n${fmris.map(f => `\t${f}`).join('\n')}`)
          return
        }
        const removal = removePackages(repo.db, packages)
        const collected = await settleRemoval(repo, owner)
        for (const f of fmris) console.log(`removed ${f}`)
        console.log(collectionNote(removal.unreferenced, owner, collected))
      })
      return 0
    }
  },
  {
    name: 'remove-publisher',
    summary: 'Remove publishers with all their packages, as pkgrepo remove-publisher; their payloads go unless another publisher\'s packages need them.',
    synopsis: 'NAME... [-n] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  -n, --dry-run   say what would be removed, change nothing\n\nThe default publisher passes to the only publisher left, else is unset.\n\n${BESIDE_HELP}`,
    options: { ...CONFIG, 'dry-run': { type: 'boolean', short: 'n' } },
    args: ['NAME...'],
    async run (v, names) {
      const [{ withWriter }, { removePublishers, settleRemoval }, { matchPackages }] = await Promise.all([dataDir(), store.remove(), store.list()])
      await withWriter(configFrom(configFlags(v)), 'remove-publisher', async (repo, owner) => {
        if (bool(v['dry-run'])) {
          for (const name of names) console.log(`'${name}'\t(${matchPackages(repo.db, name, []).matches.length} package version(s))`)
          return
        }
        const removal = removePublishers(repo.db, names)
        const collected = await settleRemoval(repo, owner)
        console.log(`removed ${names.join(', ')}: ${removal.packages.length} package version(s)`)
        console.log(collectionNote(removal.unreferenced, owner, collected))
        console.log(`the default publisher is ${removal.defaultPublisher ?? 'unset'}`)
      })
      return 0
    }
  },
  {
    name: 'audit',
    summary: 'Show the audit log: every authorization decision, allowed or refused, with who asked and why.',
    synopsis: '[--since TIME|AGE] [--publisher NAME] [--json] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --since T       an ISO 8601 time, or an age: 90m, 24h, 7d\n  --publisher P   decisions about this publisher\n  --json          one JSON object per line\n\nReads the database without its lock: it works beside a serving depot.`,
    options: { ...CONFIG, since: { type: 'string' }, publisher: { type: 'string' }, json: { type: 'boolean' } },
    async run (v) {
      const [{ withReader }, { parseSince, readAudit }] = await Promise.all([dataDir(), store.audit()])
      const since = str(v.since) === undefined ? null : parseSince(str(v.since)!)
      const entries = withReader(configFrom(configFlags(v)), db => readAudit(db, { since, publisher: str(v.publisher) ?? null }))
      for (const e of entries) {
        console.log(bool(v.json) ? JSON.stringify(e) : `${e.at} ${e.result.padEnd(11)} ${e.action.padEnd(7)} ${e.publisher ?? '-'} ${e.subject ?? '-'} (${e.issuer ?? 'no token'})${e.detail === null ? '' : `: ${e.detail}`}`)
      }
      return 0
    }
  },
  {
    name: 'verify',
    summary: 'Check the repository as pkgrepo verify does: catalog signatures, manifest SHA-1s, every payload\'s chash, content hash and size.',
    synopsis: '[--publisher NAME] [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --publisher NAME  only this publisher\n\nExits 1 and lists every damage found. Takes the data directory's lock: verify a stopped depot, or a restored backup.`,
    options: { ...CONFIG, publisher: { type: 'string' } },
    async run (v) {
      const [{ withRepository }, { verifyRepository }] = await Promise.all([dataDir(), store.verify()])
      const report = await withRepository(configFrom(configFlags(v)), 'verify', async repo => await verifyRepository(repo, str(v.publisher) ?? null))
      for (const d of report.damage) console.log(`DAMAGED ${d.publisher}: ${d.what}: ${d.problem}`)
      console.log(`verified ${report.publishers.join(', ')}: ${report.catalogFiles} catalog files, ${report.packages} packages, ${report.payloads} payloads: ${report.damage.length === 0 ? 'no damage' : `${report.damage.length} damaged`}`)
      return report.damage.length === 0 ? 0 : 1
    }
  },
  {
    name: 'backup',
    summary: 'Copy the repository into DEST while the depot serves and publishes: a consistent snapshot of the catalog of record, and the payloads DEST lacks.',
    synopsis: 'DEST [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n\nBacking up into the same DEST again copies only the payloads published since.`,
    options: CONFIG,
    args: ['DEST'],
    async run (v, [dest]) {
      const cfg = configFrom(configFlags(v))
      const [{ backup }, { openPayloadBackend }] = await Promise.all([store.backup(), store.payloadBackends()])
      const payloads = await openPayloadBackend(cfg.storage.payloads, cfg.storage.dataDir)
      let r: Awaited<ReturnType<typeof backup>>
      try { r = await backup(cfg.storage.dataDir, payloads, path.resolve(dest!)) } finally { payloads.close() }
      console.log(`backed up ${cfg.storage.dataDir} into ${path.resolve(dest!)}: database ${r.databaseBytes} bytes, ${r.copied} payloads copied, ${r.present} already there`)
      if (r.missing.length > 0) throw new Error(`${r.missing.length} payloads the catalog references are missing from ${cfg.storage.dataDir}: ${r.missing.slice(0, 5).join(', ')}`)
      return 0
    }
  },
  {
    name: 'payloads',
    summary: 'Move the payloads of the file store into the bucket [storage.payloads] configures, while the depot serves.',
    synopsis: 'migrate --to s3 [--config FILE] [--data DIR]',
    details: `${CONFIG_HELP}\n  --to s3         copy every payload the catalog references from <data>/file into the bucket\n\nRun it with the depot still serving from its files, then restart the depot with [storage.payloads]\nbackend = "s3": as it starts, it copies what was published in between. Payloads already in the\nbucket are not copied again, so the command may be run again at any time.`,
    options: { ...CONFIG, to: { type: 'string' } },
    args: ['migrate'],
    required: ['to'],
    async run (v, [action]) {
      if (action !== 'migrate') throw new UsageError(`unknown action '${action!}' (the one action is migrate)`, this)
      if (str(v.to) !== 's3') throw new UsageError(`--to takes s3, not '${str(v.to)!}'`, this)
      const cfg = configFrom(configFlags(v))
      if (cfg.storage.payloads.backend !== 's3') throw new ConfigError('storage.payloads.backend', 'must be "s3", with the bucket to migrate to')
      const [{ withReader }, { openPayloadBackend }, { migrateFileStore }, { referencedPayloads }] = await Promise.all([dataDir(), store.payloadBackends(), store.payloadMigrate(), store.payloadReferences()])
      const hashes = withReader(cfg, referencedPayloads)
      const bucket = await openPayloadBackend(cfg.storage.payloads, cfg.storage.dataDir)
      try {
        const m = await migrateFileStore(hashes, cfg.storage.dataDir, bucket)
        console.log(`${m.from} -> ${m.to}: ${m.referenced} payloads referenced, ${m.copied} copied, ${m.present} already there`)
        if (m.missing.length > 0) throw new Error(`${m.missing.length} payloads the catalog references are in neither store: ${m.missing.slice(0, 5).join(', ')}`)
      } finally {
        bucket.close()
      }
      return 0
    }
  },
  {
    name: 'restore',
    summary: 'Bring a backup back into an empty data directory (the depot must not be running on it).',
    synopsis: 'SRC [--config FILE] [--data DIR]',
    details: CONFIG_HELP,
    options: CONFIG,
    args: ['SRC'],
    async run (v, [src]) {
      const cfg = configFrom(configFlags(v))
      const [{ withRepository }, { restore }, { DataDirLock }, { openPayloadBackend }] = await Promise.all([dataDir(), store.backup(), store.dataLock(), store.payloadBackends()])
      // A refused restore (no backup there, a link, a damaged payload) leaves no data directory it created.
      const created = !fs.existsSync(cfg.storage.dataDir)
      let r: Awaited<ReturnType<typeof restore>>
      try {
        const lock = DataDirLock.acquire(cfg.storage.dataDir, 'restore')
        const payloads = await openPayloadBackend(cfg.storage.payloads, cfg.storage.dataDir)
        try { r = await restore(path.resolve(src!), cfg.storage.dataDir, payloads) } finally { payloads.close(); lock.release() }
      } catch (err) {
        if (created) fs.rmSync(cfg.storage.dataDir, { recursive: true, force: true })
        throw err
      }
      // Opening it applies the schema migrations a backup from an older version needs.
      await withRepository(cfg, 'restore', () => {})
      console.log(`restored ${path.resolve(src!)} into ${cfg.storage.dataDir}: database ${r.databaseBytes} bytes, ${r.checked} payloads checked against their names, ${r.copied} copied`)
      if (r.missing.length > 0) throw new Error(`${r.missing.length} payloads the catalog references are missing from the backup: ${r.missing.slice(0, 5).join(', ')}`)
      return 0
    }
  },
  {
    name: 'check-config',
    summary: 'Check the configuration and say where the depot would listen and keep its data.',
    synopsis: '[--config FILE]',
    details: '  --config FILE   the configuration (else $IPS_DEPOT_CONFIG, else ./depot.config.toml)',
    options: { config: { type: 'string' } },
    async run (v) {
      const flags = configFlags(v)
      const cfg = configFrom(flags)
      const problems = checkPaths(cfg)
      if (problems.length > 0) throw new ConfigError('storage', problems.join('\n  '))
      console.log(`configuration OK (${configFile(flags)}): listen ${cfg.server.host}:${cfg.server.port}, data ${cfg.storage.dataDir}`)
      return 0
    }
  }
]
