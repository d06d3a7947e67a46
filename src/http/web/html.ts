/**
 * HTML by construction: every value interpolated into an `html` template
 * is escaped unless it is itself `Html` (made by this module), so package
 * metadata (untrusted: anyone who can publish writes it) cannot become
 * markup. URLs from metadata go through `externalHref`, which lets only
 * http(s) through: a `javascript:` link renders as text.
 */
export class Html {
  constructor (readonly text: string) {}
  toString (): string { return this.text }
}

export type Interpolation = Html | string | number | null | undefined | false | readonly Interpolation[]

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => ESCAPES[c]!)
}

function render (v: Interpolation): string {
  if (v instanceof Html) return v.text
  if (v === null || v === undefined || v === false) return ''
  if (Array.isArray(v)) return v.map(render).join('')
  return escapeHtml(String(v))
}

export function html (strings: TemplateStringsArray, ...values: readonly Interpolation[]): Html {
  let out = strings[0]!
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!
  return new Html(out)
}

/** A URL from package metadata, if it is one a link may point to (absolute http or https). */
export function externalHref (url: string | undefined): string | null {
  if (url === undefined) return null
  try {
    const u = new URL(url)
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null
  } catch {
    return null
  }
}

/** A link to a metadata URL, or the URL as plain text when it is not http(s). */
export function externalLink (url: string): Html {
  const href = externalHref(url)
  return href === null ? html`<span class="unsafe-url">${url}</span>` : html`<a href="${href}" rel="nofollow noopener noreferrer">${url}</a>`
}
