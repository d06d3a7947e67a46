/**
 * Recovery point and recovery time with deploy/litestream/litestream.yml:
 * a depot whose catalog already holds a corpus is replicated by Litestream
 * (the binary from npm) to a file replica while packages are published;
 * then the depot and Litestream are killed together, the replica is
 * restored into a new data directory beside the same payload store, and
 * the depot is started on it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { publishingConfig, publishOne, waitForHttp } from './publish.js'

export interface RecoveryResult {
  readonly versions: number
  readonly databaseMiB: number
  /** From starting Litestream to its first snapshot in the replica. */
  readonly snapshotSeconds: number
  readonly acknowledged: number
  readonly missing: number
  /** How long before the loss the oldest missing publish was acknowledged: the recovery point. */
  readonly recoveryPointMs: number
  readonly restoreSeconds: number
  /** The restored depot's start, until /readyz answers 200. */
  readonly startSeconds: number
}

const PUBLISH_SECONDS = 10

export async function recoveryBench (root: string, o: { dataDir: string, seed: string, port: number, versions: number }): Promise<RecoveryResult> {
  const litestream = path.join(root, `node_modules/@flydotio/litestream-${process.platform}-${process.arch}/litestream`)
  const work = path.dirname(o.dataDir)
  const replica = path.join(work, `replica-${o.port}`)
  const restored = path.join(work, `restored-${o.port}`)
  const lsConfig = path.join(work, `litestream-${o.port}.yml`)
  fs.writeFileSync(lsConfig, fs.readFileSync(path.join(root, 'deploy/litestream/litestream.yml'), 'utf8').replaceAll('@DATA@', o.dataDir).replaceAll('@REPLICA@', replica))
  const { config, issuer, token: sign } = await publishingConfig(o)
  const cli = path.join(root, 'dist/src/cli.js')
  const children: ChildProcess[] = []
  const run = (cmd: string, args: string[]): { child: ChildProcess, exited: Promise<unknown>, output: () => string } => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(child)
    let out = ''
    for (const s of [child.stdout!, child.stderr!]) s.on('data', (c: Buffer) => { out += c.toString() })
    return { child, exited: new Promise(resolve => child.once('exit', resolve)), output: () => out }
  }
  try {
    const depot = run(process.execPath, [cli, 'serve', '--config', config])
    await waitForHttp(`http://127.0.0.1:${o.port}/readyz`, 1800)
    const started = performance.now()
    const replicate = run(litestream, ['replicate', '-config', lsConfig])
    while (!/snapshot written/.test(replicate.output())) {
      if (replicate.child.exitCode !== null) throw new Error(`litestream exited: ${replicate.output()}`)
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const snapshotSeconds = (performance.now() - started) / 1000

    const token = await sign()
    const acked: Array<{ stem: string, at: number }> = []
    const until = Date.now() + PUBLISH_SECONDS * 1000
    for (let i = 0; Date.now() < until; i++) {
      await publishOne(o.port, token, `bench/rpo/p${i}`, `rpo ${i}`)
      acked.push({ stem: `bench/rpo/p${i}`, at: Date.now() })
    }
    const lostAt = Date.now()
    depot.child.kill('SIGKILL')
    replicate.child.kill('SIGKILL')
    await Promise.all([depot.exited, replicate.exited])

    fs.mkdirSync(restored)
    fs.symlinkSync(path.join(o.dataDir, 'file'), path.join(restored, 'file'))
    const restoring = performance.now()
    const restore = spawnSync(litestream, ['restore', '-config', lsConfig, '-o', path.join(restored, 'depot.sqlite'), path.join(o.dataDir, 'depot.sqlite')], { encoding: 'utf8' })
    if (restore.status !== 0) throw new Error(`litestream restore: ${restore.stderr}`)
    const restoreSeconds = (performance.now() - restoring) / 1000

    const db = new Database(path.join(restored, 'depot.sqlite'), { readonly: true })
    const listed = new Set(db.prepare("SELECT stem FROM package WHERE publisher = 'bench' AND stem LIKE 'bench/rpo/%'").pluck().all() as string[])
    db.close()
    const missing = acked.filter(a => !listed.has(a.stem))

    const starting = performance.now()
    const back = run(process.execPath, [cli, 'serve', '--config', config, '--data', restored])
    await waitForHttp(`http://127.0.0.1:${o.port}/readyz`, 1800)
    const startSeconds = (performance.now() - starting) / 1000
    back.child.kill('SIGTERM')
    await back.exited
    return {
      versions: o.versions,
      databaseMiB: fs.statSync(path.join(restored, 'depot.sqlite')).size / 1048576,
      snapshotSeconds,
      acknowledged: acked.length,
      missing: missing.length,
      recoveryPointMs: missing.length === 0 ? 0 : lostAt - Math.min(...missing.map(m => m.at)),
      restoreSeconds,
      startSeconds
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await issuer.close()
    for (const dir of [replica, restored]) fs.rmSync(dir, { recursive: true, force: true })
  }
}
