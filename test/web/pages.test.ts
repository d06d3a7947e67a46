/**
 * The web pages over real HTTP against a depot with the golden repository
 * and packages published here: what each page lists, paging in both
 * orders with the filters, a package's versions, dependencies, dependents,
 * contents and licences, search answering as search/1 does, validators and
 * encodings, the CSP, and the protocol paths the pages must not shadow.
 */
import { decompress as zstdDecompress } from 'zstd-napi'
import t from 'tap'
import { compareVersionStrings } from '../../src/ips/catalog.js'
import { listPackages } from '../../src/store/list.js'
import { GOLDEN } from '../helpers/depot.js'
import { errorMessage, request } from '../helpers/http.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { restPublish } from '../helpers/rest-publish.js'

const { depot, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo` })
const publishToken = await token()

async function get (path: string, headers: Record<string, string> = {}): Promise<{ status: number, headers: Record<string, string | string[] | undefined>, text: string, body: Buffer }> {
  const res = await request(depot.port, 'GET', path, headers)
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), body: res.body }
}

const decode = (s: string): string => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'")
/** The stems a page links to, in order, from the table or list of packages (not the breadcrumbs). */
function linkedStems (html: string, publisher: string): string[] {
  const main = html.slice(html.indexOf('<main'))
  return [...main.matchAll(new RegExp(`<a href="/${publisher.replace(/\./g, '\\.')}/package/([^"?]+)(?:\\?[^"]*)?">`, 'g'))].map(m => decodeURIComponent(decode(m[1]!)))
}
function nextLink (html: string): string | null {
  const m = /<a href="([^"]+)" rel="next">/.exec(html)
  return m === null ? null : decode(m[1]!)
}

// 60 stems more than one page holds, published one after another, with an obsolete one and a renamed one.
const published: string[] = []
for (let i = 0; i < 60; i++) {
  const stem = `paging/p${String(i).padStart(2, '0')}`
  const extra = i === 7 ? 'set name=pkg.obsolete value=true\n' : i === 8 ? 'set name=pkg.renamed value=true\ndepend fmri=paging/p09@1.0 type=require\n' : `set name=pkg.summary value="Paging test ${i}"\n`
  const res = await restPublish(depot.url, publishToken, 'test', `set name=pkg.fmri value=${stem}@1.0\n${extra}`)
  if (res.status !== 201) throw new Error(`publish ${stem}: ${res.status} ${res.detail ?? ''}`)
  published.push(stem)
}

const listed = listPackages(depot.repo.db, 'test', [])
const stemStates = new Map(listed.map(v => [v.stem, v.state]))
// The state of a stem is its newest version's: listPackages lists the newest first.
for (const v of [...listed].reverse()) stemStates.set(v.stem, v.state)
const allStems = [...stemStates.keys()].sort()
const visible = allStems.filter(s => stemStates.get(s) === '')

t.test('the overview lists each publisher with the counts catalog.attrs gives, how to add it, and its p5i', async t => {
  const page = await get('/')
  t.equal(page.status, 200)
  t.match(page.headers['content-type'], /^text\/html; charset=utf-8/)
  for (const pub of ['test', 'example.org']) {
    const attrs = JSON.parse((await get(`/${pub}/catalog/1/catalog.attrs`)).text) as { 'package-count': number, 'package-version-count': number }
    t.match(page.text, `${attrs['package-count']} packages, ${attrs['package-version-count']} versions.`, `${pub}: the catalog's counts`)
    t.match(page.text, `pkg set-publisher -g ${depot.url}/ ${pub}`, `${pub}: the set-publisher line names this depot`)
    t.match(page.text, `href="/${pub}/publisher/0/"`)
    const p5i = await get(`/${pub}/publisher/0/`)
    t.equal(p5i.status, 200, 'the p5i link answers')
    t.match(p5i.headers['content-type'], 'application/vnd.pkg5.info')
  }
  t.match(page.text, /<form class="search" role="search" method="get" action="\/find">/, 'a search box')
})

