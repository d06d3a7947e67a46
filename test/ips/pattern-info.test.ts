import t from 'tap'
import { parseAction } from '../../src/ips/action.js'
import { parseFmri } from '../../src/ips/fmri.js'
import { bytesToStr, cTime, packageInfo } from '../../src/ips/info.js'
import { parsePattern, stemMatches, versionMatches } from '../../src/ips/pattern.js'
import { formatCatalogTime, parseCatalogTime, updateLogName } from '../../src/ips/timestamp.js'
import { parseVersion } from '../../src/ips/version.js'

t.test('package patterns', async t => {
  const m = (p: string, stem: string): boolean => stemMatches(parsePattern(p), stem)
  t.ok(m('hello', 'example/hello'), 'a tail matches')
  t.notOk(m('llo', 'example/hello'), 'only whole components')
  t.notOk(m('/hello', 'example/hello'), 'a leading / anchors')
  t.ok(m('pkg:/example/hello', 'example/hello'))
  t.ok(m('example/hel*', 'example/hello'))
  t.ok(m('*', 'tools/deep/nested/stem'))
  t.ok(m('tools/*', 'tools/C++_lib.extra-1'))
  t.ok(m('C++_lib.extra-?', 'tools/C++_lib.extra-1'), 'regex characters in stems are literal')
  const p = parsePattern('example/hello@1.0')
  t.ok(versionMatches(p, parseVersion('1.0.1,5.11-0.1')), '1.0 matches 1.0.1')
  t.ok(versionMatches(p, parseVersion('1.0,5.11-0.2')))
  t.notOk(versionMatches(p, parseVersion('1.10,5.11-0.1')))
  t.throws(() => parsePattern('x@1.a'), { message: "Illegal FMRI 'x@1.a': Bad Version: 1.a" })
  t.throws(() => parsePattern(''), { message: "Illegal FMRI '': Missing package name" })
})

t.test('catalog timestamps keep microseconds only when not zero', async t => {
  for (const s of ['20261123T001657.389786Z', '20261123T010015Z', '20261123T000000.000001Z']) t.equal(formatCatalogTime(parseCatalogTime(s)), s)
  t.equal(formatCatalogTime(parseCatalogTime('20261123T000000.000000Z')), '20261123T000000Z')
  t.equal(updateLogName(parseCatalogTime('20261123T015959.999999Z')), 'update.20261123T01Z.C')
  t.throws(() => parseCatalogTime('2026-11-23'), { message: /invalid catalog timestamp/ })
})

t.test('info text', async t => {
  t.equal(bytesToStr(0), '0.00 B')
  t.equal(bytesToStr(1023), '1023.00 B')
  t.equal(bytesToStr(205231), '200.42 kB')
  t.equal(bytesToStr(5 * 1024 ** 3), '5.00 GB')
  t.equal(cTime(new Date(Date.UTC(2026, 10, 3, 4, 5, 6))), 'Tue Nov  3 04:05:06 2026')
  const fmri = { ...parseFmri('pkg://test/a/b@1.0,5.11-0.1:20261123T001651Z'), publisher: 'test' }
  const actions = ['set name=pkg.summary value=S', 'set name=pkg.human-version value=1.0-rc', 'file h path=a pkg.size=10 pkg.csize=20', 'license l license=L pkg.size=5 pkg.csize=7'].map(parseAction)
  const text = packageInfo(fmri, actions, new Date(Date.UTC(2026, 10, 23, 0, 16, 51)), ['L1\n', 'L2\n'])
  t.equal(text, `           Name: a/b
        Summary: S
      Publisher: test
        Version: 1.0 (1.0-rc)
  Build Release: 5.11
         Branch: 0.1
 Packaging Date: Mon Nov 23 00:16:51 2026
           Size: 15.00 B
Compressed Size: 27.00 B
           FMRI: pkg://test/a/b@1.0,5.11-0.1:20261123T001651Z

License:
L1

L2

`)
})
