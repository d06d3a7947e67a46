/**
 * Every catalog ips-depot serves passes the pkg(5) client's checks: for
 * the golden repository as imported before and after its incremental
 * publish, and across the incremental refresh between the two.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { fmriUrlPath } from '../../src/ips/fmri.js'
import { parseCatalogTime } from '../../src/ips/timestamp.js'
import { applyUpdates, fetchCatalog, isSortedAscending, type Part, partOf, partSignature } from '../helpers/client-catalog.js'
import { GOLDEN, repoWithCatalogs, startDepot } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex')
const PUBLISHERS = ['test', 'example.org']

const beforeRepo = repoWithCatalogs(path.join(GOLDEN, 'catalog-before'))
t.teardown(() => fs.rmSync(beforeRepo, { recursive: true, force: true }))

for (const [label, source, golden] of [['before', beforeRepo, 'catalog-before'], ['after', path.join(GOLDEN, 'repo'), 'catalog-after']] as const) {
  await t.test(`catalog ${label} the incremental publish`, async t => {
    const depot = await startDepot({ source })
    t.teardown(() => depot.close())
    for (const pub of PUBLISHERS) {
      await t.test(pub, async t => {
        const cat = await fetchCatalog(depot.port, pub)
        for (const name of fs.readdirSync(path.join(GOLDEN, golden, pub))) {
          const res = await request(depot.port, 'GET', `/${pub}/catalog/1/${name}`)
          t.same(res.body, fs.readFileSync(path.join(GOLDEN, golden, pub, name)), `${name} is byte-identical to the recorded file`)
        }
        const base = partOf(cat.files.get('catalog.base.C'), pub)
        const versions = Object.values(base).flat()
        t.equal(cat.attrs['package-count'], Object.keys(base).length, 'package-count = stems')
        t.equal(cat.attrs['package-version-count'], versions.length, 'package-version-count = versions')
        for (const [name, data] of cat.files) t.ok(isSortedAscending(partOf(data, pub)) || name.startsWith('update.'), `${name} lists versions in ascending order`)
        for (const [stem, list] of Object.entries(base)) {
          for (const e of list) {
            const res = await request(depot.port, 'GET', `/${pub}/manifest/0/${fmriUrlPath(stem, e.version as string)}`)
            t.equal(sha1(res.body), e['signature-sha-1'], `manifest of ${stem}@${String(e.version)} matches its catalog signature`)
          }
        }
        // Replaying every update log into empty parts gives exactly the current parts.
        const logs = [...cat.files.keys()].filter(n => n.startsWith('update.')).sort()
        for (const locale of new Set(logs.map(n => n.split('.').pop()!))) {
          const parts = new Map<string, Part>()
          applyUpdates(parts, logs.filter(n => n.endsWith(`.${locale}`)).map(n => cat.files.get(n)!), pub, new Map())
          for (const [name, part] of parts) {
            t.equal(partSignature(pub, part), (cat.attrs.parts as Record<string, { 'signature-sha-1': string }>)[name]!['signature-sha-1'], `replaying the ${locale} logs reproduces ${name}`)
          }
        }
      })
    }
  })
}

await t.test('an incremental refresh from the before catalog validates against the after catalog', async t => {
  const before = await startDepot({ source: beforeRepo })
  const after = await startDepot()
  t.teardown(async () => { await before.close(); await after.close() })
  const old = await fetchCatalog(before.port, 'test')
  const neu = await fetchCatalog(after.port, 'test')
  t.equal(neu.attrs.created, old.attrs.created, 'created is unchanged, so the client may refresh incrementally')
  const oldParts = old.attrs.parts as Record<string, { 'last-modified': string }>
  const newParts = neu.attrs.parts as Record<string, { 'last-modified': string, 'signature-sha-1': string }>
  const lastModified = new Map(Object.entries(oldParts).map(([n, s]) => [n, parseCatalogTime(s['last-modified'])]))
  const newest = [...lastModified.entries()].filter(([n]) => n.endsWith('.C')).reduce((m, [, v]) => v > m ? v : m, 0n)
  const needed = Object.entries(neu.attrs.updates as Record<string, { 'last-modified': string }>)
    .filter(([n, s]) => n.endsWith('.C') && parseCatalogTime(s['last-modified']) > newest).map(([n]) => n).sort()
  t.same(needed, ['update.20261123T01Z.C'], 'only the new hour\'s log is needed, as the recorded client fetched')
  const parts = new Map<string, Part>()
  for (const name of Object.keys(oldParts)) if (name.endsWith('.C')) parts.set(name, structuredClone(partOf(old.files.get(name), 'test')))
  applyUpdates(parts, needed.map(n => neu.files.get(n)!), 'test', lastModified)
  for (const [name, part] of parts) t.equal(partSignature('test', part), newParts[name]!['signature-sha-1'], `${name} after the update matches the new catalog.attrs`)
})