t.test('a publisher page pages through every stem once, in name order, leaving out obsolete and renamed ones unless asked', async t => {
  const seen: string[] = []
  let url: string | null = '/test/packages'
  let pages = 0
  while (url !== null) {
    const page = await get(url)
    t.equal(page.status, 200, url)
    seen.push(...linkedStems(page.text, 'test'))
    url = nextLink(page.text)
    if (++pages > 10) throw new Error('paging does not end')
  }
  t.ok(pages >= 2, `more than one page (${pages})`)
  t.same(seen, visible, 'every visible stem once, sorted by name')
  t.notOk(seen.includes('paging/p07'), 'the obsolete stem is left out')
  t.notOk(seen.includes('example/obsolete-thing'))

  const withAll: string[] = []
  url = '/test/packages?obsolete=1&renamed=1'
  while (url !== null) {
    const page = await get(url)
    withAll.push(...linkedStems(page.text, 'test'))
    url = nextLink(page.text)
  }
  t.same(withAll, allStems, 'with both toggles: every stem')
  const obsoletePage = await get('/test/packages?name=obsolete&obsolete=1')
  t.match(obsoletePage.text, /example\/obsolete-thing<\/a> <span class="badge">obsolete<\/span>/, 'marked obsolete')
})

t.test('sorting by last publish lists the latest publishes first, paged by offset', async t => {
  const first = await get('/test/packages?sort=published')
  const stems = linkedStems(first.text, 'test')
  t.equal(stems.length, 50)
  const expected = [...published].reverse().filter(s => stemStates.get(s) === '')
  t.same(stems, expected.slice(0, 50), 'newest publish first')
  const next = nextLink(first.text)
  t.match(next, /sort=published&offset=/)
  const second = linkedStems((await get(next!)).text, 'test')
  t.same(second.slice(0, expected.length - 50), expected.slice(50), 'the second page goes on where the first ended')
})

t.test('the name filter takes a substring or a glob, case-insensitively', async t => {
  t.same(linkedStems((await get('/test/packages?name=P05')).text, 'test'), ['paging/p05'], 'a substring, either case')
  t.same(linkedStems((await get('/test/packages?name=paging/p1*')).text, 'test'), Array.from({ length: 10 }, (_, i) => `paging/p1${i}`), 'a glob over the whole stem')
  t.same(linkedStems((await get('/test/packages?name=*/hel?o')).text, 'test'), ['example/hello'], '? is one character')
  t.same(linkedStems((await get('/test/packages?name=%5Bx')).text, 'test'), [], '[ is taken literally, not as a glob class')
  t.match((await get('/test/packages?name=nothing-like-this')).text, 'No package matches.')
})

