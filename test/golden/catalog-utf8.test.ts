/**
 * OmniOS's utf8 catalog format: a repository whose catalog files carry
 * "_FEATURE":["ooce:utf8"] and unescaped UTF-8 is imported and served
 * byte for byte, and its files pass the client's signature checks.
 *
 * The utf8 source is written here independently of src/ (JSON.stringify
 * with sorted keys, which matches rapidjson's ensure_ascii=False output
 * for this data: no control characters).
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { fetchCatalog } from '../helpers/client-catalog.js'
import { GOLDEN, startDepot, tempDir } from '../helpers/depot.js'
import { request } from '../helpers/http.js'

type Obj = { [k: string]: unknown }
const sorted = (v: unknown): unknown => Array.isArray(v) ? v.map(sorted) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map(k => [k, sorted((v as Obj)[k])])) : v
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

function writeUtf8 (data: Obj): { text: string, signature: string } {
  const body = JSON.stringify(sorted({ ...data, _FEATURE: ['ooce:utf8'] })) + '\n'
  const signature = sha1(body)
  return { text: `${body.slice(0, -2)},"_SIGNATURE":{"sha-1":"${signature}"}}\n`, signature }
}

const src = tempDir('ips-depot-utf8-')
t.teardown(() => fs.rmSync(src, { recursive: true, force: true }))
fs.cpSync(path.join(GOLDEN, 'repo'), src, { recursive: true })
const expected = new Map<string, string>()
for (const pub of ['test', 'example.org']) {
  const dir = path.join(src, 'publisher', pub, 'catalog')
  fs.chmodSync(dir, 0o755)
  const attrs = JSON.parse(fs.readFileSync(path.join(dir, 'catalog.attrs'), 'utf8')) as Obj
  delete attrs._SIGNATURE
  for (const section of ['parts', 'updates']) {
    for (const [name, stamp] of Object.entries(attrs[section] as Record<string, Obj>)) {
      const data = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as Obj
      delete data._SIGNATURE
      const f = writeUtf8(data)
      fs.chmodSync(path.join(dir, name), 0o644)
      fs.writeFileSync(path.join(dir, name), f.text)
      stamp['signature-sha-1'] = f.signature
      expected.set(`${pub}/${name}`, f.text)
    }
  }
  const a = writeUtf8(attrs)
  fs.chmodSync(path.join(dir, 'catalog.attrs'), 0o644)
  fs.writeFileSync(path.join(dir, 'catalog.attrs'), a.text)
  expected.set(`${pub}/catalog.attrs`, a.text)
}

const depot = await startDepot({ source: src })
t.teardown(() => depot.close())

t.test('utf8 catalogs are served exactly as imported', async t => {
  for (const [key, text] of expected) {
    const [pub, name] = key.split('/')
    const res = await request(depot.port, 'GET', `/${pub}/catalog/1/${name}`)
    t.equal(res.body.toString('utf8'), text, key)
  }
  const summary = (await request(depot.port, 'GET', '/test/catalog/1/catalog.summary.C')).body.toString('utf8')
  t.match(summary, /Grüße|Résumé|café|日本語/, 'non-ASCII text is not escaped')
  t.notMatch(summary, /\\u00/, 'no \\u escapes')
})

t.test('utf8 catalogs pass the client checks', async t => {
  for (const pub of ['test', 'example.org']) {
    const cat = await fetchCatalog(depot.port, pub)
    t.same(cat.attrs._FEATURE, ['ooce:utf8'])
    t.ok(cat.files.size >= 4)
  }
})
