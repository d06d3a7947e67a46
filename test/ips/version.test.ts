import t from 'tap'
import { compareVersions, formatVersion, parseVersion } from '../../src/ips/version.js'

t.test('parses and prints every component', async t => {
  const v = parseVersion('1.0.1,5.11-0.175.1:20261123T001651Z')
  t.same(v.release, ['1', '0', '1'])
  t.same(v.build, ['5', '11'])
  t.same(v.branch, ['0', '175', '1'])
  t.equal(v.timestamp, '20261123T001651Z')
  t.equal(formatVersion(v), '1.0.1,5.11-0.175.1:20261123T001651Z')
})

t.test('the build release defaults to 5.11, or to the given build string', async t => {
  t.equal(formatVersion(parseVersion('1.0-0.1')), '1.0,5.11-0.1')
  t.equal(formatVersion(parseVersion('2', '5.12')), '2,5.12')
})

t.test('errors say what pkg5 says', async t => {
  const cases: Array<[string, string]> = [
    ['', 'Version cannot be empty'],
    ['a', 'Bad Version: a'],
    ['1.a', 'Bad Version: 1.a'],
    ['x.y', 'Bad Version: x.y'],
    ['1.0,-2.0', 'Bad Version: '],
    ['1.01', 'Bad Version: 1.01'],
    ['-1', 'Versions must have a release value'],
    [',5.11', 'Versions must have a release value'],
    ['1..0', 'Bad Version: 1..0'],
    ['1.0-', 'Bad Version: '],
    ['1.0:2026', 'Time must be ISO8601 format.'],
    ['0.5.11,5.11-0.101:20081119T231649a', 'Time must be ISO8601 format.'],
    ['1:20261301T000000Z', 'Time must be ISO8601 format.'],
    ['1:20260230T000000Z', 'Time must be ISO8601 format.'],
    ['1:20261123T246000Z', 'Time must be ISO8601 format.']
  ]
  for (const [input, message] of cases) t.throws(() => parseVersion(input), { message, status: 400 }, input)
})

t.test('ordering: release, branch, timestamp; build release ignored', async t => {
  const order = ['1.0,5.11-0.1', '1.0,5.11-0.1:20261123T001653Z', '1.0,5.11-0.2:20261123T001652Z', '1.0.1,5.11-0.1',
    '1.2,5.11-0.1', '1.10,5.11-0.1:20261123T001652Z', '1.10,5.11-0.1:20261123T001654Z', '2.0,5.11-0.1', '10.0']
  for (let i = 1; i < order.length; i++) {
    t.equal(compareVersions(parseVersion(order[i - 1]!), parseVersion(order[i]!)), -1, `${order[i - 1]} < ${order[i]}`)
    t.equal(compareVersions(parseVersion(order[i]!), parseVersion(order[i - 1]!)), 1)
  }
  t.equal(compareVersions(parseVersion('1.0,5.10-1'), parseVersion('1.0,5.12-1')), 0, 'build release is ignored')
  t.equal(compareVersions(parseVersion('1.0'), parseVersion('1.0-0')), -1, 'no branch sorts first')
  t.equal(compareVersions(parseVersion('99999999999999999999'), parseVersion('100000000000000000000')), -1, 'no precision limit')
})
