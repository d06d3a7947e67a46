/** ips-depot list, as pkgrepo list, beside a serving depot. */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { runCli, spawnServe } from '../helpers/cli.js'
import { fetchCatalog, partOf } from '../helpers/client-catalog.js'
import { ROOT, tempDir } from '../helpers/depot.js'

t.test('list: the catalog\'s versions, newest first, with o and r, filtered by pkg(5) patterns, while the depot serves', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  t.equal((await runCli(['import', path.join(ROOT, 'fixtures/repo'), '--data', data])).code, 0)
  const { port } = await spawnServe(t, ['--data', data])
  const all = await runCli(['list', '--data', data])
  t.equal(all.code, 0, all.stderr)
  const rows = all.stdout.trim().split('\n').slice(1).map(l => l.split(/\s+/))
  let catalogVersions = 0
  for (const pub of ['test', 'example.org']) {
    for (const [stem, list] of Object.entries(partOf((await fetchCatalog(port, pub)).files.get('catalog.base.C'), pub))) {
      catalogVersions += list.length
      const listed = rows.filter(r => r[0] === pub && r[1] === stem).map(r => r.at(-1))
      t.same(listed, list.map(e => String(e.version)).reverse(), `${pub} ${stem}: every version the catalog has, newest first`)
    }
  }
  t.equal(rows.length, catalogVersions, 'nothing else')
  t.match(all.stdout, /^test +example\/obsolete-thing +o 2\.0/m, 'obsolete marked o')
  t.match(all.stdout, /^test +example\/old-name +r 1\.0/m, 'renamed marked r')

  const hello = await runCli(['list', '--data', data, '--publisher', 'test', 'hello@1.10'])
  t.same(hello.stdout.trim().split('\n').slice(1).map(l => l.split(/\s+/).slice(0, 2).join(' ')), ['test example/hello', 'test example/hello'], 'a stem tail and a partial version')
  t.match((await runCli(['list', '--data', data, 'tools/*'])).stdout, /^example\.org +tools\/editor /m, 'a glob')
  const none = await runCli(['list', '--data', data, 'nosuch'])
  t.equal(none.code, 1)
  t.equal(none.stderr, 'ips-depot: no packages match nosuch\n')
  const badPublisher = await runCli(['list', '--data', data, '--publisher', 'nope'])
  t.match(badPublisher.stderr, /no publisher nope in this repository \(there are: example\.org, test\)/)
})
