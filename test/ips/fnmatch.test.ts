/**
 * Glob terms mean what pkg5's Python means by them: every recorded answer
 * of Python's fnmatch (fixtures/python, from scripts/record-fnmatch.py),
 * bracket corners included, and no pattern text can make a RegExp that
 * throws.
 */
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { fnmatchRegExp } from '../../src/ips/fnmatch.js'
import { ROOT } from '../helpers/depot.js'
import { runs } from '../helpers/fuzz.js'

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/python/fnmatch-cases.json'), 'utf8')) as { python: string, cases: Array<[string, string, boolean]> }

t.test(`every recorded answer of Python ${recorded.python}'s fnmatchcase`, async t => {
  const wrong = recorded.cases.filter(([pattern, s, want]) => fnmatchRegExp(pattern, false).test(s) !== want)
  t.same(wrong.slice(0, 20), [], `${recorded.cases.length} cases, ${wrong.length} differ`)
})

t.test('the corners the search once answered with a 500', async t => {
  t.notOk(fnmatchRegExp('[z-a]', false).test('z'), '[z-a] matches nothing')
  t.ok(fnmatchRegExp('[]-a]', false).test('_'), '[]-a] is the range from ] to a')
  t.ok(fnmatchRegExp(']', false).test(']'), 'a lone ] is literal')
  t.ok(fnmatchRegExp('[', false).test('['), 'an unclosed bracket is literal')
  t.ok(fnmatchRegExp('CAFÉ', true).test('café'), 'case-insensitive beyond ASCII')
  t.notOk(fnmatchRegExp('a.b', false).test('axb'), 'a dot is literal')
})

t.test('no pattern makes an invalid RegExp', async t => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 24 }), fc.boolean(), (pattern, ci) => { fnmatchRegExp(pattern, ci) }), { numRuns: runs(2000) })
  t.pass()
})
