/**
 * `/<publisher>/package/<stem>`: every version, and for the selected one
 * its metadata, provenance, dependencies, dependents, contents, licences
 * and the raw manifest.
 */
import type { Dependency, PackageFacts } from '../../../ips/package-facts.js'
import type { Publication } from '../../../store/provenance.js'
import { externalLink, html, type Html } from '../html.js'
import { page, timeElement } from '../layout.js'
import { urls } from '../urls.js'

export interface PackageView {
  readonly publisher: string
  readonly stem: string
  readonly versions: ReadonlyArray<{ version: string, published: number }>
  readonly selected: string
  readonly manifest: string
  readonly manifestTruncated: boolean
  readonly facts: PackageFacts
  readonly dependents: ReadonlyArray<{ publisher: string, stem: string }>
  readonly dependentsLimit: number
  readonly publications: readonly Publication[]
  readonly licenses: ReadonlyArray<{ name: string, text: string | null }>
  /** Publishers in this depot: a dependency on one of them links to its page. */
  readonly publishers: ReadonlySet<string>
  readonly contentsLimit: number
  /** Whether a CI issuer's repository, commit and run are GitHub's (the issuer's provenance_links). */
  readonly githubIssuer: (iss: string) => boolean
}

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/

/** Links only for values that are what GitHub's claims are (owner/repo, a commit SHA, a run number): anything else is text. */
function ciFacts (act: Readonly<Record<string, string>>, github: boolean): Html {
  const onGithub = github && act.repository !== undefined && REPO.test(act.repository)
  const repo = act.repository
  const gh = (path: string): string => `https://github.com/${repo!}${path}`
  const row = (label: string, value: string | undefined, href: string | null): Html | '' => value === undefined
    ? ''
    : html`<dt>${label}</dt><dd>${href === null ? html`<code>${value}</code>` : html`<a href="${href}"><code>${value}</code></a>`}</dd>`
  return html`<dl class="facts">
${row('CI issuer', act.iss, null)}
${row('CI subject', act.sub, null)}
${row('Repository', repo ?? act.project_path, onGithub ? gh('') : null)}
${row('Workflow', act.job_workflow_ref ?? act.workflow_ref ?? act.workflow, null)}
${row('Ref', act.ref, null)}
${row('Commit', act.sha, onGithub && /^[0-9a-f]{40}$/.test(act.sha ?? '') ? gh(`/commit/${act.sha!}`) : null)}
${row('Run', act.run_id ?? act.pipeline_id, onGithub && /^[0-9]+$/.test(act.run_id ?? '') ? gh(`/actions/runs/${act.run_id!}`) : null)}
${row('Event', act.event_name, null)}
${row('Environment', act.environment, null)}
</dl>`
}

function provenance (pubs: readonly Publication[], githubIssuer: (iss: string) => boolean): Html {
  if (pubs.length === 0) return html`<p>No publish of this version is recorded here: it was imported, or published before the depot recorded provenance.</p>`
  return html`${pubs.map(p => html`<section aria-label="Publication">
<p>Published ${timeElement(Date.parse(p.at))} through ${p.via === 'rest' ? 'the REST upload' : 'the pkg(5) publication protocol (pkgsend, pkgrecv, or ips-depot auth-proxy)'}.</p>
<dl class="facts">
<dt>Token issuer</dt><dd><code>${p.issuer ?? 'unknown'}</code></dd>
<dt>Subject</dt><dd><code>${p.subject ?? 'unknown'}</code></dd>
${p.clientId === null ? '' : html`<dt>Client</dt><dd><code>${p.clientId}</code></dd>`}
</dl>
${p.exchangedFrom === null ? '' : html`<h3>Trusted publishing from CI</h3>${ciFacts(p.exchangedFrom, githubIssuer(p.exchangedFrom.iss ?? ''))}`}
</section>`)}`
}

function dependencyItem (v: PackageView, d: Dependency): Html {
  const pub = d.publisher ?? v.publisher
  const linked = d.stem !== null && v.publishers.has(pub)
  return html`<li>${linked ? html`<a href="${urls.package(pub, d.stem!)}">${d.stem}</a>` : html`<span>${d.stem ?? d.fmri}</span>`}${d.minimum === null ? '' : html` <span class="muted">${d.type === 'incorporate' ? '=' : '≥'} <code>${d.minimum}</code></span>`}${d.publisher !== null && d.publisher !== v.publisher ? html` <span class="muted">(${d.publisher})</span>` : ''}</li>`
}

