/** The page shell every page shares: landmarks, breadcrumbs, the search form, the feed link. */
import { html, type Html, type Interpolation } from './html.js'
import { urls } from './urls.js'

export interface PageFrame {
  readonly title: string
  /** Breadcrumbs after the home link: [label, href]; the last is the current page. */
  readonly crumbs?: ReadonlyArray<readonly [string, string]>
  /** The publisher whose search and feed the header offers; null for all. */
  readonly publisher?: string | null
  readonly query?: string
  readonly body: Interpolation
}

export function page (f: PageFrame): Html {
  const pub = f.publisher ?? null
  const crumbs = f.crumbs ?? []
  return html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.title} · ips-depot</title>
<link rel="stylesheet" href="${urls.css}">
<link rel="icon" href="${urls.icon}" type="image/svg+xml">
<link rel="alternate" type="application/atom+xml" title="Recently published${pub === null ? '' : ` by ${pub}`}" href="${urls.feed(pub)}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site">
<nav aria-label="Breadcrumb"><ol>
<li><a class="brand" href="${urls.home}"${crumbs.length === 0 ? html` aria-current="page"` : ''}>ips-depot</a></li>
${crumbs.map(([label, href], i) => html`<li><a href="${href}"${i === crumbs.length - 1 ? html` aria-current="page"` : ''}>${label}</a></li>`)}
</ol></nav>
<form class="search" role="search" method="get" action="${urls.search(pub)}">
<label for="site-q">Search ${pub === null ? 'all publishers' : pub}</label>
<input id="site-q" name="q" type="search" value="${f.query ?? ''}" maxlength="4096">
<button type="submit">Search</button>
</form>
</header>
<main id="main">
${f.body}
</main>
<footer>Served by ips-depot, a pkg(5) repository. <a href="${urls.feed(pub)}">Atom feed</a> of recent publishes.</footer>
</body>
</html>
`
}

/** "2026-11-23 00:16 UTC": times on pages are UTC, as the catalog's are. */
export function utcTime (ms: number): string {
  const iso = new Date(ms).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}

export function timeElement (ms: number): Html {
  return html`<time datetime="${new Date(ms).toISOString()}">${utcTime(ms)}</time>`
}
