/**
 * The data directory has one owner. A second `serve` (also one that would
 * fail to listen), `import`, `rebuild` or `add-publisher` on a directory a
 * depot serves is refused at once, names the holder's PID, and touches
 * nothing: no sweep, no migration. The lock dies with its holder, kill -9
 * included.
 */
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { DataDirLock, DataDirLockedError } from '../../src/store/data-lock.js'
import { ROOT, tempDir } from '../helpers/depot.js'
import { runCli, spawnServe } from '../helpers/cli.js'
import { listFiles } from '../helpers/fuzz.js'
import { request } from '../helpers/http.js'

t.test('a second writer is refused while a depot serves', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  t.equal((await runCli(['import', path.join(ROOT, 'fixtures/repo'), '--data', data])).code, 0)
  const { child: first, port, exited } = await spawnServe(t, ['--data', data])
  // A payload that no package references, as a REST upload in flight leaves it: a sweep would delete it.
  const inFlight = path.join(data, 'file', 'ff', 'ff'.repeat(20))
  fs.mkdirSync(path.dirname(inFlight), { recursive: true })
  fs.writeFileSync(inFlight, 'an upload not yet committed')
  const before = listFiles(path.join(data, 'file'))

  const holder = new RegExp(`in use by process ${first.pid} \\(ips-depot serve`)
  for (const args of [['serve', '--listen', `127.0.0.1:${port}`], ['serve', '--listen', '127.0.0.1:0'], ['import', path.join(ROOT, 'fixtures/repo')], ['rebuild'], ['add-publisher', 'other']]) {
    const second = await runCli([...args, '--data', data], process.env, 20_000)
    t.equal(second.code, 1, `${args[0]}: exits 1`)
    t.match(second.stderr, holder, `${args[0]}: names the holder`)
  }
  t.same(listFiles(path.join(data, 'file')), before, 'the payload store is untouched')
  t.equal((await request(port, 'GET', '/test/catalog/1/catalog.attrs')).status, 200, 'the first depot serves on')

  first.kill('SIGKILL')
  await exited
  const after = await runCli(['rebuild', '--data', data])
  t.equal(after.code, 0, `the lock died with its holder: ${after.stderr}`)
})

t.test('two holders in one process: the second is refused too', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const lock = DataDirLock.acquire(data, 'test')
  t.throws(() => DataDirLock.acquire(data, 'again'), DataDirLockedError)
  lock.release()
  DataDirLock.acquire(data, 'after release').release()
  t.pass('released, it can be taken again')
})