t.test('a package page: versions newest first, the selected version\'s metadata, dependencies by type, dependents, contents, licences, manifest', async t => {
  const hello = await get('/test/package/example/hello')
  t.equal(hello.status, 200)
  const versions = [...hello.text.matchAll(/<tr><td>(?:<a [^>]*><code>([^<]+)<\/code><\/a>)/g)].map(m => decode(m[1]!))
  const stored = listed.filter(v => v.stem === 'example/hello').map(v => v.version)
  t.same(versions, [...stored].sort((a, b) => compareVersionStrings(b, a)), 'every version, newest first by pkg(5) order')
  t.match(hello.text, `About version <code>${versions[0]!}</code>`, 'the newest is shown')
  t.match(hello.text, '<pre><code>pkg install example/hello</code></pre>')

  const older = versions[versions.length - 1]!
  const olderPage = await get(`/test/package/example/hello?version=${encodeURIComponent(older)}`)
  t.match(olderPage.text, `About version <code>${older}</code>`)
  t.match(olderPage.text, `pkg install example/hello@${older}`, 'an older version is installed by its full version')
  t.match(olderPage.text, new RegExp(`aria-current="page"><code>${older.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</code>`), 'the selected version is marked')

  const deps = await get('/test/package/example/deps')
  const types = [...deps.text.matchAll(/<h3>([a-z-]+)<\/h3><ul>/g)].map(m => m[1])
  t.same(types, ['require', 'require-any', 'conditional', 'optional', 'incorporate', 'group', 'group-any', 'exclude'], 'each dependency type, in pkg(5)\'s order')
  t.match(deps.text, '<a href="/example.org/package/tools/editor">tools/editor</a>', 'a dependency on another publisher links to its page')
  t.match(deps.text, '<a href="/test/package/example/lib">example/lib</a> <span class="muted">≥ <code>1.0</code></span>')

  const lib = await get('/test/package/example/lib')
  const dependents = lib.text.slice(lib.text.indexOf('id="dependents"'), lib.text.indexOf('id="contents"'))
  t.match(dependents, '<a href="/test/package/example/deps">example/deps</a>', 'a dependent of the same publisher')
  t.match(dependents, '<a href="/example.org/package/tools/editor">tools/editor</a> <span class="muted">(example.org)</span>', 'a dependent of another publisher')

  const manifest = (await get(`/test/manifest/0/example%2Fhello@${encodeURIComponent(versions[0]!)}`)).text
  for (const path of [...manifest.matchAll(/^(?:file|dir|link) .*\bpath=(\S+)/gm)].map(m => m[1]!)) t.match(hello.text, `<code>${path}</code>`, `contents list ${path}`)
  t.match(hello.text, decode(hello.text).includes(manifest.split('\n')[0]!) ? manifest.split('\n')[0]!.replace(/"/g, '&quot;') : '', 'the raw manifest is shown')
  t.match(hello.text, `href="/test/manifest/0/example%2Fhello@${encodeURIComponent(versions[0]!)}"`, 'and linked as the client downloads it')

  const licensed = listed.find(v => /license /.test(depot.repo.manifest('test', v.stem, v.version)!.body.toString()))
  t.ok(licensed, 'the golden repository has a package with a licence')
  const info = (await get(`/test/info/0/${encodeURIComponent(licensed!.stem)}@${encodeURIComponent(licensed!.version)}`)).text
  const licenceText = info.slice(info.indexOf('License:\n') + 'License:\n'.length).trim()
  const page = await get(`/test/package/${licensed!.stem}?version=${encodeURIComponent(licensed!.version)}`)
  t.ok(licenceText.length > 0)
  t.ok(decode(page.text).includes(licenceText), 'the licence text, as info/0 gives it')
})

t.test('pages that do not exist answer 404, bad parameters 400, and protocol paths keep the protocol\'s answers', async t => {
  t.equal((await get('/test/package/no/such/stem')).status, 404)
  t.equal((await get('/test/package/example/hello?version=9.9')).status, 404)
  t.equal((await get('/nosuch/packages')).status, 404)
  t.equal((await get('/test/packages?offset=-1')).status, 400)
  t.equal((await get('/test/packages?sort=size')).status, 400)
  t.equal((await get(`/test/packages?name=${'x'.repeat(201)}`)).status, 400, 'the name filter is bounded')
  t.equal((await get('/test/packages?utm_source=x')).status, 200, 'unknown parameters are ignored, as a browser\'s extras should be')
  for (const [path, status, message] of [['/catalog/packages', 400, 'Non-integer version'], ['/versions/find', 400, 'Non-integer version'], ['/versions/', 400, 'Missing version'], ['/search/feed', 400, 'Non-integer version']] as const) {
    const res = await get(path)
    t.equal(res.status, status, path)
    t.equal(errorMessage(res.body), message, `${path}: the protocol's message`)
  }
})

t.test('every page: an ETag and 304, zstd and gzip, a CSP without scripts, and no script at all', async t => {
  const paths = ['/', '/test/packages', '/test/packages?sort=published', '/test/package/example/hello', '/find?q=hello', '/test/find?q=%3Ahello', '/static/depot.css', '/feed', '/test/feed']
  for (const path of paths) {
    const page = await get(path)
    t.equal(page.status, 200, path)
    const etag = String(page.headers.etag)
    t.match(etag, /^"[0-9a-f]+"$/, `${path}: a strong ETag`)
    t.equal((await get(path, { 'If-None-Match': etag })).status, 304, `${path}: 304 on a match`)
    const zstd = await get(path, { 'Accept-Encoding': 'zstd' })
    t.equal(zstd.headers['content-encoding'], 'zstd', `${path}: zstd`)
    t.ok(zstdDecompress(zstd.body).equals(page.body), `${path}: the same bytes once decoded`)
    const gzip = await get(path, { 'Accept-Encoding': 'gzip' })
    t.equal(gzip.headers['content-encoding'], 'gzip')
    for (const [coding, got] of [['identity', page], ['zstd', zstd], ['gzip', gzip]] as const) {
      const head = await request(depot.port, 'HEAD', path, coding === 'identity' ? {} : { 'Accept-Encoding': coding })
      t.equal(head.headers['content-length'], got.headers['content-length'], `${path}: HEAD (${coding}) says the GET's Content-Length`)
    }
    if (page.headers['content-type']?.toString().startsWith('text/html') === true) {
      t.equal(page.headers['content-security-policy'], "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'", `${path}: strict CSP`)
      t.notMatch(page.text, /<script|\son[a-z]+=|style="/i, `${path}: no script, no handler attribute, no inline style`)
    }
  }
  const before = String((await get('/')).headers.etag)
  const res = await restPublish(depot.url, publishToken, 'example.org', 'set name=pkg.fmri value=etag/changes@1.0\n')
  t.equal(res.status, 201)
  t.not(String((await get('/')).headers.etag), before, 'a publish changes the overview, and so its ETag')
})

t.test('the search page answers as search/1 does, grouped by package and linked', async t => {
  const queries = ['hello', ':::hello', 'hel*', 'h?llo', '*.conf', '::basename:hello.conf', ':depend::example/lib', ':set:pkg.fmri:*hello*', '<hello>', 'example/lib:file::*', 'hello AND example', 'lib OR notes', '"Hello example package"']
  for (const q of queries) {
    const v1 = await get(`/test/search/1/False_2_None_None_${encodeURIComponent(q)}`)
    const expected = [...new Set(v1.text.split('\n').slice(1).filter(l => l !== '').map(l => l.split(' ')[2]!.replace(/^pkg:\//, '')))]
    const page = await get(`/test/find?q=${encodeURIComponent(q)}`)
    t.equal(page.status, 200, q)
    const main = page.text.slice(page.text.indexOf('<main'))
    const found = [...main.matchAll(/<a href="\/test\/package\/([^"?]+)\?version=([^"]+)">/g)].map(m => `${decodeURIComponent(decode(m[1]!))}@${decodeURIComponent(decode(m[2]!))}`)
    t.same(found, expected, `${q}: the packages search/1 returns, in its order`)
    t.match(page.text, expected.length === 0 ? '<h2>No results</h2>' : `<h2>${expected.length} ${expected.length === 1 ? 'package' : 'packages'}</h2>`)
  }
  const all = await get('/find?q=*lib*')
  t.match(all.text, '<h3>test</h3>', 'searching every publisher groups by publisher')
  t.match(all.text, '<h3>example.org</h3>')
  const bad = await get('/test/find?q=%3Cunclosed')
  t.equal(bad.status, 400, 'a query that does not parse is a 400')
  t.match(bad.text, /<p role="alert"><strong>The query cannot be run:<\/strong> [^<]+<\/p>/, 'with the parser\'s message')
  const advanced = await get('/test/find?type=file&key=basename&token=hello.conf')
  t.match(advanced.text, 'value=":file:basename:hello.conf"', 'the advanced form writes the field query')
  t.same(linkedStems(advanced.text, 'test'), linkedStems((await get('/test/find?q=%3Afile%3Abasename%3Ahello.conf')).text, 'test'), 'and answers as that query does')
  const tooMany = await get(`/test/find?q=${encodeURIComponent(Array.from({ length: 101 }, () => 'a').join(' '))}`)
  t.equal(tooMany.status, 400, 'the term limit of search/1 holds')
})

t.test('the publisher page follows removals: a stem whose versions are all removed goes, one with an older version left stays', async t => {
  const remover = await token({ scope: 'depot:publish depot:remove' })
  const v2 = await restPublish(depot.url, remover, 'test', 'set name=pkg.fmri value=paging/p00@2.0\n')
  t.equal(v2.status, 201)
  t.equal(linkedStems((await get('/test/packages?sort=published')).text, 'test')[0], 'paging/p00', 'a new version moves its stem to the top')
  const remove = async (fmri: string): Promise<number> => (await fetch(`${depot.url}/api/v1/publishers/test/packages/${encodeURIComponent(fmri)}`, { method: 'DELETE', headers: { authorization: `Bearer ${remover}` } })).status
  t.equal(await remove(v2.fmri!), 200)
  t.not(linkedStems((await get('/test/packages?sort=published')).text, 'test')[0], 'paging/p00', 'removing it moves the stem back')
  t.match((await get('/test/packages?name=paging/p00')).text, '<code>1.0,5.11', 'with its older version as the newest')
  t.equal(await remove(`pkg://test/paging/p01@${listed.find(v => v.stem === 'paging/p01')!.version}`), 200)
  t.same(linkedStems((await get('/test/packages?name=paging/p01')).text, 'test'), [], 'a stem without versions is gone')
  t.equal((await get('/test/package/paging/p01')).status, 404)
})

t.test('a page\'s 4xx is a page with a way back; the protocol\'s answers keep their own form', async t => {
  for (const [path, status, message] of [['/test/package/no/such', 404, 'test has no package no/such.'], ['/nosuch/packages', 404, 'This repository has no publisher named nosuch.'], ['/test/packages?offset=-1', 400, 'querystring/offset must be &gt;= 0']] as const) {
    const res = await get(path)
    t.equal(res.status, status, path)
    t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
    t.equal(res.headers['content-security-policy'], "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(res.text, `<div role="alert"><p>${message}</p></div>`, `${path}: the message`)
    t.match(res.text, '<main id="main">', `${path}: in the page shell`)
    t.match(res.text, '<a href="/">Every publisher</a>')
  }
  const protocol = await get('/catalog/packages')
  t.notMatch(protocol.text, '<main', 'a protocol path keeps the XHTML error page the pkg client parses')
  t.match(protocol.text, /^<!DOCTYPE html PUBLIC/)
})

t.test('pkg.depotd\'s browser UI paths move to the pages (301), for old links', async t => {
  for (const [from, to] of [
    ['/en/index.shtml', '/'],
    ['/en/catalog.shtml', '/test/packages'],
    ['/example.org/en/catalog.shtml', '/example.org/packages'],
    ['/en/search.shtml?token=hel*&action=Search', '/test/find?q=hel*'],
    ['/example.org/en/search.shtml?token=%3Cx%3E', '/example.org/find?q=%3Cx%3E'],
    ['/en/advanced_search.shtml', '/test/find'],
    ['/en/stats.shtml', '/']
  ] as const) {
    const res = await get(from)
    t.equal(res.status, 301, from)
    t.equal(res.headers.location, to, `${from} → ${to}`)
  }
  t.equal((await get('/en/nosuch.shtml')).status, 404)
  t.equal((await get('/nosuch/en/index.shtml')).status, 404)
})

t.test('outside every route: the styled error page for a person\'s path, the XHTML one for the protocol\'s shape', async t => {
  for (const path of ['/favicon.ico', '/nonexistent', '/static/nosuch.css', '/a/b/c']) {
    for (const method of ['GET', 'HEAD']) {
      const res = await request(depot.port, method, path)
      t.equal(res.status, 404, `${method} ${path}`)
      t.match(res.headers['content-type'], /^text\/html; charset=utf-8/)
      t.equal(res.headers['content-security-policy'], "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
      if (method === 'GET') {
        t.match(res.body.toString(), /<html lang="en">/, `${path}: with lang`)
        t.match(res.body.toString(), /<meta name="viewport"/, `${path}: and a viewport`)
        t.match(res.body.toString(), '<a href="/">Every publisher</a>', `${path}: and a way back`)
      }
    }
  }
  for (const path of ['/nosuchop/0/', '/test/nosuchop/0/', '/test/catalog/1/nosuch.part']) {
    const res = await request(depot.port, 'GET', path)
    t.match(res.body.toString(), /^<!DOCTYPE html PUBLIC/, `${path}: pkg.depotd's XHTML, which the client parses`)
  }
})
