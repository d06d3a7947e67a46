/** Runs the built CLI as a child process, without blocking the depot that runs in the test process. */
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import type { Test } from 'tap'
import { ROOT } from './depot.js'

export const CLI = path.join(ROOT, 'dist/src/cli.js')

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

export interface ServingCli { readonly child: ChildProcess, readonly port: number, readonly exited: Promise<number | null> }

/** `ips-depot serve` on a loopback port the OS picks; the test's teardown kills it (kill -9) and waits for it. */
export async function spawnServe (t: Test, args: readonly string[]): Promise<ServingCli> {
  const child = spawn(process.execPath, [CLI, 'serve', '--listen', '127.0.0.1:0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
  t.teardown(async () => { child.kill('SIGKILL'); await exited })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', code => { reject(new Error(`serve exited with ${code}`)) })
  })
  return { child, port, exited }
}
