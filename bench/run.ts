/**
 * npm run bench: the depot's read path against a ceiling measured in the
 * same run (Fastify replying from memory with the same bytes), on
 * loopback, with autocannon. Writes BENCHMARKS.md.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { makeRepository } from './make-repo.js'
import { publishBench, type PublishResult } from './publish.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const DURATION = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)

async function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    }).on('error', reject)
  })
}

async function waitForHttp (url: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    try { if ((await fetch(url)).ok) return } catch { /* not yet */ }
    await new Promise(r => setTimeout(r, 100))
  }
  throw new Error(`${url} did not come up`)
}

function rssMiB (child: ChildProcess): number {
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024
}

interface Row { name: string, reqs: number, mbs: number, p50: number, p99: number, errors: number }

async function load (name: string, url: string, headers: Record<string, string> = {}): Promise<Row> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION, headers })
  return { name, reqs: r.requests.average, mbs: r.throughput.average / 1024 / 1024, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx }
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-depot-bench-'))
const repoDir = path.join(work, 'repo')
// Enough packages and actions for search to be measured on a real-sized index (tens of thousands of actions).
const SEARCH_PACKAGES = Number(process.env.BENCH_SEARCH_PACKAGES ?? 3000)
const filler = Array.from({ length: SEARCH_PACKAGES }, (_, i) => ({ stem: `bench/filler/pkg${i}`, payloadSizes: Array.from({ length: 8 }, (_, j) => 32 + ((i * 8 + j) % 200)) }))
const { payloads } = makeRepository(repoDir, 'bench', [{ stem: 'bench/small', payloadSizes: [4096] }, { stem: 'bench/large', payloadSizes: [1048576] }, ...filler])

const depotPort = await freePort()
const config = path.join(work, 'depot.config.toml')
fs.writeFileSync(config, `[server]\nlisten = "127.0.0.1:${depotPort}"\nbody_limit = 1048576\nmax_headers = 100\ntrust_proxy = false\n[storage]\ndata_dir = "data"\nseed_repository = "repo"\n[cache]\nmemory_bytes = 67108864\nsmall_payload_bytes = 262144\n[log]\nlevel = "warn"\n`)
const depot = spawn(process.execPath, [path.join(ROOT, 'dist/src/cli.js'), 'serve', '--config', config], { stdio: 'inherit' })
const base = `http://127.0.0.1:${depotPort}`
await waitForHttp(`${base}/versions/0/`)

const manifestPath = '/bench/manifest/0/bench%2Fsmall@1.0%2C5.11-0.1%3A20260101T000000Z'
const targets: Array<[string, string]> = [
  ['catalog.attrs', '/bench/catalog/1/catalog.attrs'],
  ['catalog part (summary)', '/bench/catalog/1/catalog.summary.C'],
  ['manifest', manifestPath],
  ['payload 4 KiB', `/bench/file/1/${payloads.get(4096)!}`],
  ['payload 1 MiB', `/bench/file/1/${payloads.get(1048576)!}`]
]
const bodies: Record<string, [string, string]> = {}
for (const [, p] of targets) {
  const res = await fetch(base + p)
  bodies[p] = [res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()).toString('base64')]
}
const bodiesFile = path.join(work, 'bodies.json')
fs.writeFileSync(bodiesFile, JSON.stringify(bodies))
const ceilingPort = await freePort()
const ceiling = fork(path.join(ROOT, 'dist/bench/ceiling.js'), [bodiesFile, String(ceilingPort)], { stdio: 'inherit' })
await new Promise(resolve => ceiling.once('message', resolve))

