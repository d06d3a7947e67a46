/**
 * npm run bench: the depot on loopback against ceilings measured in the
 * same run, on synthetic corpora shaped like real repositories
 * (bench/corpus.ts), and writes BENCHMARKS.md.
 *
 *  - read path on the S corpus: depot vs Fastify replying from memory with
 *    the same bytes, and vs nginx sendfile for payloads (when installed);
 *  - search of every query shape on the S and L corpora, at 1 and 100 connections;
 *  - catalog.attrs with the access log at info (the shipped setting);
 *  - the L corpus (229k versions, metadata only): import, catalog
 *    generation, full catalog sizes, RSS serving every part in every
 *    encoding, 100 concurrent connections;
 *  - one publish into a small catalog and into L;
 *  - the read path through Varnish (deploy/varnish) in front of the S depot.
 *
 *  - recovery with Litestream (deploy/litestream) at S and at L: the
 *    recovery point and the recovery time.
 *
 * BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_SKIP_L=1 and BENCH_SKIP_RECOVERY=1 shorten a run.
 */
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateCorpus } from './corpus.js'
import { load, LOAD_TOOL, type LoadResult } from './load.js'
import { attackBench, attackTable, CLIENT_TIMEOUT_SECONDS, L_SHAPES, ONE_TERM, S_SHAPES, SEARCH_BENCH_TOML, searchBench, type SearchRow, searchTable, TIMED_RUNS } from './search.js'
import { attackGoal, firstResultGoal, type Goal, goalsTable, linesPerSecondGoal, searchErrorsGoal, searchGoal } from './goals.js'
import { NGINX, startPayloadNginx } from './nginx.js'
import { freePort } from '../test/helpers/nginx.js'
import { startVarnish, VARNISHD } from '../test/helpers/varnish.js'
import { depotConfigToml, PHASES, publishBench, type PublishResult, rssMiB, waitForHttp } from './publish.js'
import { recoveryBench, type RecoveryResult } from './recovery.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const SKIP_L = process.env.BENCH_SKIP_L === '1'
const SKIP_RECOVERY = process.env.BENCH_SKIP_RECOVERY === '1'
const READ_ROUNDS = 3
const CLI = path.join(ROOT, 'dist/src/cli.js')

function depotConfig (work: string, name: string, port: number, dataDir: string, seed: string): string {
  const file = path.join(work, `${name}.toml`)
  // Search is measured from many clients (X-Forwarded-For, trusted here) and without its answer cache: see bench/search.ts.
  fs.writeFileSync(file, depotConfigToml(port, dataDir, seed, SEARCH_BENCH_TOML).replace('trust_proxy = false', 'trust_proxy = true'))
  return file
}

/** The web pages the bench loads at L: the publisher page in both orders, near the start and deep in, filtered, and a package page. */
function webPages (base: string, stem: string): Array<[string, string]> {
  const pkg = stem.split('/').map(encodeURIComponent).join('/')
  return [
    ['overview', `${base}/`],
    ['publisher, by name, first page', `${base}/bench/packages`],
    ['publisher, by name, from the middle (keyset)', `${base}/bench/packages?after=${encodeURIComponent(stem)}`],
    ['publisher, by last publish, first page', `${base}/bench/packages?sort=published`],
    ['publisher, by last publish, offset 3,000', `${base}/bench/packages?sort=published&offset=3000`],
    ['publisher, glob filter', `${base}/bench/packages?name=${encodeURIComponent('*component-59*')}`],
    ['package (its versions, dependencies, dependents)', `${base}/bench/package/${pkg}`],
    ['feed', `${base}/bench/feed`]
  ]
}

