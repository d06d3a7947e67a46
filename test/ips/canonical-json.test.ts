import t from 'tap'
import { canonicalJson, compareCodePoints } from '../../src/ips/canonical-json.js'

t.test('rapidjson canonical form', async t => {
  t.equal(canonicalJson({ b: 1, a: [true, false, null], c: { z: 'x', y: '' } }), '{"a":[true,false,null],"b":1,"c":{"y":"","z":"x"}}')
  t.equal(canonicalJson('café'), '"caf\\u00E9"', 'non-ASCII as uppercase \\uXXXX')
  t.equal(canonicalJson('🚀'), '"\\uD83D\\uDE80"', 'astral characters as surrogate pairs')
  t.equal(canonicalJson('a/b\x7f'), '"a/b\x7f"', '/ and DEL are not escaped')
  t.equal(canonicalJson('"\\\b\t\n\f\r\x0b\x1f'), '"\\"\\\\\\b\\t\\n\\f\\r\\u000B\\u001F"')
  t.equal(canonicalJson('é', false), '"é"', 'utf8 form leaves non-ASCII as is')
  t.throws(() => canonicalJson(1.5), TypeError)
})

t.test('keys sort by code point, not UTF-16 unit', async t => {
  const astral = '\u{1F680}'
  const bmp = '\uFF5E'
  t.ok(compareCodePoints(bmp, astral) < 0, 'U+FF5E sorts before U+1F680')
  t.ok(bmp.localeCompare(astral) !== 0)
  t.equal(canonicalJson({ [astral]: 1, [bmp]: 2 }), '{"\\uFF5E":2,"\\uD83D\\uDE80":1}')
})
