/**
 * Catalog formats. A publisher the depot creates gets the configured
 * format (utf8, OmniOS's, unless `publish.catalog_format` says legacy); an
 * imported one keeps its own; `ips-depot rebuild --catalog-format`
 * converts one, with a new `created`, and converting back gives the
 * original part bytes. Every file passes the client's signature checks.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../helpers/cli.js'
import { checkSignature, fetchCatalog } from '../helpers/client-catalog.js'
import { GOLDEN, ROOT, startDepot, tempDir, testConfig } from '../helpers/depot.js'
import { request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish } from '../helpers/rest-publish.js'

const MANIFEST = 'set name=pkg.fmri value=fmt/cafe@1.0\nset name=pkg.summary value="Crème brûlée — déjà vu"\n'

async function attrsOf (port: number, publisher: string): Promise<{ [k: string]: unknown }> {
  return checkSignature((await request(port, 'GET', `/${publisher}/catalog/1/catalog.attrs`)).body).data
}

async function summaryBytes (port: number, publisher: string): Promise<string> {
  return (await request(port, 'GET', `/${publisher}/catalog/1/catalog.summary.C`)).body.toString('utf8')
}

t.test('a publisher the depot creates is utf8 by default; an imported one keeps its format', async t => {
  const { depot, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo` })
  const bearer = await token({ depot_publishers: ['fresh', 'test'] })
  t.equal((await restPublish(depot.url, bearer, 'fresh', MANIFEST)).status, 201)
  t.equal((await restPublish(depot.url, bearer, 'test', MANIFEST)).status, 201)

  t.same((await attrsOf(depot.port, 'fresh'))._FEATURE, ['ooce:utf8'])
  await fetchCatalog(depot.port, 'fresh')
  t.match(await summaryBytes(depot.port, 'fresh'), 'Crème brûlée — déjà vu', 'UTF-8 text unescaped')

  t.equal((await attrsOf(depot.port, 'test'))._FEATURE, undefined, 'the imported publisher stays legacy')
  await fetchCatalog(depot.port, 'test')
  t.match(await summaryBytes(depot.port, 'test'), 'Cr\\u00E8me br\\u00FBl\\u00E9e \\u2014 d\\u00E9j\\u00E0 vu', 'ASCII-escaped')
})

t.test('publish.catalog_format = "legacy" makes new publishers legacy; a bad value names the key', async t => {
  const { depot, token } = await startPublishingDepot(t, { extraConfig: '[publish]\ncatalog_format = "legacy"\n' })
  t.equal((await restPublish(depot.url, await token({ depot_publishers: ['fresh'] }), 'fresh', MANIFEST)).status, 201)
  t.equal((await attrsOf(depot.port, 'fresh'))._FEATURE, undefined)
  await fetchCatalog(depot.port, 'fresh')
  t.match(await summaryBytes(depot.port, 'fresh'), 'Cr\\u00E8me')
  t.throws(() => testConfig('/nonexistent', '[publish]\ncatalog_format = "ascii"\n'), /publish\.catalog_format/)
})

t.test('rebuild --catalog-format converts a publisher, renews created, and converts back to the same parts', async t => {
  const data = tempDir()
  t.teardown(() => fs.rmSync(data, { recursive: true, force: true }))
  const cli = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(process.execPath, [CLI, ...args, '--data', data], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  t.equal(cli('import', path.join(GOLDEN, 'repo')).status, 0)
  const serve = async <T>(f: (port: number) => Promise<T>): Promise<T> => {
    const depot = await startDepot({ source: null, dataDir: data })
    try { return await f(depot.port) } finally { await depot.close() }
  }
  const parts = async (port: number): Promise<Map<string, string>> => {
    const attrs = await attrsOf(port, 'test')
    const out = new Map<string, string>()
    for (const name of Object.keys(attrs.parts as object)) out.set(name, (await request(port, 'GET', `/test/catalog/1/${name}`)).body.toString('utf8'))
    return out
  }
  const [legacyAttrs, legacyParts] = await serve(async port => [await attrsOf(port, 'test'), await parts(port)] as const)

  const bad = cli('rebuild', '--catalog-format', 'ascii')
  t.equal(bad.status, 2)
  t.match(bad.stderr, /--catalog-format takes utf8 or legacy, not 'ascii'/)

  const run = cli('rebuild', '--catalog', '--publisher', 'test', '--catalog-format', 'utf8')
  t.equal(run.status, 0, String(run.stderr))
  await serve(async port => {
    const attrs = await attrsOf(port, 'test')
    t.same(attrs._FEATURE, ['ooce:utf8'])
    t.not(attrs.created, legacyAttrs.created, 'a new created: clients fetch the catalog whole once')
    t.equal(attrs['package-version-count'], legacyAttrs['package-version-count'])
    const fetched = await fetchCatalog(port, 'test')
    t.same(Object.keys(fetched.files.get('catalog.base.C')!.test as object).sort(), Object.keys(JSON.parse(legacyParts.get('catalog.base.C')!).test as object).sort())
    t.equal((await attrsOf(port, 'example.org'))._FEATURE, undefined, 'only the publisher asked for')
  })

  t.equal(cli('rebuild', '--catalog', '--publisher', 'test', '--catalog-format', 'legacy').status, 0)
  await serve(async port => {
    t.equal((await attrsOf(port, 'test'))._FEATURE, undefined)
    t.same(await parts(port), legacyParts, 'the same part bytes as before the round trip')
  })
})
