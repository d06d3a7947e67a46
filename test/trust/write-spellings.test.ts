/**
 * The trust boundary as a property: every spelling of every pkg(5) write
 * (sign, leading zeros, '+', whitespace, percent-encoded letters and
 * digits, case, doubled slashes, publisher prefixes, every method), sent
 * with no token, an expired token, a token for another publisher or a
 * forged one, changes nothing (catalog, publishers, transactions, payload
 * store, jobs) and answers only 400/401/403/404/405. Every refusal that
 * reached the guard is in the audit log.
 */
import fc from 'fast-check'
import t from 'tap'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { errorMessage, request } from '../helpers/http.js'
import { repositoryState, runs, spelled } from '../helpers/fuzz.js'

const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]] })
const now = Math.floor(Date.now() / 1000)

// A transaction a legitimate publisher has open, with an action and a payload in it: the attacker's target.
const owner = await token({ depot_publishers: ['test'] })
const opened = await request(depot.port, 'GET', '/open/0/pkg:%2F%2Ftest%2Fvictim%401.0', { Authorization: `Bearer ${owner}`, 'Client-Release': '5.11' })
const txid = String(opened.headers['transaction-id'])
const added = await request(depot.port, 'POST', `/add/0/${txid}/file`, { Authorization: `Bearer ${owner}`, 'X-IPkg-SetAttr0': 'path=etc/victim', 'X-IPkg-SetAttr1': 'mode=0644', 'X-IPkg-SetAttr2': 'owner=root', 'X-IPkg-SetAttr3': 'group=bin' }, 'victim payload')
if (opened.status !== 200 || added.status !== 200) throw new Error(`the victim's transaction: open ${opened.status}, add ${added.status}`)

const credentials = {
  none: null,
  expired: await token({ depot_publishers: ['test'], iat: now - 7200, exp: now - 3600 }),
  otherPublisher: await token({ depot_publishers: ['example.org'] }),
  forged: (await token({ depot_publishers: ['test'] })).slice(0, -6) + 'AAAAAA'
}

const snapshot = (): string => repositoryState(depot)

const auditCount = (): number => depot.repo.db.prepare('SELECT COUNT(*) FROM audit_log').pluck().get() as number

const sometimes = <T>(usual: T, ...others: T[]): fc.Arbitrary<T> => fc.oneof({ weight: others.length * 2, arbitrary: fc.constant(usual) }, { weight: others.length, arbitrary: fc.constantFrom(...others) })
const sep = sometimes('/', '//')
const version = (digit: string): fc.Arbitrary<string> => fc.tuple(
  fc.constantFrom('', '', '-', '+', '%2D', '%2B', '%20', '%09'),
  fc.array(fc.constantFrom('0', '%30'), { maxLength: 3 }),
  fc.constantFrom(digit, `%3${digit}`),
  fc.constantFrom('', '', '%20', '.', '%00', 'x')
).map(([sign, zeros, d, suffix]) => `${sign}${zeros.join('')}${d}${suffix}`)
const prefix = sometimes('', 'test/', 'TEST/', '%74est/', 'evilpub/', 'example.org/')
const fmri = fc.constantFrom('pkg:%2F%2Ftest%2Fx%401.0', 'pkg://test/x@1.0', 'pkg:%2F%2Fevilpub%2Fx%401.0', 'x%401.0', 'pkg:/victim@1.0', `pkg:%2F%2Ftest%2Fvictim%401.0`)
const tx = fc.constantFrom(txid, decodeURIComponent(txid), txid.replace(/%3A/g, ':'), txid.toLowerCase())
const cmd = fc.constantFrom('rebuild', 'rebuild-packages', 'rebuild-indexes', 'refresh', 'refresh-packages', 'refresh-indexes', 'REFRESH')

/** [op, version digit, argument, query, the method the protocol uses] for every write it has. */
const write = fc.oneof(
  fc.tuple(fc.constantFrom('open', 'append'), fc.constant('0'), fmri, fc.constant(''), fc.constant('GET')),
  fc.tuple(fc.constant('add'), fc.constant('0'), fc.tuple(tx, fc.constantFrom('file', 'set', 'dir')).map(([id, type]) => `${id}/${type}`), fc.constant(''), fc.constant('POST')),
  fc.tuple(fc.constantFrom('close', 'abandon'), fc.constant('0'), tx, fc.constant(''), fc.constant('GET')),
  fc.tuple(fc.constantFrom('file', 'manifest'), fc.constant('1'), tx, fc.constant(''), fc.constant('POST')),
  fc.tuple(fc.constant('admin'), fc.constant('0'), fc.constant(''), cmd.map(c => `?cmd=${c}`), fc.constant('GET')),
  fc.tuple(fc.constant('index'), fc.constant('0'), fc.constant('refresh'), fc.constant(''), fc.constant('GET'))
)