export function packagePage (v: PackageView): Html {
  const f = v.facts
  const newest = v.versions[0]!.version
  const fmri = `pkg://${v.publisher}/${v.stem}@${v.selected}`
  const install = v.selected === newest ? `pkg install ${v.stem}` : `pkg install ${v.stem}@${v.selected}`
  const shown = f.contents.slice(0, v.contentsLimit)
  return page({
    title: v.stem,
    publisher: v.publisher,
    crumbs: [[v.publisher, urls.publisher(v.publisher)], [v.stem, urls.package(v.publisher, v.stem)]],
    body: html`<h1>${v.stem}</h1>
${f.summary === null ? '' : html`<p class="summary">${f.summary}</p>`}
${f.obsolete ? html`<p><span class="badge">obsolete</span> This version marks the package obsolete: installing it removes the package.</p>` : ''}
${f.renamed ? html`<p><span class="badge">renamed</span> This version renames the package; its dependencies name the new one.</p>` : ''}
<h2 id="install">Install</h2>
<pre><code>${install}</code></pre>
<h2 id="about">About version <code>${v.selected}</code></h2>
<dl class="facts">
<dt>FMRI</dt><dd><code>${fmri}</code></dd>
${f.humanVersion === null ? '' : html`<dt>Human version</dt><dd>${f.humanVersion}</dd>`}
<dt>Published</dt><dd>${timeElement(v.versions.find(x => x.version === v.selected)!.published / 1000)}</dd>
${f.classifications.length === 0 ? '' : html`<dt>Classification</dt><dd>${f.classifications.map(c => html`<span>${c.replace(/^org\.opensolaris\.category\.2008:/, '')}</span> `)}</dd>`}
${f.upstreamUrl === null ? '' : html`<dt>Upstream</dt><dd>${externalLink(f.upstreamUrl)}</dd>`}
${f.sourceUrl === null ? '' : html`<dt>Source</dt><dd>${externalLink(f.sourceUrl)}</dd>`}
<dt>Size</dt><dd>${f.size.toLocaleString('en')} bytes installed</dd>
</dl>
${f.description === null ? '' : html`<h3>Description</h3><p>${f.description}</p>`}
<h2 id="provenance">Provenance</h2>
${provenance(v.publications, v.githubIssuer)}
<h2 id="dependencies">Dependencies</h2>
${f.dependencies.length === 0 ? html`<p>None.</p>` : f.dependencies.map(g => html`<h3>${g.type === '' ? '(no type)' : g.type}</h3><ul>${g.entries.map(d => dependencyItem(v, d))}</ul>`)}
<h2 id="dependents">Depended on by</h2>
${v.dependents.length === 0 ? html`<p>No package depends on this one.</p>` : html`<ul>${v.dependents.map(d => html`<li><a href="${urls.package(d.publisher, d.stem)}">${d.stem}</a>${d.publisher === v.publisher ? '' : html` <span class="muted">(${d.publisher})</span>`}</li>`)}</ul>${v.dependents.length >= v.dependentsLimit ? html`<p class="muted">The first ${v.dependentsLimit} are shown.</p>` : ''}`}
<h2 id="contents">Contents</h2>
${shown.length === 0 ? html`<p>No files or directories.</p>` : html`<div class="table-wrap"><table>
<thead><tr><th scope="col">Path</th><th scope="col">Type</th><th scope="col" class="optional">Mode</th><th scope="col" class="optional">Owner</th><th scope="col" class="num">Size</th></tr></thead>
<tbody>${shown.map(c => html`<tr><td><code>${c.path}</code>${c.target === null ? '' : html` → <code>${c.target}</code>`}</td><td>${c.type}</td><td class="optional">${c.mode ?? ''}</td><td class="optional">${c.owner === null ? '' : `${c.owner}:${c.group ?? ''}`}</td><td class="num">${c.size === null ? '' : c.size.toLocaleString('en')}</td></tr>`)}</tbody>
</table></div>${f.contents.length > shown.length ? html`<p class="muted">${shown.length.toLocaleString('en')} of ${f.contents.length.toLocaleString('en')} entries are shown; the manifest lists them all.</p>` : ''}`}
<h2 id="licenses">Licenses</h2>
${v.licenses.length === 0 ? html`<p>None.</p>` : v.licenses.map(l => html`<details><summary>${l.name}</summary>${l.text === null ? html`<p>The licence text is not in this repository.</p>` : html`<pre>${l.text}</pre>`}</details>`)}
<h2 id="versions">Versions</h2>
<div class="table-wrap"><table>
<thead><tr><th scope="col">Version</th><th scope="col">Published</th></tr></thead>
<tbody>${v.versions.map(x => html`<tr><td>${x.version === v.selected ? html`<a href="${urls.package(v.publisher, v.stem, x.version)}" aria-current="page"><code>${x.version}</code></a> (shown)` : html`<a href="${urls.package(v.publisher, v.stem, x.version)}"><code>${x.version}</code></a>`}</td><td>${timeElement(x.published / 1000)}</td></tr>`)}</tbody>
</table></div>
<h2 id="manifest">Manifest</h2>
<p><a href="${urls.manifest(v.publisher, v.stem, v.selected)}">Raw manifest</a> (as the pkg(5) client downloads it).</p>
<details><summary>Show the manifest</summary><pre>${v.manifest}</pre>${v.manifestTruncated ? html`<p class="muted">Cut short here; the raw manifest has it all.</p>` : ''}</details>`
  })
}
