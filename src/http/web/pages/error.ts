/** A page's own error: the status and the message, in the page shell, with a way back. */
import { STATUS_CODES } from 'node:http'
import { html, type Html } from '../html.js'
import { page } from '../layout.js'
import { urls } from '../urls.js'

export function errorPage (status: number, message: string): Html {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return page({
    title,
    body: html`<h1>${title}</h1>
<p role="alert">${message}</p>
<p><a href="${urls.home}">Every publisher</a> · <a href="${urls.search(null)}">Search</a></p>`
  })
}
