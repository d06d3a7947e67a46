/**
 * A page's own error: the status and the message, in the page shell, with
 * a way back. The message is the first <p>, where a tool that reads
 * pkg.depotd's error pages looks for it.
 */
import { STATUS_CODES } from 'node:http'
import { html, type Html } from '../html.js'
import { page } from '../layout.js'
import { urls } from '../urls.js'

export function errorPage (status: number, message: string): Html {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return page({
    title,
    body: html`<h1>${title}</h1>
<div role="alert"><p>${message}</p></div>
<p><a href="${urls.home}">Every publisher</a> · <a href="${urls.search(null)}">Search</a></p>`
  })
}