const attempt = write.chain(w => fc.record({
  write: fc.constant(w),
  lead: sep,
  prefix,
  mid: sep,
  tail: sep,
  op: fc.oneof({ weight: 2, arbitrary: fc.constant(w[0]) }, { weight: 1, arbitrary: spelled(w[0]) }),
  v: fc.oneof({ weight: 1, arbitrary: fc.constant(w[1]) }, { weight: 2, arbitrary: version(w[1]) }),
  method: sometimes(w[4], 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  credential: fc.constantFrom(...Object.keys(credentials) as Array<keyof typeof credentials>)
}))

t.test('no spelling of a write changes anything without a valid grant', async t => {
  const before = snapshot()
  const statuses = new Map<number, number>()
  await fc.assert(fc.asyncProperty(attempt, async a => {
    const target = `${a.lead}${a.prefix}${a.op}${a.mid}${a.v}${a.tail}${a.write[2]}${a.write[3]}`
    const cred = credentials[a.credential]
    const headers: Record<string, string> = { 'Client-Release': '5.11', 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=owned' }
    if (cred !== null) headers.Authorization = `Bearer ${cred}`
    const audited = auditCount()
    const unchanged = snapshot()
    const body = a.method === 'POST' || a.method === 'PUT' ? 'set name=pkg.summary value=owned\n' : undefined
    const res = await request(depot.port, a.method, target, headers, body)
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    if (![400, 401, 403, 404, 405].includes(res.status)) throw new Error(`${a.method} ${target} (${a.credential}) answered ${res.status}: ${res.body.toString().slice(0, 300)}`)
    if ((res.status === 401 || res.status === 403) && auditCount() !== audited + 1) throw new Error(`${a.method} ${target}: a refusal that is not in the audit log`)
    if (snapshot() !== unchanged) throw new Error(`${a.method} ${target} (${a.credential}) changed the repository`)
  }), { numRuns: runs(400) })
  t.equal(snapshot(), before, 'the repository is as it was')
  t.ok((statuses.get(401) ?? 0) > 0 && (statuses.get(403) ?? 0) > 0 && (statuses.get(404) ?? 0) > 0, `the generator reaches the guard and the resolver: ${JSON.stringify(Object.fromEntries(statuses))}`)
})

t.test('regressions: the spellings that once published without a token', async t => {
  const before = snapshot()
  const cases: Array<[string, string, number, string]> = [
    ['GET', '/open/-0/pkg:%2F%2Ftest%2Fx%401.0', 404, "Version '-0' not supported for operation 'open'"],
    ['GET', '/open/-0/pkg:%2F%2Fevilpub%2Fx%401.0', 404, "Version '-0' not supported for operation 'open'"],
    ['POST', `/add/-0/${txid}/set`, 404, "Version '-0' not supported for operation 'add'"],
    ['GET', `/close/-0/${txid}`, 404, "Version '-0' not supported for operation 'close'"],
    ['GET', '/admin/-0/?cmd=rebuild-packages', 404, "Version '-0' not supported for operation 'admin'"],
    ['GET', '/test/index/-0/refresh', 404, "Version '-0' not supported for operation 'index'"],
    ['POST', `/test/manifest/01/${txid}`, 404, "Version '01' not supported for operation 'manifest'"],
    ['GET', '/open/+0/x%401.0', 404, "Version '+0' not supported for operation 'open'"],
    // Found by the property on the old code: a percent-encoded sign decodes to '-0' after the guard looked.
    ['GET', '/index/%2D0/refresh', 404, "Version '-0' not supported for operation 'index'"],
    ['GET', `/close/%2D00/${txid}`, 404, "Version '-00' not supported for operation 'close'"],
    ['GET', '/open/0x0/x%401.0', 400, 'Non-integer version'],
    ['GET', '/open/%200/x%401.0', 400, 'Non-integer version'],
    ['GET', '/open/0/pkg:%2F%2Ftest%2Fx%401.0', 401, 'This operation requires a bearer token.']
  ]
  for (const [method, target, status, message] of cases) {
    const res = await request(depot.port, method, target, { 'Client-Release': '5.11' }, method === 'POST' ? 'set name=a value=b\n' : undefined)
    t.equal(res.status, status, `${method} ${target}`)
    t.equal(errorMessage(res.body), message, `${method} ${target}: pkg.depotd's message`)
  }
  t.equal(snapshot(), before, 'nothing changed')
  t.equal(depot.repo.db.prepare("SELECT COUNT(*) FROM publisher WHERE name = 'evilpub'").pluck().get(), 0, 'no publisher evilpub')
})

t.test('the canonical spellings still work with a valid grant', async t => {
  const res = await request(depot.port, 'GET', `/close/0/${txid}`, { Authorization: `Bearer ${owner}` })
  t.equal(res.status, 200, 'the owner closes its transaction')
  t.match(String(res.headers['package-fmri']), /^pkg:\/\/test\/victim@1\.0,5\.11:/)
})
