/**
 * The service definitions in deploy/: the systemd unit passes
 * `systemd-analyze verify` (pointed at this checkout) and is hardened; the
 * SMF manifest is well-formed XML (xmllint) that starts `serve` and stops
 * it with SIGTERM. `npm test` installs both tools where they are missing.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT, tempDir } from '../helpers/depot.js'

const run = (cmd: string, args: string[]): ReturnType<typeof spawnSync> => spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 })

t.test('the systemd unit verifies and is hardened', async t => {
  const unit = fs.readFileSync(path.join(ROOT, 'deploy/systemd/ips-depot.service'), 'utf8')
  const dir = tempDir()
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  // The unit names /usr/bin/node and /opt/ips-depot: here, this node and this checkout.
  const file = path.join(dir, 'ips-depot.service')
  fs.writeFileSync(file, unit.replace('/usr/bin/node /opt/ips-depot/dist/src/cli.js', `${process.execPath} ${path.join(ROOT, 'dist/src/cli.js')}`))
  const verified = run('systemd-analyze', ['verify', file])
  t.equal(verified.error, undefined, 'systemd-analyze is installed (npm test installs systemd where it is missing)')
  t.equal(verified.status, 0, String(verified.stderr))
  t.equal(String(verified.stderr).trim(), '', 'no warnings')
  for (const key of ['DynamicUser=yes', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/ips-depot', 'NoNewPrivileges=yes', 'Restart=on-failure', 'KillSignal=SIGTERM', 'CapabilityBoundingSet=']) {
    t.match(unit, new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'), key)
  }
  t.notMatch(unit, /^MemoryDenyWriteExecute=yes/m, 'V8 needs W+X memory')
  t.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/ips-depot\/dist\/src\/cli\.js serve --config /m, 'runs the built JavaScript: no compiler at start')
})

t.test('the SMF manifest is well-formed and starts serve, stopped by SIGTERM', async t => {
  const manifest = path.join(ROOT, 'deploy/smf/ips-depot.xml')
  const lint = run('xmllint', ['--noout', manifest])
  t.equal(lint.error, undefined, 'xmllint is installed (npm test installs libxml2-utils where it is missing)')
  t.equal(lint.status, 0, String(lint.stderr))
  const xml = fs.readFileSync(manifest, 'utf8')
  t.match(xml, /<exec_method type="method" name="start" exec="\/usr\/bin\/node \/opt\/ips-depot\/dist\/src\/cli\.js serve --config %\{config\/file\} &amp;"/)
  t.match(xml, /<exec_method type="method" name="stop" exec=":kill"/, ':kill sends SIGTERM')
  t.match(xml, /<method_credential user="ipsdepot"/, 'not root')
})
