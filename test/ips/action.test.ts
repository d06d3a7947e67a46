import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { formatAction, parseAction } from '../../src/ips/action.js'
import { catalogPartActions, manifestLines, parseManifest, TooManyActionsError } from '../../src/ips/manifest.js'
import { buildPart, verifyCatalogFile } from '../../src/ips/catalog.js'
import { GOLDEN } from '../helpers/depot.js'

t.test('attribute grammar', async t => {
  const a = parseAction('file 0cdf chash=abc path="usr/my file" mode=0644 value=a value=b')
  t.equal(a.type, 'file')
  t.equal(a.hash, '0cdf')
  t.same(a.attrs, { chash: 'abc', path: 'usr/my file', mode: '0644', value: ['a', 'b'] })
  t.same(parseAction('set name=x value="a" "b"').attrs.value, 'ab', 'adjacent quoted strings concatenate')
  t.same(parseAction('set name=x value="a""b"').attrs.value, 'ab')
  t.same(parseAction('set name=x value=\'it\\\'s\'').attrs.value, "it's", 'escaped matching quote')
  t.same(parseAction('set name=x value="back\\\\slash"').attrs.value, 'back\\slash', 'escaped backslash')
  t.same(parseAction('set name=x value="a\\nb"').attrs.value, 'a\\nb', 'other escapes are kept')
  t.same(parseAction('set name=x value=back\\slash').attrs.value, 'back\\slash', 'no escapes outside quotes')
  t.same(parseAction('set pkg.summary=hello').attrs, { name: 'pkg.summary', value: 'hello' }, '"set a=b" shorthand')
  t.same(parseAction('file hash=abc path=p').hash, 'abc', 'hash= attribute is the payload hash')
  t.same(parseAction('set name=a value=b=c').attrs.value, 'b=c')
  t.same(parseAction('set\tname=a\tvalue=b').attrs, { name: 'a', value: 'b' })
})

t.test('malformed actions are refused with a reason', async t => {
  const cases: Array<[string, RegExp]> = [
    ['set', /no attributes/],
    ['bogus name=x', /unknown action type 'bogus'/],
    ['set name=x value="open', /unfinished quoted value/],
    ['set name=x value=', /missing value/],
    ['set name=x =y', /missing key/],
    ['set na"me=x', /quote in key/],
    ['set name=x key', /missing value/],
    ['set name=x ke y=1', /whitespace in key/],
    ['dir abc path=x', /doesn't allow payload/],
    ['set data=x', /invalid key: 'data'/],
    ['file abc hash=def path=x', /not identical/],
    ['set name= x', /missing value/]
  ]
  for (const [line, why] of cases) t.throws(() => parseAction(line), { message: why, status: 400 }, line)
})

t.test('printing: sorted keys, pkg5 quoting', async t => {
  t.equal(formatAction(parseAction('set value="it\'s \\"quoted\\"" name=x')), 'set name=x value="it\'s \\"quoted\\""')
  t.equal(formatAction(parseAction("set name=x value='say \"hi\"'")), "set name=x value='say \"hi\"'")
  t.equal(formatAction(parseAction('set name=x value=""')), 'set name=x value=""')
  t.equal(formatAction(parseAction('set name=x value="$(cmd)"')), 'set name=x value="$(cmd)"')
  t.equal(formatAction(parseAction('file hash="a b" path=p')), 'file hash="a b" path=p', 'an odd hash is written as an attribute')
})

t.test('manifest lines: comments, blanks, continuations', async t => {
  t.same(manifestLines('# c\n\n  set name=a \\\n   value=b\ndir path=x\n'), ['set name=a value=b', 'dir path=x'])
  t.throws(() => parseManifest('set name=a value=b\nset name=b value=c\n', 1), TooManyActionsError, 'a typed 400, never a RangeError that reaches a handler as a 500')
})

t.test('every golden manifest line survives parse and print unchanged', async t => {
  let n = 0
  for (const pub of ['test', 'example.org']) {
    const root = path.join(GOLDEN, 'repo/publisher', pub, 'pkg')
    for (const stem of fs.readdirSync(root)) {
      for (const ver of fs.readdirSync(path.join(root, stem))) {
        for (const line of fs.readFileSync(path.join(root, stem, ver), 'utf8').split('\n').filter(Boolean)) {
          t.equal(formatAction(parseAction(line)), line)
          n++
        }
      }
    }
  }
  t.ok(n > 100, `${n} lines`)
})

t.test('catalog parts derived from the golden manifests equal the golden parts', async t => {
  for (const pub of ['test', 'example.org']) {
    const root = path.join(GOLDEN, 'repo/publisher', pub, 'pkg')
    const parts = new Map<string, Array<{ stem: string, version: string, entry: { actions: string[] } }>>()
    for (const stem of fs.readdirSync(root)) {
      for (const ver of fs.readdirSync(path.join(root, stem))) {
        const actions = parseManifest(fs.readFileSync(path.join(root, stem, ver), 'utf8'))
        for (const [part, list] of catalogPartActions(actions)) {
          parts.set(part, [...(parts.get(part) ?? []), { stem: decodeURIComponent(stem), version: decodeURIComponent(ver), entry: { actions: list } }])
        }
      }
    }
    for (const [part, entries] of parts) {
      const golden = fs.readFileSync(path.join(GOLDEN, 'catalog-after', pub, part))
      t.same(buildPart(pub, entries).bytes, golden, `${pub} ${part}`)
      t.ok(verifyCatalogFile(golden))
    }
  }
})
