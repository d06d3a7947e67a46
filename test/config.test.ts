import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig, parseConfig } from '../src/config.js'
import { ROOT } from './helpers/depot.js'

const good = fs.readFileSync(path.join(ROOT, 'depot.config.toml'), 'utf8')

t.test('the shipped config is valid and resolves paths against its directory', async t => {
  const cfg = loadConfig(path.join(ROOT, 'depot.config.toml'))
  t.equal(cfg.server.host, '127.0.0.1')
  t.equal(cfg.server.port, 10080)
  t.equal(cfg.storage.dataDir, path.join(ROOT, 'data'))
  t.equal(cfg.storage.seedRepository, path.join(ROOT, 'fixtures/repo'))
})

t.test('every mistake names its key and stops the start', async t => {
  const cases: Array<[string, RegExp]> = [
    [good.replace('listen = "127.0.0.1:10080"', 'listen = "nowhere"'), /^server\.listen: 'nowhere' is not HOST:PORT/],
    [good.replace('listen = "127.0.0.1:10080"', 'listen = "127.0.0.1:70000"'), /^server\.listen/],
    [good.replace('body_limit = 536870912', 'body_limit = "big"'), /^server\.body_limit: must be an integer/],
    [good.replace('trust_proxy = false', 'trust_proxy = "no"'), /^server\.trust_proxy: must be true or false/],
    [good.replace('trust_proxy = false', 'trust_proxy = false\nport = 1'), /^server\.port: is not a known setting/],
    [good.replace('level = "info"', 'level = "loud"'), /^log\.level: must be one of/],
    [good.replace('data_dir = "data"\n', ''), /^storage\.data_dir: is required/],
    [good.replace('[cache]', '[cachee]'), /^cache: is required/],
    [good + '\n[extra]\n', /^extra: is not a known setting/],
    ['this is = = not toml', /^\(file\): not valid TOML/]
  ]
  for (const [text, message] of cases) t.throws(() => parseConfig(text, ROOT), { message, code: 'ERR_CONFIG' }, String(message))
  t.throws(() => loadConfig('/nonexistent/depot.config.toml'), { message: /cannot read/ })
})
