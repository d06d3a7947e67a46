/**
 * Backups and restores follow no symbolic link, in either direction: a link
 * planted in a backup's destination cannot carry the depot's signing key or
 * its database elsewhere, and a link planted in a backup being restored
 * cannot bring another file into the payload store or keys/. Every payload
 * restored is checked against its name; a restore from nowhere leaves
 * nothing behind.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import t from 'tap'
import { prepareDepot, runCli } from '../helpers/cli.js'
import { ROOT } from '../helpers/depot.js'

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')

// [auth.tokens]: the depot signs tokens of its own, so its data directory holds a private key.
const tokens = '[auth.tokens]\nissuer = "http://127.0.0.1/"\nalgorithm = "ES256"\nlifetime = 300\nexchanges_per_minute = 10\n'
const { dir, config } = await prepareDepot(t, { publishers: [], extraConfig: tokens })
// The depot's signing key: what a link in a backup's destination once carried elsewhere.
let keyFiles: string[] = []
// In before(), not at the top: a failure there fails the tests and still runs the teardown that removes the directory.
t.before(async () => {
  for (const args of [['import', path.join(ROOT, 'fixtures/repo')], ['keys', 'rotate']]) {
    const res = await runCli([...args, '--config', config])
    if (res.code !== 0) throw new Error(`${args.join(' ')}: ${res.stderr}`)
  }
  keyFiles = fs.readdirSync(path.join(dir, 'data', 'keys'))
})

/** Every file below a directory, as paths relative to it. */
function filesBelow (root: string): string[] {
  return fs.existsSync(root) ? fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter(e => !e.isDirectory()).map(e => path.relative(root, path.join(e.parentPath, e.name))).sort() : []
}

t.test('backup: a link planted in the destination is refused, and nothing is written through it', async t => {
  for (const planted of ['keys', 'file', 'depot.sqlite.partial', `keys/${keyFiles[0]!}.partial`]) {
    const dest = path.join(dir, `dest-${planted.replace(/[/.]/g, '-')}`)
    const outside = path.join(dir, `outside-${planted.replace(/[/.]/g, '-')}`)
    fs.mkdirSync(outside)
    fs.mkdirSync(path.dirname(path.join(dest, planted)), { recursive: true })
    fs.symlinkSync(planted.endsWith('.partial') ? path.join(outside, 'target') : outside, path.join(dest, planted))
    const res = await runCli(['backup', dest, '--config', config])
    t.equal(res.code, 1, `${planted}: refused`)
    t.match(res.stderr, `${path.join(dest, planted)} is a symbolic link`, `${planted}: the link is named`)
    t.same(filesBelow(outside), [], `${planted}: nothing landed outside the destination`)
  }
})

t.test('restore: a link planted in the backup is refused, naming it; nothing is left behind', async t => {
  const backup = path.join(dir, 'backup')
  t.equal((await runCli(['backup', backup, '--config', config])).code, 0)
  const payloadDir = path.join(backup, 'file')
  const [prefix] = fs.readdirSync(payloadDir)
  const [victim] = fs.readdirSync(path.join(payloadDir, prefix!))
  const cases: Array<[string, string]> = [[`file/${prefix!}/${victim!}`, '/etc/hostname'], [`keys/${keyFiles[0]!}`, '/etc/passwd'], ['file', payloadDir]]
  for (const [planted, target] of cases) {
    const src = path.join(dir, `src-${planted.replace(/[/.]/g, '-')}`)
    fs.cpSync(backup, src, { recursive: true })
    fs.rmSync(path.join(src, planted), { recursive: true })
    fs.symlinkSync(target, path.join(src, planted))
    const data = path.join(dir, `restored-${planted.replace(/[/.]/g, '-')}`)
    const res = await runCli(['restore', src, '--config', config, '--data', data])
    t.equal(res.code, 1, `${planted}: refused`)
    t.match(res.stderr, `${path.join(src, planted)} is a symbolic link`, `${planted}: the link is named`)
    t.notOk(fs.existsSync(data), `${planted}: no data directory is left behind`)
  }
})

t.test('restore: a payload whose content is not what its name says is refused', async t => {
  const src = path.join(dir, 'src-tampered')
  t.equal((await runCli(['backup', src, '--config', config])).code, 0)
  const [prefix] = fs.readdirSync(path.join(src, 'file'))
  const [victim] = fs.readdirSync(path.join(src, 'file', prefix!))
  fs.writeFileSync(path.join(src, 'file', prefix!, victim!), zlib.gzipSync('not the content this name promises\n'))
  const data = path.join(dir, 'restored-tampered')
  const res = await runCli(['restore', src, '--config', config, '--data', data])
  t.equal(res.code, 1, 'refused')
  t.match(res.stderr, `payload ${victim!}`, 'the payload is named')
  t.match(res.stderr, `its content has SHA-1 ${sha1('not the content this name promises\n')}`)
  t.notOk(fs.existsSync(data), 'nothing is left behind')
})

t.test('restore: every payload is checked, and the count is said', async t => {
  const src = path.join(dir, 'src-good')
  t.equal((await runCli(['backup', src, '--config', config])).code, 0)
  const count = filesBelow(path.join(src, 'file')).length
  const res = await runCli(['restore', src, '--config', config, '--data', path.join(dir, 'restored-good')])
  t.equal(res.code, 0, res.stderr)
  t.match(res.stdout, `${count} payloads checked against their names, ${count} copied`)
})

t.test('restore from a source that does not exist leaves nothing behind', async t => {
  const data = path.join(dir, 'restored-from-nowhere')
  const res = await runCli(['restore', path.join(dir, 'no-such-backup'), '--config', config, '--data', data])
  t.equal(res.code, 1)
  t.match(res.stderr, /holds no backup/)
  t.notOk(fs.existsSync(data), 'no data directory, no depot.lock, no file/ or tmp/')
})
