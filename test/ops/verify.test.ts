/**
 * ips-depot verify on an imported repository: no damage, then each kind
 * of damage a disk or a hand can do, each named with what it hit.
 */
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import Database from 'better-sqlite3'
import t from 'tap'
import { runCli } from '../helpers/cli.js'
import { ROOT, tempDir } from '../helpers/depot.js'

t.test('verify finds no damage in a sound repository, and names every damage in a broken one', async t => {
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const data = path.join(dir, 'data')
  t.equal((await runCli(['import', path.join(ROOT, 'fixtures/repo'), '--data', data])).code, 0)
  const sound = await runCli(['verify', '--data', data])
  t.equal(sound.code, 0, sound.stderr)
  t.equal(sound.stdout, 'verified test, example.org: 13 catalog files, 18 packages, 23 payloads: no damage\n')

  const db = new Database(path.join(data, 'depot.sqlite'))
  const payloads = db.prepare('SELECT hash FROM payload ORDER BY hash').pluck().all() as string[]
  const file = (hash: string): string => path.join(data, 'file', hash.slice(0, 2), hash)
  const [flipped, truncated, gone, foreign] = payloads as [string, string, string, string]
  const bytes = fs.readFileSync(file(flipped))
  bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff
  fs.writeFileSync(file(flipped), bytes)
  fs.writeFileSync(file(truncated), fs.readFileSync(file(truncated)).subarray(0, 10))
  fs.rmSync(file(gone))
  fs.writeFileSync(file(foreign), zlib.gzipSync('other content'))
  const tampered = db.prepare("SELECT stem, version FROM package WHERE publisher = 'test' ORDER BY stem LIMIT 1").get() as { stem: string, version: string }
  db.prepare("UPDATE package SET manifest = manifest || X'0a' WHERE publisher = 'test' AND stem = ? AND version = ?").run(tampered.stem, tampered.version)
  db.close()

  const broken = await runCli(['verify', '--data', data])
  t.equal(broken.code, 1, 'damage: exit 1')
  const lines = broken.stdout.split('\n')
  const about = (hash: string): string => lines.find(l => l.includes(` ${hash}: `)) ?? `(no line names ${hash})`
  t.match(about(flipped), /does not match its chash|not a valid gzip stream/, 'a flipped byte')
  t.match(about(truncated), /not a valid gzip stream|does not match its chash/, 'a truncated file')
  t.match(about(gone), /is missing$/, 'a missing file')
  t.match(about(foreign), /does not match its chash/, 'a file replaced by another payload')
  t.ok(lines.some(l => l.startsWith(`DAMAGED test: pkg://test/${tampered.stem}@${tampered.version}: manifest does not match its SHA-1`)), 'a manifest changed by hand')
  t.match(lines.at(-2), /: \d+ damaged$/, 'the summary counts them')
})
