/** Runs the built CLI as a child process, without blocking the depot that runs in the test process. */
import { spawn } from 'node:child_process'
import path from 'node:path'
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
