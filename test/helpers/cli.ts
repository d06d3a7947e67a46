/** Runs the built CLI as a child process, without blocking the depot that runs in the test process. */
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import { ROOT, tempDir, writeConfig } from './depot.js'
import { LocalIssuer } from './issuer.js'
import { authSection } from './publishing-depot.js'

/**
 * The built CLI. A test that spawns it would otherwise test yesterday's
 * code without a word when run alone (`npx tap test/x.test.ts` does not
 * build, `npm test` does): a source newer than its build stops the test.
 */
export const CLI = builtCli()

function builtCli (): string {
  const stale: string[] = []
  for (const file of fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue
    const built = path.join(ROOT, 'dist/src', file.replace(/\.ts$/, '.js'))
    if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(path.join(ROOT, 'src', file)).mtimeMs) stale.push(`src/${file}`)
  }
  if (stale.length > 0) throw new Error(`dist/ is older than ${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ` and ${stale.length - 3} more` : ''}: run \`npm run build\` (npm test does) before the tests that spawn the CLI`)
  return path.join(ROOT, 'dist/src/cli.js')
}

/** A node option that starts the process `ms` later than now, as far as Date.now() can tell: the time a test cannot wait. */
export function clockMovedBy (ms: number): string {
  return `--import=data:text/javascript,${encodeURIComponent(`const now = Date.now; Date.now = () => now() + ${ms}`)}`
}

export interface CliResult { readonly code: number | null, readonly stdout: string, readonly stderr: string }

/** A command that has not exited after `timeoutMs` is killed: a failing test leaves no process behind. */
export function runCli (args: readonly string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.on('close', code => resolve({ code, stdout, stderr }))
  })
}

export interface ServingCli {
  readonly child: ChildProcess
  readonly port: number
  readonly exited: Promise<number | null>
  /** What the depot has written to stdout so far (its log, one JSON object per line at the default format). */
  readonly output: () => string
}

/**
 * `ips-depot serve` on a loopback port the OS picks; the test's teardown
 * kills it (kill -9) and waits for it. `nodeArgs` go to node before the
 * CLI (e.g. an `--import` that moves the depot's clock).
 */
export async function spawnServe (t: Test, args: readonly string[], nodeArgs: readonly string[] = []): Promise<ServingCli> {
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
  t.teardown(async () => { child.kill('SIGKILL'); await exited })
  let out = ''
  let err = ''
  child.stdout.on('data', (c: Buffer) => { out += c.toString() })
  child.stderr.on('data', (c: Buffer) => { err += c.toString() })
  const port = await new Promise<number>((resolve, reject) => {
    const seen = (): void => {
      const m = /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) { child.stdout.off('data', seen); resolve(Number(m[1])) }
    }
    child.stdout.on('data', seen)
    child.once('exit', code => { reject(new Error(`serve exited with ${code}: ${err.slice(0, 2000)}`)) })
  })
  return { child, port, exited, output: () => out }
}

export interface SpawnableDepot {
  readonly issuer: LocalIssuer
  /** The temporary directory: the config file, and the data in data/. */
  readonly dir: string
  readonly config: string
  /** A token for the publishers, valid for `seconds` (an hour unless given), with `scope` (depot:publish unless given). */
  token (seconds?: number, scope?: string): Promise<string>
}

/**
 * A data directory and config for `ips-depot serve --config`: a local
 * issuer, publishing on, the publishers added (the first the default).
 * The issuer and the directory are removed in the test's teardown.
 */
export async function prepareDepot (t: Test, opts: { publishers?: readonly string[], extraConfig?: string } = {}): Promise<SpawnableDepot> {
  const issuer = await LocalIssuer.start()
  await issuer.addKey('k1')
  const dir = tempDir()
  t.teardown(async () => { await issuer.close(); fs.rmSync(dir, { recursive: true, force: true }) })
  const config = writeConfig(dir, `${authSection(issuer.url)}\n${opts.extraConfig ?? ''}`)
  const publishers = opts.publishers ?? ['test']
  for (const [i, pub] of publishers.entries()) await runCli(['add-publisher', pub, ...(i === 0 ? ['--default'] : []), '--config', config])
  return {
    issuer,
    dir,
    config,
    token: async (seconds = 3600, scope = 'depot:publish') => await issuer.sign({ aud: 'https://depot.test', scope, depot_publishers: [...publishers], exp: Math.floor(Date.now() / 1000) + seconds })
  }
}
