import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { importRepository } from '../../src/store/import.js'
import { expireTransactions, sweepOrphanPayloads } from '../../src/store/maintenance.js'
import { Repository } from '../../src/store/repository.js'
import { GOLDEN, tempDir } from '../helpers/depot.js'

t.test('orphan payloads are swept, referenced ones kept; idle transactions expire', async t => {
  const data = tempDir()
  const repo = new Repository(data)
  t.teardown(() => { repo.close(); fs.rmSync(data, { recursive: true, force: true }) })
  await importRepository(repo, path.join(GOLDEN, 'repo'))
  const orphan = 'ffffffffffffffffffffffffffffffffffffffff'
  const left = path.join(data, 'left-by-a-crash')
  fs.writeFileSync(left, 'left by a crash')
  await repo.payloads.put(orphan, left)
  t.equal(await sweepOrphanPayloads(repo), 1)
  t.notOk(await repo.payloads.has(orphan))
  t.ok(await repo.payloads.has('0cdf86295978a9260d89b51ef6e86748363dd3e2'), 'published payloads stay')
  repo.db.prepare("INSERT INTO pub_transaction (id, publisher, stem, version, created, touched) VALUES ('old', 'test', 'a', '1,5.11:20260101T000000Z', 0, 0)").run()
  repo.db.prepare("INSERT INTO pub_transaction (id, publisher, stem, version, created, touched) VALUES ('new', 'test', 'b', '1,5.11:20260101T000000Z', ?, ?)").run(Date.now(), Date.now())
  t.equal(expireTransactions(repo, 86400_000), 1)
  t.same(repo.db.prepare('SELECT id FROM pub_transaction').pluck().all(), ['new'])
})