const rows: Array<{ depot: Row, ceiling: Row, bytes: number }> = []
try {
  for (const [name, p] of targets) {
    const d = await load(name, base + p)
    const c = await load(name, `http://127.0.0.1:${ceilingPort}${p}`)
    rows.push({ depot: d, ceiling: c, bytes: Buffer.from(bodies[p]![1], 'base64').length })
    console.log(`${name}: depot ${d.reqs.toFixed(0)} req/s, ceiling ${c.reqs.toFixed(0)} req/s, ratio ${(d.reqs / c.reqs * 100).toFixed(0)}%`)
  }
  const searches: Array<[string, string]> = [
    ['search: one term', `${base}/bench/search/1/False_2_None_None_pkg1234`],
    ['search: field query', `${base}/bench/search/1/False_2_None_None_%3Afile%3Abasename%3A9000`],
    ['search: glob, packages', `${base}/bench/search/1/False_1_None_None_pkg12%2A`],
    ['search: two terms AND', `${base}/bench/search/1/False_1_None_None_benchmark%20AND%20pkg42`]
  ]
  const searchRows: Row[] = []
  for (const [name, url] of searches) {
    const r = await load(name, url)
    searchRows.push(r)
    console.log(`${name}: ${r.reqs.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`)
  }
  const publishRows: PublishResult[] = []
  for (const versions of [10, Number(process.env.BENCH_LARGE_VERSIONS ?? 100_000)]) {
    const r = await publishBench(ROOT, work, await freePort(), versions)
    publishRows.push(r)
    console.log(`publish into ${versions} versions: p50 ${r.p50.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, ${r.perSecond.toFixed(1)}/s (import ${r.importSeconds.toFixed(0)} s)`)
  }
  const z = await load('catalog part, zstd', `${base}/bench/catalog/1/catalog.summary.C`, { 'Accept-Encoding': 'zstd' })
  const zres = await fetch(`${base}/bench/catalog/1/catalog.summary.C`, { headers: { 'Accept-Encoding': 'zstd' } })
  const zbytes = Number(zres.headers.get('content-length'))
  const rss = rssMiB(depot)
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  const md = [
    '# Benchmarks',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, \`npm run bench\` (${DURATION} s per target, ${CONNECTIONS} connections, autocannon on loopback).`,
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    '',
    'Ceiling: plain Fastify replying from memory with the same bytes, measured in the same run. Ratio = depot req/s ÷ ceiling req/s.',
    '',
    '| target | bytes | depot req/s | depot MB/s | p50 ms | p99 ms | ceiling req/s | ratio | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(r => `| ${r.depot.name} | ${r.bytes} | ${r.depot.reqs.toFixed(0)} | ${r.depot.mbs.toFixed(1)} | ${r.depot.p50} | ${r.depot.p99} | ${r.ceiling.reqs.toFixed(0)} | ${(r.depot.reqs / r.ceiling.reqs * 100).toFixed(0)}% | ${r.depot.errors} |`),
    `| catalog part with Accept-Encoding: zstd | ${zbytes} | ${z.reqs.toFixed(0)} | ${z.mbs.toFixed(1)} | ${z.p50} | ${z.p99} | – | – | ${z.errors} |`,
    '',
    `Search on a synthetic catalog of ${SEARCH_PACKAGES + 2} packages (${(SEARCH_PACKAGES * 8 + 2)} file actions), in the search worker:`,
    '',
    '| query | req/s | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|',
    ...searchRows.map(r => `| ${r.name} | ${r.reqs.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} |`),
    '',
    'Publishing: 30 sequential REST publishes (one small payload each) into a depot whose catalog already holds N versions (loaded through the importer at start):',
    '',
    '| versions in the catalog | import at start, s | one publish p50 ms | p90 ms | publishes/s |',
    '|---:|---:|---:|---:|---:|',
    ...publishRows.map(r => `| ${r.versions} | ${r.importSeconds.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.perSecond.toFixed(1)} |`),
    '',
    `Depot RSS after the run: ${rss.toFixed(0)} MiB. zstd catalog part: ${zbytes} of ${rows[1]!.bytes} bytes (${(zbytes / rows[1]!.bytes * 100).toFixed(1)}%).`,
    ''
  ].join('\n')
  fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), md)
  console.log(md)
} finally {
  depot.kill('SIGTERM')
  ceiling.kill('SIGTERM')
  fs.rmSync(work, { recursive: true, force: true })
}
