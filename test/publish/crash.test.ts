/**
 * kill -9 the depot while publishers publish, over and over, and check
 * after each restart with the client's own rules. Each publisher keeps a
 * journal of what it sent and what the depot acknowledged; the depot
 * owes us every acknowledged package, whole, and nothing half there.
 *
 * The kill lands at a random moment, right after an acknowledgement (so
 * nothing may be lost that was answered), or in the middle of a close/0
 * or a REST publish. The seed is printed: CRASH_SEED=<n> replays a run.
 */
import { createHash } from 'node:crypto'
import t, { type Test } from 'tap'
import { fetchCatalog, packageProblem, partOf } from '../helpers/client-catalog.js'
import { prepareDepot, type ServingCli, spawnServe } from '../helpers/cli.js'
import { request } from '../helpers/http.js'

const PUBLISHERS = ['test', 'example.org'] as const
const WORKERS = 3
// CRASH_ROUNDS: fewer for a second run (test/s3/); the first five cover each kind of kill over each protocol.
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 8)
const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))

const { config, token: sign } = await prepareDepot(t, { publishers: PUBLISHERS })
const token = await sign()
const auth = { Authorization: `Bearer ${token}`, 'Client-Release': '5.11' }

const sha1 = (b: Buffer | string): string => createHash('sha1').update(b).digest('hex')
/** mulberry32: the kill schedule from one printed seed. */
function prng (s: number): () => number {
  return () => {
    s = (s + 0x6D2B79F5) | 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const random = prng(seed)

/** A payload every package carries: removing one package must never take it from another. */
const SHARED_LICENSE = Buffer.from('Terms shared by every package of the crash test.\n'.repeat(40))

interface Entry {
  readonly publisher: string
  readonly stem: string
  readonly via: 'pkg5' | 'rest'
  readonly payload: Buffer
  /** sent: the publish began and no answer came (the kill); acked: the depot answered that it is published. */
  state: 'sent' | 'acked' | 'refused'
  answer?: string
}
const journal: Entry[] = []

// The depot, and when the publishers may talk to it.
let depot: ServingCli
let gate: { open: boolean, opened: Promise<void>, release: () => void } = newGate()
function newGate (): typeof gate {
  let release!: () => void
  const opened = new Promise<void>(resolve => { release = resolve })
  return { open: false, opened, release }
}
let parked = 0
let stopping = false
/** A kill armed for the next acknowledgement, or the next close/0 or REST publish sent, over one protocol. */
type Trigger = 'after-ack' | 'mid-close'
let armed: { trigger: Trigger, via: Entry['via'] } | null = null
let killed: () => void = () => {}
function kill (): void {
  if (!gate.open) return
  gate = newGate()
  armed = null
  depot.child.kill('SIGKILL')
  killed()
}

async function send (port: number, method: string, target: string, headers: Record<string, string>, body?: Buffer | string): Promise<{ status: number, headers: Record<string, unknown>, body: Buffer }> {
  const res = request(port, method, target, headers, body)
  if (armed?.trigger === 'mid-close' && (armed.via === 'pkg5' ? target.startsWith('/close/0/') : target.endsWith('/packages'))) {
    armed = null
    // 0 to 4 ms after the request left: before, during or just after the commit.
    const delay = Math.floor(random() * 5)
    setTimeout(kill, delay)
  }
  return await res
}

async function publishPkg5 (port: number, e: Entry): Promise<string | undefined> {
  const fmri = encodeURIComponent(`pkg://${e.publisher}/${e.stem}@1.0`)
  const opened = await send(port, 'GET', `/open/0/${fmri}`, auth)
  if (opened.status !== 200) return `open ${opened.status}`
  const id = String(opened.headers['transaction-id'])
  const attrs = (list: string[]): Record<string, string> => Object.fromEntries(list.map((a, i) => [`X-IPkg-SetAttr${i}`, a]))
  for (const [type, headers, body] of [
    ['set', attrs(['name=pkg.summary', `value=${e.stem}`]), undefined],
    ['file', attrs([`path=opt/${e.stem}`, 'mode=0444', 'owner=root', 'group=bin']), e.payload],
    ['license', attrs(['license=shared-terms']), SHARED_LICENSE]
  ] as const) {
    const added = await send(port, 'POST', `/add/0/${id}/${type}`, { ...auth, ...headers }, body)
    if (added.status !== 200) return `add ${type} ${added.status}`
  }
  const closed = await send(port, 'GET', `/close/0/${id}`, auth)
  return closed.status === 200 && /^pkg:\/\//.test(String(closed.headers['package-fmri'])) ? undefined : `close ${closed.status}`
}

async function publishRest (port: number, e: Entry): Promise<string | undefined> {
  const boundary = `crash${sha1(e.stem)}`
  const part = (name: string, content: Buffer | string): Buffer => Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${name === 'manifest' ? '' : `; filename="${name}"\r\nContent-Type: application/octet-stream`}\r\n\r\n`),
    Buffer.from(content), Buffer.from('\r\n')])
  const manifest = `set name=pkg.fmri value=${e.stem}@1.0\nset name=pkg.summary value=${e.stem}\n` +
    `file ${sha1(e.payload)} path=opt/${e.stem} mode=0444 owner=root group=bin\nlicense ${sha1(SHARED_LICENSE)} license=shared-terms\n`
  const body = Buffer.concat([part('manifest', manifest), part(sha1(e.payload), e.payload), part(sha1(SHARED_LICENSE), SHARED_LICENSE), Buffer.from(`--${boundary}--\r\n`)])
  const res = await send(port, 'POST', `/api/v1/publishers/${e.publisher}/packages`, { Authorization: auth.Authorization, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, body)
  return res.status === 201 ? undefined : `REST ${res.status}: ${res.body.toString().slice(0, 200)}`
}

async function worker (w: number): Promise<void> {
  for (let n = 0; ; n++) {
    while (!gate.open) {
      if (stopping) return
      parked++
      await gate.opened
      parked--
    }
    const port = depot.port
    const e: Entry = {
      publisher: PUBLISHERS[n % 2]!,
      stem: `crash/w${w}/n${n}`,
      via: (n + w) % 2 === 0 ? 'pkg5' : 'rest',
      payload: Buffer.from(`payload of crash/w${w}/n${n}, seed ${seed}\n`.repeat(1 + (n % 50))),
      state: 'sent'
    }
    journal.push(e)
    let refusal: string | undefined
    try {
      refusal = await (e.via === 'pkg5' ? publishPkg5(port, e) : publishRest(port, e))
    } catch {
      continue // no answer: the depot died under this publish, which stays in doubt
    }
    if (refusal !== undefined) {
      e.state = 'refused'
      e.answer = refusal
      continue
    }
    e.state = 'acked'
    if (armed?.trigger === 'after-ack' && armed.via === e.via) kill()
  }
}

/** Every package the catalog lists, checked as the client checks it: manifest SHA-1, payload SHA-1 and chash. */
async function checkRepository (tt: Test, round: number): Promise<void> {
  const listed = new Set<string>()
  for (const pub of PUBLISHERS) {
    const cat = await fetchCatalog(depot.port, pub) // signatures of catalog.attrs and every part
    const base = partOf(cat.files.get('catalog.base.C'), pub)
    const versions = Object.values(base).reduce((n, list) => n + list.length, 0)
    tt.equal(cat.attrs['package-count'], Object.keys(base).length, `round ${round} ${pub}: catalog.attrs counts the stems of the base part`)
    tt.equal(cat.attrs['package-version-count'], versions, `round ${round} ${pub}: catalog.attrs counts the versions of the base part`)
    const v0 = (await request(depot.port, 'GET', `/${pub}/catalog/0/`)).body.toString().split('\n').filter(l => l.startsWith('V ')).sort()
    tt.same(v0, Object.entries(base).flatMap(([stem, list]) => list.map(e => `V pkg:/${stem}@${String(e.version)}`)).sort(), `round ${round} ${pub}: catalog/0 lists the same packages`)
    for (const [stem, list] of Object.entries(base)) {
      for (const entry of list) {
        listed.add(`${pub}/${stem}`)
        const problem = await packageProblem(depot.port, pub, stem, String(entry.version), String(entry['signature-sha-1']))
        if (problem !== undefined) tt.fail(`round ${round}: ${pub}/${stem} is listed but ${problem}`)
      }
    }
  }
  for (const e of journal) {
    const isListed = listed.has(`${e.publisher}/${e.stem}`)
    if (e.state === 'acked' && !isListed) tt.fail(`round ${round}: ${e.publisher}/${e.stem} was acknowledged (${e.via}) but is not in the catalog`)
    if (e.state === 'refused' && isListed) tt.fail(`round ${round}: ${e.publisher}/${e.stem} was refused (${e.answer ?? ''}) but is in the catalog`)
    if (!isListed) {
      const m = await request(depot.port, 'GET', `/${e.publisher}/manifest/0/${encodeURIComponent(e.stem)}@1.0`)
      if (m.status !== 404) tt.fail(`round ${round}: ${e.publisher}/${e.stem} is not in the catalog, yet its manifest answers ${m.status}`)
    }
  }
  for (const stem of listed) if (!journal.some(e => `${e.publisher}/${e.stem}` === stem)) tt.fail(`round ${round}: ${stem} is in the catalog but was never sent`)
}

async function start (): Promise<void> {
  depot = await spawnServe(t, ['--config', config])
}

t.test(`kill -9 during publishes loses no acknowledged package and leaves none half there (CRASH_SEED=${seed})`, async t => {
  await start()
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w))
  // Each kind of kill once, over each protocol, then drawn at random.
  type Mode = 'delay' | `${Trigger} ${Entry['via']}`
  const modes: Mode[] = ['after-ack pkg5', 'after-ack rest', 'mid-close pkg5', 'mid-close rest', 'delay']
  const counts = new Map<Mode, number>()
  for (let round = 0; round < ROUNDS; round++) {
    const mode = round < modes.length ? modes[round]! : modes[Math.floor(random() * modes.length)]!
    counts.set(mode, (counts.get(mode) ?? 0) + 1)
    const died = new Promise<void>(resolve => { killed = resolve })
    gate.open = true
    gate.release()
    // Let some publishes land first: the kill then falls among other work, not on an idle depot.
    await new Promise(resolve => setTimeout(resolve, 200 + random() * 800))
    if (mode === 'delay') kill(); else { const [trigger, via] = mode.split(' ') as [Trigger, Entry['via']]; armed = { trigger, via } }
    const waited = setTimeout(() => { t.fail(`round ${round}: no ${mode} within 60 s`); kill() }, 60_000)
    await died
    clearTimeout(waited)
    await depot.exited
    while (parked < WORKERS) await new Promise(resolve => setTimeout(resolve, 5))
    await start()
    await checkRepository(t, round)
  }
  stopping = true
  gate.release()
  await Promise.all(workers)
  const acked = journal.filter(e => e.state === 'acked').length
  const inDoubt = journal.filter(e => e.state === 'sent').length
  t.same(journal.filter(e => e.state === 'refused').map(e => `${e.stem}: ${e.answer ?? ''}`), [], 'no publish was refused: every failure was the kill')
  t.comment(`${acked} acknowledged packages, ${inDoubt} in doubt, over ${ROUNDS} kills: ${JSON.stringify(Object.fromEntries(counts))}`)
})

t.test('an open transaction survives a kill: the rest of the publish goes on after the restart', async t => {
  const opened = await request(depot.port, 'GET', '/open/0/pkg%3A%2F%2Ftest%2Fexample%2Fsurvivor%401.0%2C5.11-0.1', auth)
  t.equal(opened.status, 200)
  const id = String(opened.headers['transaction-id'])
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/set`, { ...auth, 'X-IPkg-SetAttr0': 'name=pkg.summary', 'X-IPkg-SetAttr1': 'value=survivor' })).status, 200)
  const payload = Buffer.from('a payload sent before the kill, and needed after it\n')
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/file`, { ...auth, 'X-IPkg-SetAttr0': 'path=opt/survivor', 'X-IPkg-SetAttr1': 'mode=0444', 'X-IPkg-SetAttr2': 'owner=root', 'X-IPkg-SetAttr3': 'group=bin' }, payload)).status, 200)
  t.equal((await request(depot.port, 'POST', `/add/0/${id}/license`, { ...auth, 'X-IPkg-SetAttr0': 'license=shared-terms' }, SHARED_LICENSE)).status, 200)
  depot.child.kill('SIGKILL')
  await depot.exited
  await start()
  const closed = await request(depot.port, 'GET', `/close/0/${id}`, auth)
  t.equal(closed.status, 200, 'closed after the restart')
  const fmri = String(closed.headers['package-fmri'])
  t.match(fmri, /^pkg:\/\/test\/example\/survivor@1\.0,5\.11-0\.1:/)
  const version = fmri.slice(fmri.indexOf('@') + 1)
  const entry = partOf((await fetchCatalog(depot.port, 'test')).files.get('catalog.base.C'), 'test')['example/survivor']?.find(e => e.version === version)
  t.ok(entry, 'in the catalog')
  t.equal(await packageProblem(depot.port, 'test', 'example/survivor', version, String(entry?.['signature-sha-1'])), undefined, 'with its manifest and the payloads sent before the kill')
  t.match((await request(depot.port, 'GET', `/test/manifest/0/example%2Fsurvivor@${encodeURIComponent(version)}`)).body.toString(), /value=survivor/)
})
