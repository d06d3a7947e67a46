/**
 * The pages in a real browser (Debian's chromium, driven by
 * playwright-core): a walk from the overview to a package, a dependency,
 * a search and a result; the feed parsed by the browser's XML parser; a
 * package with markup in every field, which must run nothing; axe-core on
 * each page type in light and dark mode; and screenshots of each page type
 * at desktop and phone widths, saved under test-output/screenshots.
 */
import fs from 'node:fs'
import path from 'node:path'
import axe from 'axe-core'
import { type Browser, chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { GOLDEN, ROOT } from '../helpers/depot.js'
import { HOSTILE_LICENSE, HOSTILE_STEM, HOSTILE_SUMMARY, publishHostile } from '../helpers/hostile-package.js'
import { startPublishingDepot } from '../helpers/publishing-depot.js'
import { sha1 } from '../helpers/rest-publish.js'

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium'
if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: npm test installs Debian's chromium (scripts/ensure-package.sh); set CHROMIUM to another build`)
const SHOTS = path.join(ROOT, 'test-output', 'screenshots')
fs.mkdirSync(SHOTS, { recursive: true })

const { depot, token } = await startPublishingDepot(t, { source: `${GOLDEN}/repo` })
const hostile = await publishHostile(depot.url, await token(), b => sha1(b))
if (hostile.status !== 201) throw new Error(`the hostile package was refused: ${hostile.detail ?? ''}`)

const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] })
t.teardown(async () => { await browser.close() })

/** A page that fails the test on any dialog, uncaught error or console error (a CSP violation is one). */
async function watchedPage (t: Test, opts: { width?: number, height?: number, dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 }, colorScheme: opts.dark === true ? 'dark' : 'light' })
  t.teardown(async () => { await context.close() })
  const page = await context.newPage()
  page.on('dialog', d => { t.fail(`a dialog opened: ${d.type()} ${d.message()}`); void d.dismiss() })
  page.on('pageerror', err => { t.fail(`uncaught error in the page: ${err.message}`) })
  page.on('console', m => { if (m.type() === 'error') t.fail(`console error on ${page.url()}: ${m.text()}`) })
  return page
}

const PAGE_TYPES: Record<string, string> = {
  overview: '/',
  publisher: '/test/packages',
  package: '/test/package/example/deps',
  search: '/test/find?q=hello',
  'search-help': '/find',
  feed: '/feed'
}

t.test('a walk: overview → publisher → package → a dependency → search → a result', async t => {
  const page = await watchedPage(t)
  await page.goto(`${depot.url}/`)
  t.equal(await page.locator('h1').textContent(), 'Package repository')
  await page.getByRole('link', { name: 'test', exact: true }).click()
  t.equal(new URL(page.url()).pathname, '/test/packages')
  t.equal(await page.locator('h1').textContent(), 'test')
  await page.getByRole('link', { name: 'example/deps', exact: true }).click()
  t.equal(await page.locator('h1').textContent(), 'example/deps')
  t.equal(await page.locator('p.summary').textContent(), 'Dependency type showcase')
  await page.locator('h3:text-is("require") + ul').getByRole('link', { name: 'example/lib' }).click()
  t.equal(await page.locator('h1').textContent(), 'example/lib', 'the dependency\'s own page')
  t.ok(await page.locator('#dependents ~ ul').getByRole('link', { name: 'example/deps' }).count() > 0, 'which lists the package we came from as a dependent')
  await page.getByLabel('Search test').fill('hello')
  await page.getByLabel('Search test').press('Enter')
  t.equal(new URL(page.url()).pathname, '/test/find')
  t.match(await page.locator('main h2').first().textContent(), /^\d+ packages?$/)
  const first = page.locator('main section ul.plain > li > a').first()
  const target = await first.textContent()
  await first.click()
  t.equal(await page.locator('h1').textContent(), target, 'the result opens its package page')
  t.match(await page.locator('#about').textContent(), /About version/)
})

t.test('the feed parses in the browser\'s XML parser as Atom', async t => {
  const xml = await (await fetch(`${depot.url}/feed`)).text()
  const page = await watchedPage(t)
  await page.goto(`${depot.url}/`)
  const parsed = await page.evaluate(text => {
    const doc = new DOMParser().parseFromString(text, 'application/xml')
    const atom = 'http://www.w3.org/2005/Atom'
    return {
      error: doc.getElementsByTagName('parsererror').length,
      root: `${doc.documentElement.namespaceURI ?? ''} ${doc.documentElement.localName}`,
      entries: doc.getElementsByTagNameNS(atom, 'entry').length,
      titled: [...doc.getElementsByTagNameNS(atom, 'entry')].every(e => e.getElementsByTagNameNS(atom, 'title')[0]?.textContent !== '')
    }
  }, xml)
  t.equal(parsed.error, 0, 'no parser error')
  t.equal(parsed.root, 'http://www.w3.org/2005/Atom feed')
  t.ok(parsed.entries > 10, `${parsed.entries} entries`)
  t.ok(parsed.titled, 'every entry has a title')
})

