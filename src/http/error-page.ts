/**
 * Error bodies for pkg(5) operations. The client parses the XHTML with
 * xml.dom.minidom and shows the text of the <p> element, so the page must
 * stay well-formed XML and the message must be escaped.
 */
import { STATUS_CODES } from 'node:http'

export function escapeXml (s: string): string {
  return s.replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
}

export function errorPage (status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`
  return `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>${title}</title>
</head>
    <body>
        <h2>${title}</h2>
        <p>${escapeXml(message)}</p>
    </body>
</html>
`
}
