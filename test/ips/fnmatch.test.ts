/**
 * Glob terms mean what pkg5's Python means by them: every recorded answer
 * of Python's fnmatch (fixtures/python, from scripts/record-fnmatch.py),
 * bracket corners included. And no pattern can make matching cost more
 * than pattern × subject: the globs of an anonymous search once
 * backtracked for seconds on one token.
 */
import fs from 'node:fs'
import path from 'node:path'
import fc from 'fast-check'
import t from 'tap'
import { compileGlob } from '../../src/ips/fnmatch.js'
import { ROOT } from '../helpers/depot.js'
import { runs } from '../helpers/fuzz.js'

const recorded = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures/python/fnmatch-cases.json'), 'utf8')) as { python: string, cases: Array<[string, string, boolean]> }

t.test(`every recorded answer of Python ${recorded.python}'s fnmatchcase`, async t => {
  const wrong = recorded.cases.filter(([pattern, s, want]) => compileGlob(pattern, false).test(s) !== want)
  t.same(wrong.slice(0, 20), [], `${recorded.cases.length} cases, ${wrong.length} differ`)
})

t.test('the corners the search once answered with a 500', async t => {
  t.notOk(compileGlob('[z-a]', false).test('z'), '[z-a] matches nothing')
  t.ok(compileGlob('[]-a]', false).test('_'), '[]-a] is the range from ] to a')
  t.ok(compileGlob(']', false).test(']'), 'a lone ] is literal')
  t.ok(compileGlob('[', false).test('['), 'an unclosed bracket is literal')
  t.notOk(compileGlob('a.b', false).test('axb'), 'a dot is literal')
  t.ok(compileGlob('a*b', false).test('a\nb'), 'a star crosses a newline, as Python\'s (?s) does')
  t.ok(compileGlob('?', false).test('😀'), '? is one code point, not one UTF-16 unit')
  t.notOk(compileGlob('??', false).test('😀'), 'an astral character is not two')
})

t.test('case-insensitive matching (package patterns of field queries)', async t => {
  t.ok(compileGlob('CAFÉ', true).test('café'), 'beyond ASCII')
  t.ok(compileGlob('[A-C]x', true).test('bX'), 'a class holds the other case of its members')
  t.notOk(compileGlob('[!a]', true).test('A'), 'a negated class excludes both cases')
  t.ok(compileGlob('\u212a', true).test('k'), 'the Kelvin sign folds to k')
  t.notOk(compileGlob('CAFE', false).test('cafe'), 'case matters unless asked')
})

// The regression the attack found: each of these took seconds on one token when '*' was a backtracking '.*'.
t.test('the backtracking patterns of the search attack answer at once', async t => {
  const token = 'a'.repeat(200)
  for (const pattern of ['*?*?*?*?*?!', '*?*?*?*?*?*?*?*?!', '*a*a*a*a*a*a*a*a*a*a*a*a*b', `${'*a'.repeat(32)}!`]) {
    const glob = compileGlob(pattern, false)
    let ops = 0
    // Counted, not timed: a linear matcher reads each (atom, character) pair a bounded number of times.
    const counted = { codePointAt: (i: number) => { ops++; return token.codePointAt(i) }, length: token.length } as unknown as string
    t.notOk(glob.test(counted), pattern)
    t.ok(ops <= 4 * pattern.length * token.length, `${pattern}: ${ops} character reads for ${pattern.length} × ${token.length}`)
  }
})

const atom = fc.oneof(
  fc.constant('*'), fc.constant('?'), fc.constantFrom('a', 'b', '!', '-'),
  fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'a-b', ']', 'z-a')).map(([neg, body]) => `[${neg ? '!' : ''}${body}]`)
)

t.test('matching costs at most pattern × subject, for any pattern of up to 64 atoms', async t => {
  fc.assert(fc.property(fc.array(atom, { maxLength: 64 }), fc.string({ unit: fc.constantFrom('a', 'b', '!', '-', ']'), minLength: 200, maxLength: 200 }), (parts, subject) => {
    const pattern = parts.join('')
    let ops = 0
    const counted = { codePointAt: (i: number) => { ops++; return subject.codePointAt(i) }, length: subject.length } as unknown as string
    const glob = compileGlob(pattern, false)
    const answer = glob.test(counted)
    // The same answer as on the plain string: counting changed nothing.
    return answer === glob.test(subject) && ops <= 4 * (parts.length + 1) * (subject.length + 1)
  }), { numRuns: runs(300) })
  t.pass()
})

t.test('a pattern without * ? [ matches exactly itself, whatever characters it holds', async t => {
  const plain = fc.string({ unit: 'binary', maxLength: 24 }).map(s => s.replace(/[*?[]/g, ''))
  fc.assert(fc.property(plain, plain, (pattern, s) => compileGlob(pattern, false).test(pattern) && compileGlob(pattern, false).test(s) === (s === pattern)),
    { numRuns: runs(2000) })
  t.pass()
})
