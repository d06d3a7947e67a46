/** `/`: the publishers, how to add one to an image, and the search box. */
import { html, type Html } from '../html.js'
import { page, timeElement } from '../layout.js'
import { urls } from '../urls.js'

export interface PublisherSummary { readonly name: string, readonly stems: number, readonly versions: number, readonly lastModified: number, readonly isDefault: boolean }

export function overviewPage (origin: string, publishers: readonly PublisherSummary[]): Html {
  return page({
    title: 'Package repository',
    body: html`<h1>Package repository</h1>
<p class="summary">A pkg(5) repository for illumos, OpenIndiana, OmniOS and Solaris images: ${publishers.length} ${publishers.length === 1 ? 'publisher' : 'publishers'}.</p>
<h2>Publishers</h2>
${publishers.length === 0 ? html`<p>No publisher yet.</p>` : html`<div class="cards">${publishers.map(p => html`
<section class="card" aria-labelledby="pub-${p.name}">
<h3 id="pub-${p.name}"><a href="${urls.publisher(p.name)}">${p.name}</a>${p.isDefault ? html` <span class="badge">default</span>` : ''}</h3>
<p>${p.stems.toLocaleString('en')} packages, ${p.versions.toLocaleString('en')} versions.<br>Last update ${timeElement(p.lastModified)}.</p>
<p>Add it to an image:</p>
<pre><code>pkg set-publisher -g ${origin}/ ${p.name}</code></pre>
<p><a href="${urls.p5i(p.name)}">Publisher configuration (p5i)</a> · <a href="${urls.search(p.name)}">Search</a> · <a href="${urls.feed(p.name)}">Feed</a></p>
</section>`)}</div>`}`
  })
}
