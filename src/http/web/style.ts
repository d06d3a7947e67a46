/**
 * The one stylesheet: small, hand-written, readable on a phone and in dark
 * mode, with a visible focus ring. Served as a file (the CSP allows no
 * inline style).
 */
export const STYLESHEET = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #4d5560; --bg: #ffffff; --panel: #f3f5f7; --line: #d0d5db; --link: #0b5cad; --accent: #8a4b00; --focus: #c2410c; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e8eb; --muted: #aab2bc; --bg: #14171b; --panel: #1d2227; --line: #3a424b; --link: #7fb8ff; --accent: #f0b46a; --focus: #ffb86b; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; padding: .5rem; background: var(--bg); }
.skip:focus { left: .5rem; }
header.site { display: flex; flex-wrap: wrap; gap: .75rem 1.5rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.site nav ol { display: flex; flex-wrap: wrap; gap: .25rem; list-style: none; margin: 0; padding: 0; }
header.site nav li + li::before { content: "/"; margin-right: .25rem; color: var(--muted); }
.brand { font-weight: 700; text-decoration: none; }
form.search { display: flex; gap: .5rem; flex-wrap: wrap; align-items: center; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: 4px; padding: .3rem .5rem; }
button { cursor: pointer; background: var(--panel); }
input[type=search], input[type=text] { min-width: 12rem; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: .5rem 0; overflow-wrap: anywhere; }
h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; }
.muted, .summary { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: .25rem 0; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; overflow-wrap: anywhere; }
th { font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.table-wrap { overflow-x: auto; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
code { overflow-wrap: anywhere; }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: .75rem; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 0 .4rem; border: 1px solid var(--accent); color: var(--accent); border-radius: 3px; font-size: .85rem; }
ul.plain { list-style: none; padding: 0; }
.cards { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 1rem; background: var(--panel); }
nav.pages { display: flex; gap: 1rem; margin: 1rem 0; }
fieldset { border: 1px solid var(--line); border-radius: 4px; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; }
.unsafe-url { font-family: ui-monospace, monospace; }
footer { max-width: 72rem; margin: 2rem auto; padding: 1rem; color: var(--muted); border-top: 1px solid var(--line); font-size: .9rem; }
@media (max-width: 40rem) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .5rem; } th.optional, td.optional { display: none; } }
`

/** A package box: the icon a browser asks for (without it, every page costs a 404 for /favicon.ico). */
export const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path fill="#8a4b00" d="M16 2 29 8.5v15L16 30 3 23.5v-15z"/><path fill="#f0b46a" d="M16 2 29 8.5 16 15 3 8.5z"/><path fill="#5c3200" d="M16 15v15l13-6.5v-15z"/></svg>
`