/** The median time of 20 first requests for a page: each URL differs by a parameter the page ignores, so none is served from the page cache. */
async function renderMs (url: string): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 20; i++) {
    const started = performance.now()
    const res = await fetch(`${url}${url.includes('?') ? '&' : '?'}render=${i}`)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`)
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[10]!
}

async function serve (config: string, base: string, stdout: 'inherit' | number = 'inherit'): Promise<{ child: ChildProcess, seconds: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, [CLI, 'serve', '--config', config], { stdio: ['ignore', stdout, 'inherit'] })
  await waitForHttp(`${base}/versions/0/`, 1800)
  return { child, seconds: (Date.now() - started) / 1000 }
}

async function stop (child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  await new Promise(resolve => child.once('exit', resolve))
}

const timed = <T>(f: () => T): [T, number] => { const s = performance.now(); const r = f(); return [r, (performance.now() - s) / 1000] }
const fmt = (n: number, digits = 0): string => Number.isFinite(n) ? n.toFixed(digits) : '–'
const fmtMiB = (bytes: number): string => bytes < 1048576 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ips-depot-bench-'))
const md: string[] = []
const goals: Goal[] = []
const allSearchRows: SearchRow[] = []
try {
  // --- S corpus: the read path and search ---------------------------------
  console.log('generating the S corpus…')
  const [s, sGen] = timed(() => generateCorpus(path.join(work, 'repo-S'), 'bench', 'S'))
  const sPort = await freePort()
  const sBase = `http://127.0.0.1:${sPort}`
  const sDepot = await serve(depotConfig(work, 'S', sPort, path.join(work, 'data-S'), path.join(work, 'repo-S')), sBase)
  console.log(`S: ${s.versions} versions, ${s.payloads} payloads, generated in ${sGen.toFixed(0)} s, imported in ${sDepot.seconds.toFixed(0)} s`)

  const bySize = [...s.samplePayloads].sort((a, b) => Math.abs(a.size - 4096) - Math.abs(b.size - 4096))
  const small = bySize[0]!
  const large = [...s.samplePayloads].sort((a, b) => b.size - a.size)[0]!
  const m = s.sampleManifests[0]!
  const targets: Array<[string, string]> = [
    ['catalog.attrs', '/bench/catalog/1/catalog.attrs'],
    ['catalog part (catalog.base.C)', '/bench/catalog/1/catalog.base.C'],
    ['manifest', `/bench/manifest/0/${encodeURIComponent(m.stem)}@${encodeURIComponent(m.version)}`],
    [`payload ${small.size} B`, `/bench/file/1/${small.hash}`],
    [`payload ${large.size} B`, `/bench/file/1/${large.hash}`]
  ]
  const bodies: Record<string, [string, string]> = {}
  for (const [, p] of targets) {
    const res = await fetch(sBase + p)
    if (!res.ok) throw new Error(`${p}: ${res.status}`)
    bodies[p] = [res.headers.get('content-type')!, Buffer.from(await res.arrayBuffer()).toString('base64')]
  }
  const bodiesFile = path.join(work, 'bodies.json')
  fs.writeFileSync(bodiesFile, JSON.stringify(bodies))
  const ceilingPort = await freePort()
  const ceiling = fork(path.join(ROOT, 'dist/bench/ceiling.js'), [bodiesFile, String(ceilingPort)], { stdio: 'inherit' })
  await new Promise(resolve => ceiling.once('message', resolve))
  const nginxPort = await freePort()
  const nginx = await startPayloadNginx(work, path.join(work, 'data-S', 'file'), nginxPort)
  const opts = { connections: CONNECTIONS, seconds: SECONDS }
  type Round = { depot: LoadResult, ceiling: LoadResult, nginx: LoadResult | null }
  const rounds = targets.map((): Round[] => [])
  try {
    // Rounds interleave the targets, so a slow spell of the shared machine falls on one round of each rather than on every round of one.
    for (let round = 1; round <= READ_ROUNDS; round++) {
      for (const [i, [name, p]] of targets.entries()) {
        const depot = await load(name, sBase + p, opts)
        const ceiling = await load(name, `http://127.0.0.1:${ceilingPort}${p}`, opts)
        const viaNginx = nginx !== null && p.includes('/file/') ? await load(name, `http://127.0.0.1:${nginxPort}${p}`, opts) : null
        rounds[i]!.push({ depot, ceiling, nginx: viaNginx })
        console.log(`round ${round}, ${name}: depot ${fmt(depot.reqs)} req/s, Fastify ${fmt(ceiling.reqs)}${viaNginx ? `, nginx ${fmt(viaNginx.reqs)}` : ''}`)
      }
    }
  } finally {
    ceiling.kill('SIGTERM')
    nginx?.stop()
  }
  /** Per target, the round whose depot ÷ ceiling ratio is the median, and every round's ratio. */
  const ratioOf = (r: Round): number => r.depot.reqs / (r.nginx ?? r.ceiling).reqs
  const rows = targets.map(([, p], i) => {
    const sorted = [...rounds[i]!].sort((a, b) => ratioOf(a) - ratioOf(b))
    return { ...sorted[Math.floor(sorted.length / 2)]!, ratios: rounds[i]!.map(ratioOf), bytes: Buffer.from(bodies[p]![1], 'base64').length }
  })
  const zstdPart = await load('catalog part, Accept-Encoding: zstd', `${sBase}/bench/catalog/1/catalog.base.C`, { ...opts, headers: { 'Accept-Encoding': 'zstd' } })

  const searchRows = await searchBench(sBase, S_SHAPES, SECONDS)
  allSearchRows.push(...searchRows)
  const sAttack = await attackBench(sBase, ONE_TERM, SECONDS)
  const ratioGoal = (goal: string, row: typeof rows[number], against: 'Fastify' | 'nginx', target: number, why: string): Goal => {
    const ceiling = against === 'nginx' ? row.nginx : row.ceiling
    const ratio = ceiling === null ? NaN : row.depot.reqs / ceiling.reqs
    return { goal, target: `≥ ${target}% of ${against}`, measured: `${fmt(ratio * 100)}% (${fmt(row.depot.reqs)} against ${fmt(ceiling?.reqs ?? NaN)} req/s)`, met: ratio * 100 >= target, why }
  }
  const headersWhy = 'from a profile, what a request costs beyond the ceiling\'s: nine more response headers (three security headers, a request id, the validators, caching, ranges, Vary), Fastify\'s per-request child logger and request id, the async hooks of the auth and protocol plugins; Node\'s writev, the largest item, is the same in both'
  goals.push(
    ratioGoal('catalog.attrs (read path, S, median of 3 rounds)', rows[0]!, 'Fastify', 70, headersWhy),
    ratioGoal('manifest (read path, S, median of 3 rounds)', rows[2]!, 'Fastify', 70, headersWhy),
    ratioGoal(`payload ${rows[3]!.bytes} B (read path, S, median of 3 rounds)`, rows[3]!, 'nginx', 50, `nginx answers ${fmt((rows[3]!.nginx?.reqs ?? NaN) / rows[3]!.ceiling.reqs, 1)}× as many requests as Fastify replying from memory: 50% of nginx is ${fmt(50 * (rows[3]!.nginx?.reqs ?? NaN) / rows[3]!.ceiling.reqs)}% of the Fastify ceiling, which the depot reaches ${fmt(rows[3]!.depot.reqs / rows[3]!.ceiling.reqs * 100)}% of`),
    searchGoal('S', searchRows, 10),
    attackGoal('S', sAttack)
  )
  // --- Through Varnish: deploy/varnish/ips-depot.vcl in front of the same depot ---
  const varnishRows: Array<{ direct: LoadResult, cached: LoadResult, reachedDepot: number }> = []
  if (VARNISHD !== undefined) {
    const vPort = await freePort()
    const vcl = fs.readFileSync(path.join(ROOT, 'deploy/varnish/ips-depot.vcl'), 'utf8').replaceAll('@DEPOT_HOST@', '127.0.0.1').replaceAll('@DEPOT_PORT@', String(sPort))
    const varnish = await startVarnish(path.join(work, 'varnish'), vcl, vPort)
    try {
      await waitForHttp(`http://127.0.0.1:${vPort}/versions/0/`, 60)
      for (const [i, [name, p]] of targets.entries()) {
        const before = varnish.counter('MAIN.backend_req')
        const cached = await load(name, `http://127.0.0.1:${vPort}${p}`, opts)
        varnishRows.push({ direct: rows[i]!.depot, cached, reachedDepot: varnish.counter('MAIN.backend_req') - before })
        console.log(`${name} through Varnish: ${fmt(cached.reqs)} req/s, ${varnishRows.at(-1)!.reachedDepot} requests reached the depot`)
      }
    } finally {
      await varnish.stop()
    }
  }

  const sRss = rssMiB(sDepot.child)
  await stop(sDepot.child)
  // The shipped configuration logs every request at info: the same depot again, its access log written to a file.
  const sInfoConfig = path.join(work, 'S-info.toml')
  fs.writeFileSync(sInfoConfig, fs.readFileSync(path.join(work, 'S.toml'), 'utf8').replace('level = "warn"', 'level = "info"'))
  const infoDepot = await serve(sInfoConfig, sBase, fs.openSync(path.join(work, 'access.log'), 'w'))
  const attrsAtInfo = await load('catalog.attrs, access log at info', `${sBase}/bench/catalog/1/catalog.attrs`, opts)
  await stop(infoDepot.child)
  const accessLines = fs.readFileSync(path.join(work, 'access.log'), 'utf8').split('\n').filter(l => l.includes('"url":"/bench/catalog/1/catalog.attrs"')).length
  const recoveryRows: RecoveryResult[] = []
  if (!SKIP_RECOVERY) recoveryRows.push(await recoveryBench(ROOT, { dataDir: path.join(work, 'data-S'), seed: path.join(work, 'repo-S'), port: await freePort(), versions: s.versions }))

  const partSizes = async (base: string): Promise<{ raw: number, zstd: number, gzip: number }> => {
    const sizes = { raw: 0, zstd: 0, gzip: 0 }
    const attrs = await (await fetch(`${base}/bench/catalog/1/catalog.attrs`)).json() as { parts: Record<string, unknown> }
    for (const part of Object.keys(attrs.parts)) {
      for (const [coding, key] of [['identity', 'raw'], ['zstd', 'zstd'], ['gzip', 'gzip']] as const) {
        // fetch() decodes gzip itself: count what went over the wire.
        const res = await fetch(`${base}/bench/catalog/1/${part}`, { headers: { 'Accept-Encoding': coding } })
        await res.arrayBuffer()
        sizes[key] += Number(res.headers.get('content-length'))
      }
    }
    return sizes
  }

  md.push(
    '# Benchmarks',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, \`npm run bench\` (${LOAD_TOOL} on loopback, ${SECONDS} s per target, ${CONNECTIONS} connections; load generator and servers share the machine).`,
    `Machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}.`,
    '',
    `## Read path (corpus S: ${s.stems} stems, ${s.versions} versions, ${s.fileActions} file actions, ${s.payloads} payloads of ${(s.payloadBytes / 1048576).toFixed(0)} MiB; generated in ${sGen.toFixed(0)} s, imported in ${sDepot.seconds.toFixed(0)} s)`,
    '',
    'Ceilings, in the same run: plain Fastify replying from memory with the same bytes, and nginx serving the payload store with sendfile' + (NGINX === undefined ? ' (not installed: skipped)' : '') + '.',
    '',
    `Each target ran ${READ_ROUNDS} rounds, the targets interleaved; each row is the round with the median ratio against its ceiling (nginx for payloads, Fastify otherwise), and "every round" lists the three ratios.`,
    '',
    '| target | bytes | depot req/s | MB/s | p50 ms | p99 ms | Fastify req/s | depot ÷ Fastify | nginx req/s | nginx MB/s | depot ÷ nginx | every round | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
    ...rows.map(r => `| ${r.depot.name} | ${r.bytes} | ${fmt(r.depot.reqs)} | ${fmt(r.depot.mbs, 1)} | ${fmt(r.depot.p50, 2)} | ${fmt(r.depot.p99, 2)} | ${fmt(r.ceiling.reqs)} | ${fmt(r.depot.reqs / r.ceiling.reqs * 100)}% | ${r.nginx ? fmt(r.nginx.reqs) : '–'} | ${r.nginx ? fmt(r.nginx.mbs, 1) : '–'} | ${r.nginx ? `${fmt(r.depot.reqs / r.nginx.reqs * 100)}%` : '–'} | ${r.ratios.map(x => `${fmt(x * 100)}%`).join(', ')} | ${r.depot.errors} |`),
    `| ${zstdPart.name} | – | ${fmt(zstdPart.reqs)} | ${fmt(zstdPart.mbs, 1)} | ${fmt(zstdPart.p50, 2)} | ${fmt(zstdPart.p99, 2)} | – | – | – | – | – | – | ${zstdPart.errors} |`,
    `| ${attrsAtInfo.name} | ${rows[0]!.bytes} | ${fmt(attrsAtInfo.reqs)} | ${fmt(attrsAtInfo.mbs, 1)} | ${fmt(attrsAtInfo.p50, 2)} | ${fmt(attrsAtInfo.p99, 2)} | ${fmt(rows[0]!.ceiling.reqs)} | ${fmt(attrsAtInfo.reqs / rows[0]!.ceiling.reqs * 100)}% | – | – | – | – | ${attrsAtInfo.errors} |`,
    '',
    `The rows above run with \`[log] level = "warn"\`. The last row restarts the same depot at \`info\`, the shipped setting, which writes an access-log line per request (asynchronously, to a file here): ${accessLines} lines for its ${fmt(attrsAtInfo.reqs * SECONDS)} requests. Its ceiling ratio is against the first row's Fastify run.`,
    '',
    `Depot RSS after the read-path and search runs: ${sRss.toFixed(0)} MiB.`,
    '',
    '## Through Varnish (corpus S)',
    '',
    VARNISHD === undefined
      ? 'varnish is not installed: skipped.'
      : `\`deploy/varnish/ips-depot.vcl\` (Debian's varnish) in front of the same depot, the same ${CONNECTIONS} connections for ${SECONDS} s per target. "Reached the depot" counts Varnish's backend requests during the run: for catalog.attrs these are the ETag revalidations (a 304 without a body each), for the rest the first fetch only.`,
    '',
    ...(VARNISHD === undefined
      ? []
      : [
          '| target | direct req/s | through Varnish req/s | Varnish ÷ direct | p50 ms | p99 ms | reached the depot | errors |',
          '|---|---:|---:|---:|---:|---:|---:|---:|',
          ...varnishRows.map(r => `| ${r.cached.name} | ${fmt(r.direct.reqs)} | ${fmt(r.cached.reqs)} | ${fmt(r.cached.reqs / r.direct.reqs * 100)}% | ${fmt(r.cached.p50, 2)} | ${fmt(r.cached.p99, 2)} | ${r.reachedDepot} | ${r.cached.errors} |`)
        ]),
    '',
    '## Search (corpus S, in the search workers)',
    '',
    `Each query timed ${TIMED_RUNS} times in a row by a client (the median time to the chunk holding the first result line, and to the last byte; "result lines/s" is results ÷ that last), then loaded for ${SECONDS} s at 1 connection, then at 100 (wrk, waiting up to ${CLIENT_TIMEOUT_SECONDS} s for a response, as the pkg client does; "errors" are non-2xx answers and responses that took longer); "results" counts the result lines. The 100 connections are 100 clients: each request carries an X-Forwarded-For of its own, which the bench's depot trusts; one address holding 100 connections would be served one search at a time (search.per_client). The depot runs with search.cache_bytes = 0, so every request is searched. The index: postings of a term dictionary (schema/014).`,
    '',
    ...searchTable(searchRows),
    '',
    ...attackTable('S', sAttack),
    ''
  )

  // --- L corpus: scale and memory ------------------------------------------
  const publishRows: PublishResult[] = []
  const tinyDir = path.join(work, 'repo-tiny')
  generateCorpus(tinyDir, 'bench', 'custom', 1, { stems: 10, minVersions: 1, maxVersions: 1, payloads: false, maxFiles: 0, maxPayloadBytes: 0 })
  publishRows.push(await publishBench(ROOT, { dataDir: path.join(work, 'data-tiny'), seed: tinyDir, port: await freePort(), versions: 10 }))
  if (!SKIP_L) {
    console.log('generating the L corpus…')
    const [l, lGen] = timed(() => generateCorpus(path.join(work, 'repo-L'), 'bench', 'L'))
    const lPort = await freePort()
    const lBase = `http://127.0.0.1:${lPort}`
    const lData = path.join(work, 'data-L')
    const lConfig = depotConfig(work, 'L', lPort, lData, path.join(work, 'repo-L'))
    let lDepot = await serve(lConfig, lBase)
    const lImport = lDepot.seconds
    await stop(lDepot.child)
    const [, rebuildSeconds] = timed(() => execFileSync(process.execPath, [CLI, 'rebuild', '--catalog', '--config', lConfig], { stdio: 'ignore' }))
    lDepot = await serve(lConfig, lBase)
    const firstStarted = performance.now()
    await (await fetch(`${lBase}/bench/catalog/1/catalog.dependency.C`)).arrayBuffer()
    const firstSeconds = (performance.now() - firstStarted) / 1000
    const sizes = await partSizes(lBase)
    const lRss = rssMiB(lDepot.child)
    const lm = l.sampleManifests[0]!
    const hundred = { connections: 100, seconds: SECONDS }
    const lRows = [
      await load('catalog.attrs', `${lBase}/bench/catalog/1/catalog.attrs`, hundred),
      await load('catalog.summary.C, zstd', `${lBase}/bench/catalog/1/catalog.summary.C`, { ...hundred, headers: { 'Accept-Encoding': 'zstd' } }),
      await load('manifest', `${lBase}/bench/manifest/0/${encodeURIComponent(lm.stem)}@${encodeURIComponent(lm.version)}`, hundred)
    ]
    const pages = webPages(lBase, lm.stem)
    const pageRows: Array<[number, LoadResult, LoadResult]> = []
    for (const [name, url] of pages) pageRows.push([await renderMs(url), await load(name, url, { connections: 1, seconds: SECONDS }), await load(name, url, { connections: 20, seconds: SECONDS })])
    const lSearchRows = await searchBench(lBase, L_SHAPES, SECONDS)
    allSearchRows.push(...lSearchRows)
    const lAttack = await attackBench(lBase, ONE_TERM, SECONDS)
    const lRssAfter = rssMiB(lDepot.child)
    const lDatabaseMiB = fs.statSync(path.join(lData, 'depot.sqlite')).size / 1048576
    await stop(lDepot.child)
    publishRows.push(await publishBench(ROOT, { dataDir: lData, seed: path.join(work, 'repo-L'), port: await freePort(), versions: l.versions }))
    if (!SKIP_RECOVERY) recoveryRows.push(await recoveryBench(ROOT, { dataDir: lData, seed: path.join(work, 'repo-L'), port: await freePort(), versions: l.versions }))
    const lRefresh = publishRows.at(-1)!.incrementalRefresh
    const lPublish = publishRows.at(-1)!
    const rawMiB = sizes.raw / 1048576
    const legacyRefresh = 5 * lRefresh.zstd + 5 * (sizes.zstd + lRefresh.zstd)
    goals.push(
      searchGoal('L', lSearchRows, 25),
      firstResultGoal('L', lSearchRows, 25),
      linesPerSecondGoal('L', lSearchRows, 200_000),
      attackGoal('L', lAttack),
      { goal: 'database at L', target: '≤ 1 GiB', measured: `${fmt(lDatabaseMiB)} MiB`, met: lDatabaseMiB <= 1024, why: 'the search index is ~300 MB of it: postings, their index by action, the lines' },
      { goal: 'import of L', target: '≤ 60 s', measured: `${fmt(lImport)} s`, met: lImport <= 60, why: 'postings are inserted a row at a time (~7.5M at ~6 µs each, into two B-trees), and the import parses each manifest three times (for payloads, catalog parts, the search index)' },
      { goal: 'peak RSS, publish bench into L', target: '≤ 400 MiB', measured: `${fmt(lPublish.peakRssMiB)} MiB`, met: lPublish.peakRssMiB <= 400, why: `the catalog parts alone are ${fmt(rawMiB)} MiB, held as pages in memory that both threads share; the same bench into a 10-version catalog peaks at ${fmt(publishRows[0]!.peakRssMiB)} MiB. Pages kept in files (the kernel's page cache) would take the parts out of RSS, each seal reading its changed suffix back for the SHA-1` },
      { goal: 'a publish visible in catalog.attrs, L, p50', target: '≤ 50 ms', measured: `stem sorting first ${fmt(lPublish.visibleP50, 1)} ms, last ${fmt(lPublish.visibleLastP50, 1)} ms`, met: Math.max(lPublish.visibleP50, lPublish.visibleLastP50) <= 50, why: `a seal resumes each part's SHA-1 at its first changed page: a stem sorting first rehashes every part (${fmt(rawMiB)} MiB; SHA-1 runs at ~1.4 GB/s here); one sorting last costs the publish itself (p50 ${fmt(lPublish.p50, 1)} ms), the read, and the seal's update log and catalog.attrs` },
      { goal: 'refresh traffic of new publishers, 10 refreshes into L', target: 'every refresh incremental', measured: `utf8 ${fmtMiB(10 * lRefresh.zstd)}, legacy ${fmtMiB(legacyRefresh)} (zstd)`, met: 10 * lRefresh.zstd < legacyRefresh, why: '' }
    )
    md.push(
      `## Scale (corpus L: ${l.stems} stems, ${l.versions} versions, metadata only; generated in ${lGen.toFixed(0)} s)`,
      '',
      `- Import through \`ips-depot serve\` (seed repository: every manifest checked against its signature, parsed and indexed for search): ${lImport.toFixed(0)} s.`,
      `- Database after the import and the catalog rebuild: ${lDatabaseMiB.toFixed(0)} MiB (depot.sqlite).`,
      `- \`ips-depot rebuild --catalog\` (all catalog parts regenerated from SQLite): ${rebuildSeconds.toFixed(1)} s.`,
      `- First download of the largest part after a start (catalog.dependency.C, identity, received whole by fetch; parts are built from their stem fragments before the depot listens): ${firstSeconds.toFixed(2)} s.`,
      `- Full catalog (every part): ${(sizes.raw / 1048576).toFixed(1)} MiB raw, ${(sizes.zstd / 1048576).toFixed(1)} MiB with zstd (${(sizes.zstd / sizes.raw * 100).toFixed(1)}%), ${(sizes.gzip / 1048576).toFixed(1)} MiB with gzip (${(sizes.gzip / sizes.raw * 100).toFixed(1)}%).`,
      `- RSS after serving every part raw, zstd and gzip: ${lRss.toFixed(0)} MiB; after the 100-connection runs: ${lRssAfter.toFixed(0)} MiB.`,
      '',
      '100 concurrent connections:',
      '',
      '| target | req/s | MB/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|---:|',
      ...lRows.map(r => `| ${r.name} | ${fmt(r.reqs)} | ${fmt(r.mbs, 1)} | ${fmt(r.p50, 1)} | ${fmt(r.p99, 1)} | ${r.errors} |`),
      '',
      `Refresh traffic, 10 \`pkg refresh\` runs of an OmniOS client, each after some publishes into L: with the utf8 format each is incremental (catalog.attrs and the newest hourly update log, measured after the publish runs below: ${fmtMiB(lRefresh.zstd)} with zstd, ${fmtMiB(lRefresh.raw)} raw); with the legacy format every second one falls back to the whole catalog (the sizes above). Computed from those measured sizes, not by a client:`,
      '',
      '| catalog format | 10 refreshes, zstd | raw |',
      '|---|---:|---:|',
      `| utf8 (every refresh incremental) | ${fmtMiB(10 * lRefresh.zstd)} | ${fmtMiB(10 * lRefresh.raw)} |`,
      `| legacy (5 incremental, 5 whole) | ${fmtMiB(5 * lRefresh.zstd + 5 * (sizes.zstd + lRefresh.zstd))} | ${fmtMiB(5 * lRefresh.raw + 5 * (sizes.raw + lRefresh.raw))} |`,
      '',
      'Search at L, as on S:',
      '',
      ...searchTable(lSearchRows),
      '',
      ...attackTable('L', lAttack),
      '',
      'Web pages at L (paged in SQL). A page is rendered once per change of the repository and then served from memory: "render" is the median of 20 requests for URLs not seen before (each with a different ignored parameter), timed by the client; the load runs repeat one URL (no `If-None-Match`, so no 304):',
      '',
      '| page | render, p50 ms | 1 connection: p50 ms | req/s | 20 connections: req/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...pageRows.map(([render, one, many]) => `| ${one.name} | ${fmt(render, 1)} | ${fmt(one.p50, 2)} | ${fmt(one.reqs)} | ${fmt(many.reqs)} | ${fmt(many.p50, 1)} | ${fmt(many.p99, 1)} | ${one.errors + many.errors} |`),
      ''
    )
  }
  md.push(
    '## Publishing',
    '',
    '30 sequential REST publishes (one small payload each) into a depot whose catalog already holds N versions; then 20 more, each followed at once by a GET of catalog.attrs, which waits for the seal listing it (the catalog parts signed and catalog.attrs written, in the catalog worker). A seal hashes each part from the first page the publish changed: the first 10 publish stems that sort before every stem of the corpus (`bench/new/…`), so each seal hashes the whole catalog; 10 more publish stems that sort last (`zzz/last/…`):',
    '',
    '| versions in the catalog | depot start, s | one publish p50 ms | p90 ms | publishes/s | publish + catalog.attrs listing it, p50 ms: stem first | stem last | peak RSS, MiB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...publishRows.map(r => `| ${r.versions} | ${r.startSeconds.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p90.toFixed(1)} | ${r.perSecond.toFixed(1)} | ${r.visibleP50.toFixed(1)} | ${r.visibleLastP50.toFixed(1)} | ${r.peakRssMiB.toFixed(0)} |`),
    '',
    'Peak RSS above is the depot\'s highest, sampled every 100 ms from its start through every phase below; by phase (started: listening, its catalog sealed; publishing: the 50 publishes above; reading: an incremental refresh, then every part whole by 8 clients at once and once zstd- and once gzip-encoded; then the rebuild and the upload below), in MiB:',
    '',
    `| versions in the catalog | ${PHASES.join(' | ')} |`,
    `|---:|${PHASES.map(() => '---:').join('|')}|`,
    ...publishRows.map(r => `| ${r.versions} | ${PHASES.map(ph => r.phaseRssMiB[ph].toFixed(0)).join(' | ')} |`),
    '',
    'Then an admin rebuild of the catalog (`POST /api/v1/publishers/bench/rebuild?catalog=true`, run in the catalog worker) while a reader polls `catalog.attrs`:',
    '',
    '| versions in the catalog | rebuild, s | slowest catalog.attrs meanwhile, ms |',
    '|---:|---:|---:|',
    ...publishRows.map(r => `| ${r.versions} | ${r.rebuildSeconds.toFixed(1)} | ${r.slowestReadDuringRebuild.toFixed(1)} |`),
    '',
    'Then a 48 MiB pkg(5) `add/0` upload, which the depot hashes and compresses at level 9 (in a payload worker), while a reader polls `catalog.attrs` every 10 ms (target: no read waits more than 50 ms):',
    '',
    '| versions in the catalog | upload, s | slowest catalog.attrs meanwhile, ms |',
    '|---:|---:|---:|',
    ...publishRows.map(r => `| ${r.versions} | ${r.uploadSeconds.toFixed(1)} | ${r.slowestReadDuringUpload.toFixed(1)} |`),
    ''
  )
  if (recoveryRows.length > 0) {
    md.push(
      '## Recovery (deploy/litestream/litestream.yml, a file replica)',
      '',
      `Litestream replicates the depot's database while REST publishes run for 10 s; then the depot and Litestream are killed together (SIGKILL), \`litestream restore\` writes a new data directory beside the same payload store, and the depot starts on it. The recovery point is how long before the kill the oldest publish missing from the restored catalog was acknowledged; the recovery time is the restore plus the depot's start until \`/readyz\` answers 200:`,
      '',
      '| versions in the catalog | database, MiB | first snapshot, s | publishes acknowledged | missing after restore | recovery point, ms | restore, s | start, s | recovery time, s |',
      '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      ...recoveryRows.map(r => `| ${r.versions} | ${r.databaseMiB.toFixed(0)} | ${r.snapshotSeconds.toFixed(1)} | ${r.acknowledged} | ${r.missing} | ${r.recoveryPointMs} | ${r.restoreSeconds.toFixed(1)} | ${r.startSeconds.toFixed(1)} | ${(r.restoreSeconds + r.startSeconds).toFixed(1)} |`),
      ''
    )
  }
  goals.push(searchErrorsGoal(allSearchRows))
  md.push(...goalsTable(goals))
  fs.writeFileSync(path.join(ROOT, 'BENCHMARKS.md'), md.join('\n'))
  console.log(md.join('\n'))
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
