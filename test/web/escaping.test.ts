/**
 * Package metadata is untrusted: a package whose every field carries
 * markup is published, and every page that shows it (package, publisher,
 * search, overview, feed) has it as escaped text, links only to http(s),
 * and no attribute it could break out of. The browser test runs the same
 * package in Chromium.
 */
import t from 'tap'
import { escapeHtml, externalHref, html } from '../../src/http/web/html.js'
import { GOLDEN } from '../helpers/depot.js'
import { HOSTILE_STEM, HOSTILE_SUMMARY, publishHostile } from '../helpers/hostile-package.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { sha1 } from '../helpers/rest-publish.js'

t.test('html escapes every interpolation that is not itself html, and externalHref lets only http(s) through', async t => {
  t.equal(html`<p title="${'"x\'&'}">${'<b>'}</p>`.text, '<p title="&quot;x&#39;&amp;">&lt;b&gt;</p>')
  t.equal(html`<ul>${['<a>', html`<li>ok</li>`, null, false, undefined, 3]}</ul>`.text, '<ul>&lt;a&gt;<li>ok</li>3</ul>', 'lists, nested html, and nothing for null/false/undefined')
  t.equal(escapeHtml('&amp;'), '&amp;amp;', 'escaping is not idempotent: text is never taken for markup')
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>', 'vbscript:x', '//evil.example/', '/relative', 'not a url', 'file:///etc/passwd']) {
    t.equal(externalHref(bad), null, `${bad}: no link`)
  }
  t.equal(externalHref('https://example.com/a b'), 'https://example.com/a%20b')
  t.equal(externalHref('http://example.com/'), 'http://example.com/')
})

t.test('a package whose metadata carries markup renders inert on every page that shows it', async t => {
  const { depot, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo` })
  const published = await publishHostile(depot.url, await token(), b => sha1(b))
  t.equal(published.status, 201, published.detail ?? 'published')
  const pages = {
    package: `/test/package/${HOSTILE_STEM}`,
    publisher: '/test/packages?name=xss',
    search: '/test/find?q=*alert*',
    searchAll: '/find?q=%3Cscript%3E',
    overview: '/',
    feed: '/test/feed'
  }
  for (const [name, path] of Object.entries(pages)) {
    const res = await fetch(`${depot.url}${path}`)
    const text = await res.text()
    t.equal(res.status, 200, `${name} answers`)
    t.notMatch(text, /<script|<img|<svg|<i>|<b>M|<[a-z][^<>]*\son[a-z]+=|href="javascript:/i, `${name}: no markup from the package, no handler attribute`)
  }
  const page = await (await fetch(`${depot.url}${pages.package}`)).text()
  t.match(page, `<p class="summary">${escapeHtml(HOSTILE_SUMMARY)}</p>`, 'the summary shows as written')
  t.match(page, '<dt>Upstream</dt><dd><span class="unsafe-url">javascript:alert(&#39;upstream&#39;)</span></dd>', 'a javascript: URL is text, not a link')
  t.match(page, '<a href="https://example.com/%22onmouseover=%22alert(&#39;source&#39;)" rel="nofollow noopener noreferrer">', 'an http URL with quotes is a link that stays one attribute')
  t.match(page, '<code>opt/a&quot;b&#39;c&lt;d&gt;</code>', 'a path with quotes and brackets')
  t.match(page, '<summary>&lt;i&gt;GPL&lt;/i&gt; &amp; co</summary><pre>&lt;script&gt;alert(&#39;license&#39;)&lt;/script&gt;', 'the licence name and text')
  t.match(page, 'Meta&lt;/b&gt;', 'the classification')
  const search = await (await fetch(`${depot.url}${pages.search}`)).text()
  t.match(search, `<a href="/test/package/xss/probe?version=`, 'the search finds it')
  t.match(search, escapeHtml(HOSTILE_SUMMARY), 'and shows the matching action as text')
})