t.test('a package with markup in every field runs nothing and shows its text literally', async t => {
  const page = await watchedPage(t)
  for (const p of [`/test/package/${HOSTILE_STEM}`, '/test/packages?name=xss', '/test/find?q=*alert*', '/find?q=%3Cscript%3E']) {
    await page.goto(`${depot.url}${p}`)
    await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true })
    t.equal(await page.evaluate(() => document.querySelectorAll('script, img, svg, iframe, object, embed').length), 0, `${p}: no element from the package`)
    t.equal(await page.evaluate(() => [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length), 0, `${p}: no handler attribute`)
    t.equal(await page.evaluate(() => [...document.querySelectorAll('a')].filter(a => !/^https?:$/.test(a.protocol)).length), 0, `${p}: every link is http(s)`)
  }
  await page.goto(`${depot.url}/test/package/${HOSTILE_STEM}`)
  t.equal(await page.locator('p.summary').textContent(), HOSTILE_SUMMARY, 'the summary, as text')
  t.equal(await page.locator('dt:text-is("Upstream") + dd').textContent(), "javascript:alert('upstream')", 'the javascript: URL, as text')
  t.equal(await page.locator('dt:text-is("Upstream") + dd a').count(), 0, 'and not a link')
  await page.locator('summary:text-is("<i>GPL</i> & co")').click()
  t.equal(await page.locator('summary:text-is("<i>GPL</i> & co") + pre').textContent(), HOSTILE_LICENSE.toString(), 'the licence text, as text')
  await page.locator('summary:text-is("<i>GPL</i> & co")').focus()
  await page.keyboard.press('Tab')
  t.pass('no dialog opened, no error logged (the page watcher fails the test otherwise)')
})

t.test('keyboard: the first Tab reaches a visible skip link, and focus is drawn', async t => {
  const page = await watchedPage(t)
  await page.goto(`${depot.url}/test/packages`)
  await page.keyboard.press('Tab')
  const focused = await page.evaluate(() => {
    const e = document.activeElement as HTMLElement
    const r = e.getBoundingClientRect()
    const s = getComputedStyle(e)
    return { text: e.textContent, inView: r.left >= 0 && r.top >= 0 && r.width > 0, outline: s.outlineStyle, outlineWidth: s.outlineWidth }
  })
  t.equal(focused.text, 'Skip to content')
  t.ok(focused.inView, 'the skip link shows when focused')
  t.equal(focused.outline, 'solid', 'with a focus ring')
  t.equal(focused.outlineWidth, '3px')
})

t.test('axe-core finds no violation (WCAG 2.1 A and AA, and best practices) on any page type, light or dark', async t => {
  for (const dark of [false, true]) {
    const page = await watchedPage(t, { dark })
    for (const [name, p] of Object.entries({ ...PAGE_TYPES, hostile: `/test/package/${HOSTILE_STEM}`, 'no-results': '/test/find?q=nothing-matches-this' })) {
      if (name === 'feed') continue
      await page.goto(`${depot.url}${p}`)
      await page.evaluate(() => { for (const d of document.querySelectorAll('details')) d.open = true })
      // DevTools evaluation is not subject to the page's CSP, which allows no script.
      await page.evaluate(axe.source)
      const result = await page.evaluate(async () => await (window as unknown as { axe: typeof axe }).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }))
      t.same(result.violations.map(v => `${v.id} (${v.impact ?? ''}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`), [], `${name}${dark ? ' (dark)' : ''}: no violation of any impact`)
      t.ok(result.passes.length > 10, `${name}: axe ran (${result.passes.length} rules passed)`)
    }
  }
})

t.test('screenshots of each page type at desktop and phone widths', async t => {
  for (const [width, height, label] of [[1280, 900, 'desktop'], [390, 844, 'phone']] as const) {
    for (const dark of [false, true]) {
      const page = await watchedPage(t, { width, height, dark })
      for (const [name, p] of Object.entries(PAGE_TYPES)) {
        if (name === 'feed' || name === 'search-help') continue
        await page.goto(`${depot.url}${p}`)
        const file = path.join(SHOTS, `${name}-${label}${dark ? '-dark' : ''}.png`)
        await page.screenshot({ path: file, fullPage: name !== 'package' })
        t.ok(fs.statSync(file).size > 10_000, `${path.basename(file)}`)
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
        t.ok(overflow <= 0, `${name} at ${label} width: no horizontal scrolling (${overflow}px)`)
      }
    }
  }
})
