/**
 * `/find` and `/<publisher>/find`: pkg5's query language, answered by the
 * same search worker and engine as search/1 (so the same results), grouped
 * by package and linked; a help text, and an advanced form that writes the
 * field query (pkg_name:action_type:key:token) for you.
 */
import { html, type Html } from '../html.js'
import { page } from '../layout.js'
import { urls } from '../urls.js'

export const RESULTS_PER_PAGE = 100

export interface SearchHit { readonly stem: string, readonly version: string, readonly matches: ReadonlyArray<{ actionType: string, line: string }> }
export interface PublisherResults { readonly publisher: string, readonly packages: readonly SearchHit[], readonly more: boolean }

export interface SearchForm {
  readonly q: string
  readonly caseSensitive: boolean
  readonly start: number
  readonly pkg: string
  readonly actionType: string
  readonly key: string
  readonly token: string
}

/** The search/1 lines of one query, grouped by package in the order they came: "<i> 2 pkg:/<stem>@<v> <label> <action>" or "<i> 1 pkg:/<stem>@<v>". */
export function groupResults (lines: readonly string[]): { packages: SearchHit[], count: number } {
  const byFmri = new Map<string, { stem: string, version: string, matches: Array<{ actionType: string, line: string }> }>()
  for (const l of lines) {
    const m = /^[0-9]+ ([12]) pkg:\/([^@ ]+)@(\S+)(?: \S+ (.*))?$/.exec(l)
    if (m === null) continue
    const key = `${m[2]!}@${m[3]!}`
    const hit = byFmri.get(key) ?? { stem: m[2]!, version: m[3]!, matches: [] }
    if (m[1] === '2' && m[4] !== undefined) hit.matches.push({ actionType: m[4].split(' ', 1)[0]!, line: m[4].length > 400 ? `${m[4].slice(0, 400)}…` : m[4] })
    byFmri.set(key, hit)
  }
  return { packages: [...byFmri.values()], count: lines.length }
}

/** The query the advanced form describes: pkg5's field syntax, with empty fields left empty. */
export function fieldQuery (f: SearchForm): string {
  if (f.token === '') return ''
  return `${f.pkg}:${f.actionType}:${f.key}:${f.token}`
}

function formQuery (f: SearchForm, start: number): string {
  const p = new URLSearchParams({ q: f.q })
  if (f.caseSensitive) p.set('case', '1')
  if (start > 0) p.set('start', String(start))
  return p.toString()
}

const HELP = html`<details id="syntax"><summary>Query syntax</summary>
<ul>
<li><code>gcc</code>: any action that indexes the token <code>gcc</code> (file names, paths, dependencies, descriptions, …).</li>
<li><code>lib*</code>, <code>libz.so.?</code>: <code>*</code> matches any run of characters, <code>?</code> one.</li>
<li><code>zlib AND ssl</code>, <code>zlib OR ssl</code>: both, or either. Terms side by side mean AND.</li>
<li><code>"GNU compiler"</code>: a phrase, matched as written.</li>
<li><code>&lt;gcc&gt;</code>: packages rather than actions.</li>
<li><code>pkg_name:action_type:key:token</code> narrows a term by field, any part left empty: <code>:file:basename:ls</code>, <code>:set:pkg.summary:compiler</code>, <code>:depend::library/zlib</code>.</li>
</ul>
</details>`

export function searchPage (publisher: string | null, f: SearchForm, results: readonly PublisherResults[] | null, error: string | null): Html {
  const total = results?.reduce((n, r) => n + r.packages.length, 0) ?? 0
  const more = results?.some(r => r.more) ?? false
  const here = (start: number): string => urls.search(publisher, formQuery(f, start))
  return page({
    title: f.q === '' ? 'Search' : `Search: ${f.q}`,
    publisher,
    query: f.q,
    crumbs: publisher === null ? [['Search', urls.search(null)]] : [[publisher, urls.publisher(publisher)], ['Search', urls.search(publisher)]],
    body: html`<h1>Search ${publisher ?? 'all publishers'}</h1>
<form method="get" action="${urls.search(publisher)}" class="search" aria-label="Search query">
<label for="q">Query</label>
<input id="q" name="q" type="search" value="${f.q}" maxlength="4096">
<label><input type="checkbox" name="case" value="1"${f.caseSensitive ? html` checked` : ''}> case-sensitive</label>
<button type="submit">Search</button>
</form>
${HELP}
<details${f.token !== '' ? html` open` : ''}><summary>Advanced: search one field</summary>
<form method="get" action="${urls.search(publisher)}" aria-label="Field search">
<fieldset><legend>Field query</legend>
<div class="filters">
<label for="adv-pkg">Package name</label><input id="adv-pkg" name="pkg" type="text" value="${f.pkg}" maxlength="200" placeholder="any">
<label for="adv-type">Action type</label>
<select id="adv-type" name="type">${['', 'file', 'dir', 'link', 'hardlink', 'set', 'depend', 'license', 'user', 'group', 'driver', 'legacy', 'signature'].map(t => html`<option value="${t}"${t === f.actionType ? html` selected` : ''}>${t === '' ? 'any' : t}</option>`)}</select>
<label for="adv-key">Key</label><input id="adv-key" name="key" type="text" value="${f.key}" maxlength="200" placeholder="basename, path, pkg.summary, …">
<label for="adv-token">Token</label><input id="adv-token" name="token" type="text" value="${f.token}" maxlength="1000" required>
<button type="submit">Search</button>
</div>
</fieldset>
</form>
</details>
${error === null ? '' : html`<p role="alert"><strong>The query cannot be run:</strong> ${error}</p>`}
${results === null || error !== null ? '' : html`<h2>${total === 0 ? 'No results' : `${total} ${total === 1 ? 'package' : 'packages'}`}${f.start > 0 ? ` from result ${f.start + 1}` : ''}</h2>
${results.map(r => r.packages.length === 0 ? '' : html`<section aria-label="${r.publisher}">
${publisher === null ? html`<h3>${r.publisher}</h3>` : ''}
<ul class="plain">${r.packages.map(p => html`<li>
<a href="${urls.package(r.publisher, p.stem, p.version)}">${p.stem}</a> <code class="muted">${p.version}</code>
${p.matches.length === 0 ? '' : html`<ul>${p.matches.slice(0, 5).map(m => html`<li><code>${m.line}</code></li>`)}${p.matches.length > 5 ? html`<li class="muted">and ${p.matches.length - 5} more</li>` : ''}</ul>`}
</li>`)}</ul>
</section>`)}
<nav class="pages" aria-label="Pages">
${f.start > 0 ? html`<a href="${here(Math.max(0, f.start - RESULTS_PER_PAGE))}" rel="prev">Previous results</a>` : ''}
${more ? html`<a href="${here(f.start + RESULTS_PER_PAGE)}" rel="next">More results</a>` : ''}
</nav>`}`
  })
}
