/**
 * Where each action line lies in a manifest's bytes: the search index
 * prints a result by reading that slice of the stored manifest, so a
 * wrong offset would print another action's text.
 */
import fc from 'fast-check'
import t from 'tap'
import { manifestLines, manifestLineSpans } from '../../src/ips/manifest.js'
import { runs } from '../helpers/fuzz.js'

t.test('a continued line is joined and has no slice; leading whitespace is not part of a line', async tt => {
  const text = '  set name=a value=b\n\tdir path=x \\\n  owner=root\n# comment\n\r\nlink path=é target=ü\r\n'
  const spans = manifestLineSpans(text)
  tt.same(spans.map(s => s.line), ['set name=a value=b', 'dir path=x owner=root', 'link path=é target=ü'])
  tt.equal(spans[1]!.start, -1)
  const bytes = Buffer.from(text)
  for (const s of [spans[0]!, spans[2]!]) tt.equal(bytes.subarray(s.start, s.start + s.length).toString(), s.line)
})

t.test('every slice is the line, for any mix of line ends, continuations, comments and multi-byte text', async tt => {
  const piece = fc.constantFrom('a', 'set', ' ', '\t', '\\', '\n', '\r', '\r\n', '#', 'é', '😀', '\u00a0', '\u2028', 'x=1')
  fc.assert(fc.property(fc.array(piece, { maxLength: 40 }).map(a => a.join('')), text => {
    const bytes = Buffer.from(text)
    const spans = manifestLineSpans(text)
    for (const s of spans) {
      if (s.start >= 0 && bytes.subarray(s.start, s.start + s.length).toString() !== s.line) return false
      if (/[\r\n]/.test(s.line) || s.line === '' || s.line.startsWith('#')) return false
    }
    return spans.every((s, i) => s.line === manifestLines(text)[i])
  }), { numRuns: runs(2000) })
  tt.pass('checked')
})
