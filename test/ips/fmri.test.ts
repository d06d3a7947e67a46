import t from 'tap'
import { fmriUrlPath, formatFmri, parseFmri } from '../../src/ips/fmri.js'
import { pyQuote } from '../../src/ips/quote.js'

t.test('every FMRI form', async t => {
  const forms: Array<[string, string | null, string]> = [
    ['pkg://test/example/hello@1.0,5.11-0.1:20261123T001653Z', 'test', 'example/hello'],
    ['pkg:/example/hello@1.0', null, 'example/hello'],
    ['//example.org/tools/editor@0.9', 'example.org', 'tools/editor'],
    ['/example/hello', null, 'example/hello'],
    ['example/hello', null, 'example/hello'],
    ['tools/C++_lib.extra-1@3.0', null, 'tools/C++_lib.extra-1'],
    ['pkg:///stem@1', null, 'stem']
  ]
  for (const [input, pub, stem] of forms) {
    const f = parseFmri(input)
    t.equal(f.publisher, pub, `${input}: publisher`)
    t.equal(f.stem, stem, `${input}: stem`)
  }
  t.equal(formatFmri(parseFmri('pkg://test/a/b@1.0-0.1')), 'pkg://test/a/b@1.0,5.11-0.1')
  t.equal(formatFmri(parseFmri('a/b@1'), { publisher: 'p' }), 'pkg://p/a/b@1,5.11')
  t.equal(formatFmri(parseFmri('a/b')), 'pkg:/a/b')
})

t.test('errors say what pkg5 says', async t => {
  const cases: Array<[string, string]> = [
    ['', "Illegal FMRI '': Missing package name"],
    ['BRCMbnx@a', "Illegal FMRI 'BRCMbnx@a': Bad Version: a"],
    ['example/hello@', "Illegal FMRI 'example/hello@': Version cannot be empty"],
    ['-bad-stem@1.0', "Illegal FMRI '-bad-stem@1.0': Invalid Package Name: -bad-stem"],
    ['foo@1.0:2026', "Illegal FMRI 'foo@1.0:2026': Time must be ISO8601 format."],
    ['pkg://test', "Illegal FMRI 'pkg://test': Missing '/' after publisher name"],
    ['a//b@1', "Illegal FMRI 'a//b@1': Invalid Package Name: a//b"],
    ['a b@1', "Illegal FMRI 'a b@1': Invalid Package Name: a b"],
    ['pkg://bad_pub!/x@1', "Illegal FMRI 'pkg://bad_pub!/x@1': Invalid publisher name: bad_pub!"]
  ]
  for (const [input, message] of cases) t.throws(() => parseFmri(input), { message, status: 400 }, input)
})

t.test('URL quoting as Python quote(s, safe="")', async t => {
  t.equal(pyQuote('example/hello'), 'example%2Fhello')
  t.equal(pyQuote('1.0,5.11-0.1:20261123T001653Z'), '1.0%2C5.11-0.1%3A20261123T001653Z')
  t.equal(pyQuote('C++_lib.extra-1~'), 'C%2B%2B_lib.extra-1~')
  t.equal(pyQuote('é 🚀'), '%C3%A9%20%F0%9F%9A%80')
  t.equal(fmriUrlPath('tools/C++_lib.extra-1', '3.0,5.11-0.1:20261123T001659Z'), 'tools%2FC%2B%2B_lib.extra-1@3.0%2C5.11-0.1%3A20261123T001659Z')
})
