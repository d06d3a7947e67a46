/**
 * A package whose metadata tries every way into a page: markup in set
 * values, quotes in paths, a javascript: URL, a licence text with a
 * script. Publishers are untrusted input; the pages must show all of it
 * as text.
 */
import { restPublish } from './rest-publish.js'

export const HOSTILE_STEM = 'xss/probe'
export const HOSTILE_SUMMARY = "<script>alert('summary')</script>"
export const HOSTILE_LICENSE = Buffer.from("<script>alert('license')</script>\nAll rights reversed.\n")
export const HOSTILE_PAYLOAD = Buffer.from('payload\n')

const q = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

export const HOSTILE_MANIFEST = [
  `set name=pkg.fmri value=${HOSTILE_STEM}@1.0`,
  `set name=pkg.summary value=${q(HOSTILE_SUMMARY)}`,
  `set name=pkg.description value=${q('"><img src=x onerror=alert(\'description\')>')}`,
  `set name=info.upstream-url value=${q("javascript:alert('upstream')")}`,
  `set name=info.source-url value=${q('https://example.com/"onmouseover="alert(\'source\')')}`,
  `set name=info.classification value=${q('org.opensolaris.category.2008:<b>Meta</b>')}`,
  `set name=pkg.human-version value=${q('</code><script>alert(\'version\')</script>')}`,
  `dir path=${q('opt/a"b\'c<d>')} mode=0755 owner=root group=bin`,
  `file SHA1PAYLOAD path=${q('opt/<svg onload=alert(\'path\')>.txt')} mode=0444 owner=root group=bin`,
  `license SHA1LICENSE license=${q('<i>GPL</i> & co')}`,
  'depend fmri=example/hello@1.0 type=require'
].join('\n') + '\n'

export async function publishHostile (url: string, token: string, sha1: (b: Buffer) => string): Promise<{ status: number, fmri?: string, detail?: string }> {
  const manifest = HOSTILE_MANIFEST.replace('SHA1PAYLOAD', sha1(HOSTILE_PAYLOAD)).replace('SHA1LICENSE', sha1(HOSTILE_LICENSE))
  return await restPublish(url, token, 'test', manifest, [HOSTILE_PAYLOAD, HOSTILE_LICENSE])
}
