/**
 * Debian's varnishd as a test companion: one instance on loopback with a
 * VCL the caller gives, its working directory in a scratch prefix, run in
 * the foreground until stopped.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

export const VARNISHD = ['/usr/sbin/varnishd', '/usr/bin/varnishd'].find(p => fs.existsSync(p))
const VARNISHADM = ['/usr/bin/varnishadm', '/usr/sbin/varnishadm'].find(p => fs.existsSync(p))
const VARNISHSTAT = ['/usr/bin/varnishstat', '/usr/sbin/varnishstat'].find(p => fs.existsSync(p))

export interface RunningVarnish {
  /** The VCL compiled with `varnishd -C`: exit status and what it printed on error. */
  readonly check: { readonly status: number | null, readonly stderr: string }
  /** `varnishadm` against this instance. */
  admin (...args: string[]): string
  /** A counter of `varnishstat`, such as MAIN.backend_req. */
  counter (field: string): number
  /** SIGTERM, and waits for varnishd to exit (SIGKILL after 5 s). */
  stop (): Promise<void>
}

export async function startVarnish (prefix: string, vcl: string, port: number): Promise<RunningVarnish> {
  if (VARNISHD === undefined) throw new Error('varnishd is not installed')
  fs.mkdirSync(prefix, { recursive: true })
  const file = path.join(prefix, 'ips-depot.vcl')
  fs.writeFileSync(file, vcl)
  const workdir = path.join(prefix, 'varnish')
  const compiled = spawnSync(VARNISHD, ['-C', '-j', 'none', '-f', file, '-n', path.join(prefix, 'check')], { encoding: 'utf8', timeout: 60_000 })
  const check = { status: compiled.status, stderr: compiled.status === 0 ? '' : compiled.stderr }
  // -j none: no jail, so that it runs as the test's user, root or not.
  const child: ChildProcess = spawn(VARNISHD, ['-F', '-j', 'none', '-a', `127.0.0.1:${port}`, '-f', file, '-n', workdir, '-s', 'malloc,64m'], { stdio: 'ignore' })
  const exited = new Promise<void>(resolve => { child.once('exit', () => { resolve() }) })
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>(resolve => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true) }).on('error', () => resolve(false))
    })
    if (up) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return {
    check,
    admin: (...args) => {
      if (VARNISHADM === undefined) throw new Error('varnishadm is not installed')
      return spawnSync(VARNISHADM, ['-n', workdir, ...args], { encoding: 'utf8', timeout: 10_000 }).stdout
    },
    counter: field => {
      if (VARNISHSTAT === undefined) throw new Error('varnishstat is not installed')
      const out = spawnSync(VARNISHSTAT, ['-n', workdir, '-1', '-f', field], { encoding: 'utf8', timeout: 10_000 }).stdout
      return Number(new RegExp(`^${field.replace('.', '\\.')}\\s+(\\d+)`, 'm').exec(out)?.[1] ?? NaN)
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    }
  }
}
