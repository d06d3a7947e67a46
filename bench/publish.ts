/**
 * Publish benchmark: sequential REST publishes into a depot whose catalog
 * already holds a given corpus, to show what one publish costs as the
 * catalog grows. The depot imports `seed` into `dataDir` at start unless
 * it holds it already.
 */
import { type ChildProcess, execFile, fork, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { LocalIssuer } from '../test/helpers/issuer.js'

export interface PublishResult {
  readonly versions: number
  readonly startSeconds: number
  readonly p50: number
  readonly p90: number
  readonly perSecond: number
  /** A publish followed at once by catalog.attrs, which waits for the seal that lists it: its stem sorting first in the catalog, and last. */
  readonly visibleP50: number
  readonly visibleLastP50: number
  /** An admin rebuild of the catalog, and the slowest catalog.attrs a reader polling meanwhile got. */
  readonly rebuildSeconds: number
  readonly slowestReadDuringRebuild: number
  /** A 48 MiB pkg(5) add/0 upload (hashed and compressed at level 9 by the depot), and the slowest catalog.attrs a reader polling meanwhile got. */
  readonly uploadSeconds: number
  readonly slowestReadDuringUpload: number
  /** The depot's highest RSS through all of the above, and through each phase (started, publishing, reading parts, rebuilding, uploading). */
  readonly peakRssMiB: number
  readonly phaseRssMiB: Readonly<Record<Phase, number>>
  /** Bytes of one incremental client refresh after the publishes: catalog.attrs and the newest update log. */
  readonly incrementalRefresh: { readonly zstd: number, readonly raw: number }
}

export const PHASES = ['started', 'publishing', 'reading', 'rebuilding', 'uploading'] as const
type Phase = typeof PHASES[number]

export function rssMiB (child: ChildProcess): number {
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

export async function waitForHttp (url: string, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    try { if ((await fetch(url)).ok) return } catch { /* starting */ }
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not come up`)
}

/** The configuration a benchmark depot runs with; `extra` appends sections. */
export function depotConfigToml (port: number, dataDir: string, seed: string, extra = ''): string {
  return `[server]\nlisten = "127.0.0.1:${port}"\nbody_limit = 67108864\nmax_headers = 100\ntrust_proxy = false\n[storage]\ndata_dir = "${dataDir}"\nseed_repository = "${seed}"\n[cache]\nmemory_bytes = 67108864\nsmall_payload_bytes = 1048576\n[log]\nlevel = "warn"\n${extra}`
}

/** A depot config with publishing on, trusting a local issuer; written beside `dataDir`. */
export async function publishingConfig (o: { dataDir: string, seed: string, port: number }): Promise<{ config: string, issuer: LocalIssuer, token: () => Promise<string> }> {
  const issuer = await LocalIssuer.start()
  await issuer.addKey('k1')
  const config = path.join(o.dataDir, '..', `publish-${o.port}.toml`)
  fs.writeFileSync(config, depotConfigToml(o.port, o.dataDir, o.seed, `[auth]\nresource = "https://depot.bench"\n[[auth.issuers]]\nid = "bench"\nissuer = "${issuer.url}"\naudiences = ["https://depot.bench"]\nalgorithms = ["RS256"]\ntoken_type = "at+jwt"\nscopes_claim = "/scope"\npublishers_claim = "/depot_publishers"\n[auth.issuers.actions]\npublish = ["depot:publish"]\nrebuild = ["depot:rebuild"]\n`))
  const token = async (): Promise<string> => await issuer.sign({ aud: 'https://depot.bench', scope: 'depot:publish depot:rebuild', depot_publishers: ['bench'], exp: Math.floor(Date.now() / 1000) + 3600 })
  return { config, issuer, token }
}

/** One REST publish of a small package into publisher bench. */
export async function publishOne (port: number, token: string, stem: string, tag: string): Promise<void> {
  const content = Buffer.from(`bench payload ${tag}\n`)
  const form = new FormData()
  form.append('manifest', `set name=pkg.fmri value=${stem}@1.0\nset name=pkg.summary value="published by the benchmark"\nfile ${sha1(content)} path=opt/${stem} mode=0444 owner=root group=bin\n`)
  form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/publishers/bench/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${await res.text()}`)
}

export async function publishBench (root: string, o: { dataDir: string, seed: string, port: number, versions: number, publishes?: number }): Promise<PublishResult> {
  const publishes = o.publishes ?? 30
  const { config, issuer, token: sign } = await publishingConfig(o)
  const started = Date.now()
  const depot: ChildProcess = spawn(process.execPath, [path.join(root, 'dist/src/cli.js'), 'serve', '--config', config], { stdio: 'inherit' })
  try {
    await waitForHttp(`http://127.0.0.1:${o.port}/versions/0/`, 1800)
    const startSeconds = (Date.now() - started) / 1000
    const phaseRssMiB: Record<Phase, number> = { started: 0, publishing: 0, reading: 0, rebuilding: 0, uploading: 0 }
    let phase: Phase = 'started'
    const sample = (): void => { try { phaseRssMiB[phase] = Math.max(phaseRssMiB[phase], rssMiB(depot)) } catch { /* the depot has exited */ } }
    const sampler = setInterval(sample, 100).unref()
    const enter = (next: Phase): void => { sample(); phase = next }
    sample()
    enter('publishing')
    const token = await sign()
    const versionCount = async (): Promise<number> => {
      const attrs = await (await fetch(`http://127.0.0.1:${o.port}/bench/catalog/1/catalog.attrs`)).json() as { 'package-version-count': number }
      return attrs['package-version-count']
    }
    const times: number[] = []
    const t0 = Date.now()
    for (let i = 0; i < publishes; i++) {
      const s = performance.now()
      await publishOne(o.port, token, `bench/new/pkg${i}`, `${o.versions} ${i}`)
      times.push(performance.now() - s)
    }
    const total = (Date.now() - t0) / 1000
    // The seal hashes each part from the first page a publish changed: a stem sorting first rehashes it all, one sorting last almost nothing.
    const visibly = async (stem: (i: number) => string): Promise<number[]> => {
      const visible: number[] = []
      let count = await versionCount()
      for (let i = 0; i < 10; i++) {
        const s = performance.now()
        await publishOne(o.port, token, stem(i), `${o.versions} ${stem(i)}`)
        const now = await versionCount()
        if (now !== count + 1) throw new Error(`catalog.attrs lists ${now} versions after a publish into ${count}`)
        visible.push(performance.now() - s)
        count = now
      }
      return visible
    }
    const visible = await visibly(i => `bench/new/pkg${publishes + i}`)
    const visibleLast = await visibly(i => `zzz/last/pkg${i}`)
    const p = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!
    enter('reading')
    const incrementalRefresh = await incrementalRefreshBytes(`http://127.0.0.1:${o.port}`)
    await readParts(`http://127.0.0.1:${o.port}`)
    enter('rebuilding')
    const rebuild = await rebuildWhileReading(`http://127.0.0.1:${o.port}`, token)
    enter('uploading')
    const upload = await uploadWhileReading(`http://127.0.0.1:${o.port}`, token)
    sample()
    clearInterval(sampler)
    const peakRssMiB = Math.max(...Object.values(phaseRssMiB))
    return { versions: o.versions, startSeconds, p50: p(times, 0.5), p90: p(times, 0.9), perSecond: publishes / total, visibleP50: p(visible, 0.5), visibleLastP50: p(visibleLast, 0.5), ...rebuild, ...upload, peakRssMiB, phaseRssMiB, incrementalRefresh }
  } finally {
    depot.kill('SIGTERM')
    await new Promise(resolve => depot.once('exit', resolve))
    await issuer.close()
  }
}

/**
 * What a client's incremental refresh transfers after these publishes:
 * catalog.attrs and the newest hourly update log (fetched whole, as the
 * client does), with zstd and without.
 */
async function incrementalRefreshBytes (base: string): Promise<{ zstd: number, raw: number }> {
  const size = async (name: string, coding: string): Promise<number> => {
    const res = await fetch(`${base}/bench/catalog/1/${name}`, { headers: { 'Accept-Encoding': coding } })
    await res.arrayBuffer()
    return Number(res.headers.get('content-length'))
  }
  const attrs = await (await fetch(`${base}/bench/catalog/1/catalog.attrs`)).json() as { updates: Record<string, unknown> }
  const newest = Object.keys(attrs.updates).sort().at(-1)
  const names = ['catalog.attrs', ...(newest === undefined ? [] : [newest])]
  let zstd = 0
  let raw = 0
  for (const n of names) { zstd += await size(n, 'zstd'); raw += await size(n, 'identity') }
  return { zstd, raw }
}

/**
 * Every part, whole, by 8 clients at once and then zstd- and gzip-encoded:
 * a part is served from the pages the depot holds anyway, so the peak RSS
 * should not grow with the readers.
 */
async function readParts (base: string): Promise<void> {
  const attrs = await (await fetch(`${base}/bench/catalog/1/catalog.attrs`)).json() as { parts: Record<string, unknown> }
  for (const part of Object.keys(attrs.parts)) {
    const url = `${base}/bench/catalog/1/${part}`
    await Promise.all(Array.from({ length: 8 }, async () => { await (await fetch(url, { headers: { 'Accept-Encoding': 'identity' } })).arrayBuffer() }))
    for (const coding of ['zstd', 'gzip']) await (await fetch(url, { headers: { 'Accept-Encoding': coding } })).arrayBuffer()
  }
}

/** Starts an admin rebuild of the catalog and reads catalog.attrs until it is done: the depot must go on answering meanwhile. */
async function rebuildWhileReading (base: string, token: string): Promise<{ rebuildSeconds: number, slowestReadDuringRebuild: number }> {
  const authorization = `Bearer ${token}`
  const started = performance.now()
  const res = await fetch(`${base}/api/v1/publishers/bench/rebuild?catalog=true&index=false`, { method: 'POST', headers: { authorization } })
  if (res.status !== 202) throw new Error(`rebuild refused: ${res.status} ${await res.text()}`)
  const { id } = await res.json() as { id: string }
  let slowest = 0
  for (;;) {
    const read = performance.now()
    await (await fetch(`${base}/bench/catalog/1/catalog.attrs`)).arrayBuffer()
    slowest = Math.max(slowest, performance.now() - read)
    const { state } = await (await fetch(`${base}/api/v1/jobs/${id}`)).json() as { state: string }
    if (state === 'failed') throw new Error('the rebuild failed')
    if (state === 'done') break
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  return { rebuildSeconds: (performance.now() - started) / 1000, slowestReadDuringRebuild: slowest }
}

/** Sends a large add/0 (raw content the depot must hash and compress) while a reader in another process polls catalog.attrs. */
async function uploadWhileReading (base: string, token: string): Promise<{ uploadSeconds: number, slowestReadDuringUpload: number }> {
  const headers = { authorization: `Bearer ${token}`, 'client-release': '5.11' }
  const opened = await fetch(`${base}/open/0/pkg:%2F%2Fbench%2Fbench%2Fupload%401.0`, { headers })
  const id = opened.headers.get('transaction-id')
  if (opened.status !== 200 || id === null) throw new Error(`open refused: ${opened.status} ${await opened.text()}`)
  // Text that deflates slowly at level 9, as real binaries do.
  let x = 1
  const content = Buffer.alloc(48 * 1024 * 1024)
  for (let i = 0; i < content.length; i++) { x = (x * 1103515245 + 12345) >>> 0; content[i] = 0x41 + (x >>> 27) }
  const reader = fork(fileURLToPath(new URL('./poll.js', import.meta.url)), [`${base}/bench/catalog/1/catalog.attrs`])
  const report = new Promise<{ slowest: number, reads: number }>((resolve, reject) => {
    reader.on('message', m => { if (m !== 'ready') resolve(m as { slowest: number, reads: number }) })
    reader.once('exit', code => { reject(new Error(`the reader exited with ${code}`)) })
  })
  await new Promise(resolve => reader.once('message', resolve))
  // curl sends it, as pkgsend's libcurl would: the client's own CPU stays out of the way of the depot's.
  const body = path.join(os.tmpdir(), `ips-depot-bench-upload-${process.pid}`)
  fs.writeFileSync(body, content)
  const started = performance.now()
  const status = await new Promise<string>((resolve, reject) => {
    execFile('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '--data-binary', `@${body}`, '-H', `Authorization: ${headers.authorization}`,
      '-H', 'Content-Type: application/octet-stream', '-H', 'X-IPkg-SetAttr0: path=opt/bench/upload', '-H', 'X-IPkg-SetAttr1: mode=0444', '-H', 'X-IPkg-SetAttr2: owner=root', '-H', 'X-IPkg-SetAttr3: group=bin',
      `${base}/add/0/${id}/file`], (err, out) => { if (err) reject(err); else resolve(out) })
  }).finally(() => { fs.rmSync(body, { force: true }) })
  const uploadSeconds = (performance.now() - started) / 1000
  reader.send('stop')
  const { slowest, reads } = await report
  if (status !== '200') throw new Error(`add/0 refused: ${status}`)
  if (reads === 0) throw new Error('the reader got no answer during the upload')
  await fetch(`${base}/abandon/0/${id}`, { headers })
  return { uploadSeconds, slowestReadDuringUpload: slowest }
}
