/**
 * A signature whose chain holds several intermediate certificates, as
 * `pkgsign -i A -i B -i C` makes and distributions use: the signature
 * action's `chain` is one value, the certificates' hashes separated by
 * spaces, each sent to the transaction (file/1) or already stored. Through
 * manifest/1 (pkgsend, pkgrecv -d), add/0 (older clients) and append/0
 * (pkgsign signing a published package); the certificates are then served
 * as the payloads the client fetches to verify the chain.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import t, { type Test } from 'tap'
import { tempDir } from '../helpers/depot.js'
import { errorMessage, request } from '../helpers/http.js'
import { makeChain } from '../helpers/pki.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'

const logLines: string[] = []
const { depot, token } = await startPublishingDepot(t, { publishers: [['test', true]], log: { write: line => { logLines.push(line) } } })
const auth = { Authorization: `Bearer ${await token()}` }
const pki = tempDir('ips-depot-pki-')
t.teardown(() => { fs.rmSync(pki, { recursive: true, force: true }) })
const chain = makeChain(pki, 3)
const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')
// pkgsign lists the signer's issuer first: -i int-3 -i int-2 -i int-1.
const chainHashes = chain.intermediates.map(sha1).reverse()
const signature = (extra = ''): string =>
  `signature ${sha1(chain.signer)} algorithm=rsa-sha256 chain="${chainHashes.join(' ')}" value=0123abcd version=0${extra}`

async function open (stem: string): Promise<string> {
  const res = await request(depot.port, 'GET', `/open/0/${encodeURIComponent(`pkg://test/${stem}@1.0,5.11-0.1`)}`, { ...auth, 'Client-Release': '5.11' })
  t.equal(res.status, 200, `open ${stem}`)
  return String(res.headers['transaction-id'])
}

async function sendCertificates (id: string, certs: readonly Buffer[]): Promise<void> {
  for (const cert of certs) {
    const res = await request(depot.port, 'POST', `/file/1/${id}`, auth, cert)
    t.equal(res.status, 200, `file/1 of ${sha1(cert).slice(0, 8)}`)
  }
}

async function closeAndCheck (t: Test, id: string, what: string): Promise<void> {
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 200, `${what}: closed (${errorMessage(closed.body) ?? ''})`)
  const fmri = String(closed.headers['package-fmri'])
  const path = fmri.replace(/^pkg:\/\/test\//, '')
  const manifest = (await request(depot.port, 'GET', `/test/manifest/0/${encodeURIComponent(path)}`)).body.toString()
  t.match(manifest, `chain="${chainHashes.join(' ')}"`, `${what}: the stored manifest keeps the chain as sent`)
  for (const cert of [chain.signer, ...chain.intermediates]) {
    const served = await request(depot.port, 'GET', `/test/file/0/${sha1(cert)}`)
    t.equal(served.status, 200, `${what}: certificate ${sha1(cert).slice(0, 8)} is served`)
  }
}

t.test('manifest/1: a whole manifest with a signature over three intermediates', async t => {
  const id = await open('example/chained-manifest')
  await sendCertificates(id, [chain.signer, ...chain.intermediates])
  const text = `set name=pkg.summary value="chained"\n${signature()}\n`
  t.equal((await request(depot.port, 'POST', `/manifest/1/${id}`, auth, text)).status, 200)
  await closeAndCheck(t, id, 'manifest/1')
})

t.test('add/0: the signature action as headers', async t => {
  const id = await open('example/chained-add')
  await sendCertificates(id, [chain.signer, ...chain.intermediates])
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/set`, { ...auth, 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=chained' })).status, 200)
  const headers = [`hash=${sha1(chain.signer)}`, 'algorithm=rsa-sha256', `chain=${chainHashes.join(' ')}`, 'value=0123abcd', 'version=0']
  const added = await request(depot.port, 'POST', `/add/0/${id}/signature`, { ...auth, ...Object.fromEntries(headers.map((h, i) => [`X-IPkg-SetAttr${i}`, h])) })
  t.equal(added.status, 200, errorMessage(added.body) ?? '')
  await closeAndCheck(t, id, 'add/0')
})

t.test('append/0: pkgsign signs a published package; its intermediates are already stored', async t => {
  const plain = await open('example/chained-append')
  t.equal((await request(depot.port, 'POST', `/add/0/${plain}/set`, { ...auth, 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=to be signed' })).status, 200)
  const published = String((await request(depot.port, 'GET', `/close/0/${plain}`, auth)).headers['package-fmri'])
  const appended = await request(depot.port, 'GET', `/append/0/${encodeURIComponent(published)}`, { ...auth, 'Client-Release': '5.11' })
  t.equal(appended.status, 200)
  const id = String(appended.headers['transaction-id'])
  // Only the signer is sent: the intermediates were stored by the tests before, as a second package signed with the same chain finds them.
  await sendCertificates(id, [chain.signer])
  t.equal((await request(depot.port, 'POST', `/manifest/1/${id}`, auth, signature() + '\n')).status, 200)
  await closeAndCheck(t, id, 'append/0')
})

t.test('a certificate of the chain that was never sent is named, and the reason reaches the access log', async t => {
  const missing = sha1('a certificate nobody sent\n')
  const id = await open('example/chained-missing')
  await sendCertificates(id, [chain.signer])
  const text = `signature ${sha1(chain.signer)} algorithm=rsa-sha256 chain="${chainHashes[0]!} ${missing}" value=0123abcd version=0\n`
  t.equal((await request(depot.port, 'POST', `/manifest/1/${id}`, auth, text)).status, 200)
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 400)
  t.equal(errorMessage(closed.body), `The payload ${missing} of a signature action was never sent to this transaction.`)
  const line = logLines.map(l => JSON.parse(l) as { url?: string, status?: number, reason?: string }).find(l => l.status === 400 && l.url?.startsWith('/close/0/') === true)
  t.equal(line?.reason, errorMessage(closed.body), 'the access log line says why')
})

t.test('file/1 with a basename takes gzip bytes: a raw certificate sent that way is refused', async t => {
  const id = await open('example/raw-with-basename')
  const res = await request(depot.port, 'POST', `/file/1/${id}`, { ...auth, 'X-IPkg-SetAttr0': `basename=${sha1(chain.signer)}` }, chain.signer)
  t.equal(res.status, 400)
  t.match(errorMessage(res.body), /not a valid gzip stream/)
})
