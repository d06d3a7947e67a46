/**
 * The Atom feed against pkg.depotd's, recorded from the same repository:
 * the same entries (ids, titles, times, texts), plus what RFC 4287 asks
 * that pkg.depotd's feed lacks; then a publish and a removal, which show
 * up first.
 */
import { execFileSync } from 'node:child_process'
import t, { type Test } from 'tap'
import { GOLDEN } from '../helpers/depot.js'
import { exchanges } from '../helpers/golden.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish } from '../helpers/rest-publish.js'

const { depot, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo` })

interface Entry { id: string, title: string, updated: string, content: string }
const unescape = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
function entries (xml: string): Entry[] {
  return [...xml.matchAll(/<entry>(.*?)<\/entry>/gs)].map(m => {
    const field = (name: string): string => unescape(new RegExp(`<${name}(?: [^>]*)?>(.*?)</${name}>`, 's').exec(m[1]!)?.[1] ?? '')
    return { id: field('id'), title: field('title'), updated: field('updated'), content: field('content') }
  })
}
const byId = (a: Entry, b: Entry): number => a.id < b.id ? -1 : a.id > b.id ? 1 : 0
const recorded = (name: string): Entry[] => entries(exchanges('read.jsonl').find(x => x.name === name)!.response.body_text!)

async function feed (path: string): Promise<{ status: number, type: string | null, xml: string }> {
  const res = await fetch(`${depot.url}${path}`)
  return { status: res.status, type: res.headers.get('content-type'), xml: await res.text() }
}

/** RFC 4287: the feed's id, title and updated, an author for the feed, and each entry's id, title, updated and content or alternate link. */
function checkAtom (t: Test, xml: string): void {
  t.doesNotThrow(() => execFileSync('xmllint', ['--noout', '-'], { input: xml, stdio: ['pipe', 'ignore', 'pipe'] }), 'well-formed XML (xmllint)')
  t.match(xml, /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www\.w3\.org\/2005\/Atom">/)
  const head = xml.slice(0, xml.indexOf('<entry>') === -1 ? undefined : xml.indexOf('<entry>'))
  for (const el of ['id', 'title', 'updated', 'author']) t.match(head, `<${el}>`, `the feed has <${el}>`)
  t.match(head, /<link href="[^"]+" rel="self" type="application\/atom\+xml"\/>/)
  for (const e of entries(xml)) {
    t.match(e.id, /^tag:[A-Za-z0-9.-]+,\d{4}-\d{2}-\d{2}:/, `${e.id}: a tag URI`)
    t.match(e.updated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'an RFC 3339 time')
    t.ok(e.title !== '' && e.content !== '')
  }
  const times = entries(xml).map(e => e.updated)
  t.same(times, [...times].sort().reverse(), 'newest first')
}

t.test('each publisher\'s feed has the entries pkg.depotd\'s has, worded alike, and is valid Atom', async t => {
  for (const [path, golden] of [['/test/feed', 'misc GET /feed'], ['/example.org/feed', 'misc GET /example.org/feed']] as const) {
    const res = await feed(path)
    t.equal(res.status, 200)
    t.equal(res.type, 'application/atom+xml; charset=utf-8')
    checkAtom(t, res.xml)
    const want = recorded(golden)
    t.ok(want.length >= 3, `${golden} has entries to compare`)
    t.same(entries(res.xml).sort(byId), want.sort(byId), `${path}: the entries of pkg.depotd's ${golden.replace('misc GET ', '')}`)
  }
  const all = await feed('/feed')
  checkAtom(t, all.xml)
  t.same(entries(all.xml).sort(byId), [...recorded('misc GET /feed'), ...recorded('misc GET /example.org/feed')].sort(byId), '/feed: every publisher\'s')
})

t.test('a publish comes first as Added, a new version as Updated, a removal as Removed, and each links to its package page', async t => {
  const publishToken = await token({ scope: 'depot:publish depot:rebuild depot:remove' })
  const first = await restPublish(depot.url, publishToken, 'test', 'set name=pkg.fmri value=feed/fresh@1.0\nset name=pkg.summary value="<b>bold</b> & more"\n')
  t.equal(first.status, 201)
  let xml = (await feed('/test/feed')).xml
  checkAtom(t, xml)
  const added = entries(xml)[0]!
  t.equal(added.title, 'Added pkg://test/feed/fresh')
  t.equal(added.content, `${first.fmri!} was added to the repository.`)
  t.match(xml, `href="/test/package/feed/fresh?version=${encodeURIComponent(first.fmri!.split('@')[1]!)}"`)

  await new Promise(resolve => setTimeout(resolve, 1100))
  const second = await restPublish(depot.url, publishToken, 'test', 'set name=pkg.fmri value=feed/fresh@2.0\n')
  xml = (await feed('/test/feed')).xml
  t.equal(entries(xml)[0]!.title, 'Updated pkg://test/feed/fresh')
  t.equal(entries(xml)[0]!.content, `${second.fmri!}, a new version of an existing package, was added to the repository.`)

  const removed = await fetch(`${depot.url}/api/v1/publishers/test/packages/${encodeURIComponent(second.fmri!)}`, { method: 'DELETE', headers: { authorization: `Bearer ${publishToken}` } })
  t.equal(removed.status, 200, await removed.text())
  xml = (await feed('/test/feed')).xml
  checkAtom(t, xml)
  t.equal(entries(xml)[0]!.title, 'Removed pkg://test/feed/fresh', 'pkg.depotd titles a removal "Added"; this feed says what happened')
  t.equal(entries(xml)[0]!.content, `${second.fmri!} was removed from the repository.`)
  t.notMatch((await feed('/example.org/feed')).xml, 'feed/fresh', 'another publisher\'s feed does not list it')
  t.equal((await feed('/nosuch/feed')).status, 404)
})
