/**
 * The human-readable package summary of info/0, laid out as pkg.depotd
 * lays it out (labels right-aligned to "Compressed Size").
 */
import { type Action, attrValue } from './action.js'
import type { Fmri } from './fmri.js'
import { formatFmri } from './fmri.js'

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** C locale strftime("%c"): "Mon Nov 23 00:16:51 2026", day padded with a space. */
export function cTime (d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0')
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`
}

/** misc.bytes_to_str: binary units, two decimals. */
export function bytesToStr (n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB']
  let i = 0
  while (i < units.length - 1 && n >= 1024 ** (i + 1)) i++
  return `${(n / 1024 ** i).toFixed(2)} ${units[i]}`
}

export function setValue (actions: readonly Action[], name: string): string | undefined {
  for (const a of actions) if (a.type === 'set' && attrValue(a, 'name') === name) return attrValue(a, 'value')
  return undefined
}

export function packageInfo (fmri: Fmri & { publisher: string }, actions: readonly Action[], published: Date, licenses: readonly string[]): string {
  const v = fmri.version!
  let size = 0
  let csize = 0
  for (const a of actions) {
    size += Number(attrValue(a, 'pkg.size') ?? 0) || 0
    csize += Number(attrValue(a, 'pkg.csize') ?? 0) || 0
  }
  const summary = setValue(actions, 'pkg.summary') ?? setValue(actions, 'description') ?? ''
  const release = v.release.join('.')
  const human = setValue(actions, 'pkg.human-version')
  const version = human && human !== release ? `${release} (${human})` : release
  const rows: Array<[string, string]> = [
    ['Name', fmri.stem],
    ['Summary', summary],
    ['Publisher', fmri.publisher],
    ['Version', version],
    ['Build Release', v.build.join('.')],
    ['Branch', v.branch ? v.branch.join('.') : 'None'],
    ['Packaging Date', cTime(published)],
    ['Size', bytesToStr(size)],
    ['Compressed Size', bytesToStr(csize)],
    ['FMRI', formatFmri(fmri)]
  ]
  const head = rows.map(([k, val]) => `${k.padStart(15)}: ${val}`).join('\n')
  return `${head}\n\nLicense:\n${licenses.join('\n')}\n`
}
