/**
 * ips-depot backup while the depot serves and publishes, and restore into
 * a new data directory: every package acknowledged before the backup began
 * is there after the restore, whole by the client's rules, and a second
 * backup copies only the new payloads.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { fetchCatalog, packageProblem, partOf } from '../helpers/client-catalog.js'
import { prepareDepot, runCli, spawnServe } from '../helpers/cli.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')

t.test('an online backup during a stream of publishes restores every package acknowledged before it began', async t => {
  const { dir, config, token: sign } = await prepareDepot(t)
  const depot = await spawnServe(t, ['--config', config])
  const token = await sign()

  // A long read elsewhere (a search, a scraper's export) keeps checkpoints from reaching depot.sqlite:
  // everything published from here on lives in depot.sqlite-wal only, which a plain file copy would lose.
  const { default: Database } = await import('better-sqlite3')
  const reader = new Database(path.join(dir, 'data', 'depot.sqlite'), { readonly: true })
  t.teardown(() => { if (reader.open) reader.close() })
  reader.exec('BEGIN')
  reader.prepare('SELECT COUNT(*) FROM package').get()
  const acknowledged: Array<{ stem: string, at: number }> = []
  let publishing = true
  const publisher = (async () => {
    for (let n = 0; publishing; n++) {
      const content = Buffer.from(`payload ${n} `.repeat(200 + n))
      const form = new FormData()
      form.append('manifest', `set name=pkg.fmri value=backup/p${n}@1.0\nfile ${sha1(content)} path=opt/p${n} mode=0444 owner=root group=bin\n`)
      form.append(sha1(content), new Blob([new Uint8Array(content)]), sha1(content))
      const res = await fetch(`http://127.0.0.1:${depot.port}/api/v1/publishers/test/packages`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form })
      if (res.status !== 201) throw new Error(`publish ${n}: ${res.status} ${await res.text()}`)
      acknowledged.push({ stem: `backup/p${n}`, at: Date.now() })
    }
  })()
  while (acknowledged.length < 10) await new Promise(resolve => setTimeout(resolve, 20))
  const dest = path.join(dir, 'backup')
  const began = Date.now()
  const first = await runCli(['backup', dest, '--config', config])
  t.equal(first.code, 0, first.stderr)
  const before = acknowledged.filter(a => a.at < began).map(a => a.stem)
  // Kept as it was: the restore below is of this backup, taken in the middle of the publishes.
  const firstBackup = path.join(dir, 'first-backup')
  fs.cpSync(dest, firstBackup, { recursive: true })
  reader.exec('COMMIT')
  reader.close()
  while (acknowledged.length < before.length + 5) await new Promise(resolve => setTimeout(resolve, 20))
  publishing = false
  await publisher
  t.ok(acknowledged.length > before.length, `publishes went on during and after the backup (${before.length} before it, ${acknowledged.length} in all)`)

  const second = await runCli(['backup', dest, '--config', config])
  t.equal(second.code, 0, second.stderr)
  const [, copied, present] = /(\d+) payloads copied, (\d+) already there/.exec(second.stdout) ?? []
  t.ok(Number(present) >= before.length, `the second backup found the first one's payloads (${present ?? '?'} already there)`)
  t.ok(Number(copied) < acknowledged.length, `and copied only the new ones (${copied ?? '?'})`)

  const restored = path.join(dir, 'restored')
  const back = await runCli(['restore', firstBackup, '--config', config, '--data', restored])
  t.equal(back.code, 0, back.stderr)
  t.match(back.stdout, /^restored .* into .*: database \d+ bytes, \d+ payloads checked against their names, \d+ copied\n$/)
  const verified = await runCli(['verify', '--config', config, '--data', restored])
  t.equal(verified.code, 0, 'the restored repository verifies')
  t.match(verified.stdout, /: no damage\n$/)
  const again = await runCli(['restore', firstBackup, '--config', config, '--data', restored])
  t.equal(again.code, 1, 'never over an existing repository')
  t.match(again.stderr, /already holds a repository/)

  const served = await spawnServe(t, ['--config', config, '--data', restored])
  const cat = await fetchCatalog(served.port, 'test')
  const base = partOf(cat.files.get('catalog.base.C'), 'test')
  t.equal(cat.attrs['package-version-count'], Object.values(base).reduce((n, l) => n + l.length, 0), 'catalog.attrs and the base part agree')
  const problems: string[] = []
  for (const stem of before) {
    const entry = base[stem]?.[0]
    if (entry === undefined) { problems.push(`${stem}: acknowledged before the backup, not restored`); continue }
    const problem = await packageProblem(served.port, 'test', stem, String(entry.version), String(entry['signature-sha-1']))
    if (problem !== undefined) problems.push(`${stem}: ${problem}`)
  }
  t.same(problems, [], `all ${before.length} packages acknowledged before the backup are restored whole`)
})
