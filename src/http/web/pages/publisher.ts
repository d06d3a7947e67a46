/** `/<publisher>/packages`: the stems, paged in SQL, filtered by name or glob, sorted by name or last publish. */
import type { StemPage, StemQuery } from '../../../store/browse.js'
import { html, type Html } from '../html.js'
import { page, timeElement } from '../layout.js'
import { urls } from '../urls.js'

function queryString (q: StemQuery, next: { after: string, offset: number } | null): string {
  const p = new URLSearchParams()
  if (q.name !== '') p.set('name', q.name)
  if (q.obsolete) p.set('obsolete', '1')
  if (q.renamed) p.set('renamed', '1')
  if (q.sort !== 'name') p.set('sort', q.sort)
  if (next !== null) {
    if (q.sort === 'name') p.set('after', next.after); else p.set('offset', String(next.offset))
  }
  return p.toString()
}

export function publisherPage (publisher: string, counts: { stems: number, versions: number }, q: StemQuery, result: StemPage): Html {
  const firstPage = q.sort === 'name' ? q.after === '' : q.offset === 0
  return page({
    title: `${publisher} packages`,
    publisher,
    crumbs: [[publisher, urls.publisher(publisher)]],
    body: html`<h1>${publisher}</h1>
<p class="summary">${counts.stems.toLocaleString('en')} packages, ${counts.versions.toLocaleString('en')} versions. <a href="${urls.feed(publisher)}">Recently published</a> (Atom).</p>
<form method="get" action="${urls.publisher(publisher)}" class="filters" aria-label="Filter packages">
<label for="name">Name contains, or glob</label>
<input id="name" name="name" type="text" value="${q.name}" maxlength="200" placeholder="library/* or zlib">
<label for="sort">Sort by</label>
<select id="sort" name="sort">
<option value="name"${q.sort === 'name' ? html` selected` : ''}>name</option>
<option value="published"${q.sort === 'published' ? html` selected` : ''}>last publish</option>
</select>
<label><input type="checkbox" name="obsolete" value="1"${q.obsolete ? html` checked` : ''}> obsolete</label>
<label><input type="checkbox" name="renamed" value="1"${q.renamed ? html` checked` : ''}> renamed</label>
<button type="submit">Apply</button>
</form>
${result.rows.length === 0
  ? html`<p>No package matches.</p>`
  : html`<div class="table-wrap"><table>
<caption class="muted">Packages${firstPage ? '' : ' (continued)'}</caption>
<thead><tr><th scope="col">Package</th><th scope="col">Newest version</th><th scope="col" class="optional">Summary</th><th scope="col" class="num">Versions</th><th scope="col">Last publish</th></tr></thead>
<tbody>
${result.rows.map(r => html`<tr>
<td><a href="${urls.package(publisher, r.stem)}">${r.stem}</a>${r.state === '' ? '' : html` <span class="badge">${r.state}</span>`}</td>
<td><code>${r.version}</code></td>
<td class="optional">${r.summary ?? ''}</td>
<td class="num">${r.versions}</td>
<td>${timeElement(r.published / 1000)}</td>
</tr>`)}
</tbody></table></div>`}
<nav class="pages" aria-label="Pages">
${firstPage ? '' : html`<a href="${urls.publisher(publisher, queryString(q, null))}">First page</a>`}
${result.next === null ? '' : html`<a href="${urls.publisher(publisher, queryString(q, result.next))}" rel="next">Next page</a>`}
</nav>`
  })
}
