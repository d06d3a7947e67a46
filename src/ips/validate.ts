/**
 * Publication-time checks of actions and manifests (Action.validate and
 * the obsolete/renamed rules of a transaction), with pkg5's wording where
 * clients show it.
 */
import { type Action, ActionError, attrValue, attrValues } from './action.js'

export const DEPEND_TYPES = new Set(['require', 'optional', 'exclude', 'incorporate', 'conditional', 'require-any', 'group', 'group-any', 'parent', 'origin'])

const REQUIRED: Record<string, readonly string[]> = {
  set: ['name'], depend: ['fmri', 'type'], dir: ['path', 'mode', 'owner', 'group'], file: ['path', 'mode', 'owner', 'group'],
  link: ['path', 'target'], hardlink: ['path', 'target'], group: ['groupname'], user: ['username'], driver: ['name'],
  license: ['license'], legacy: ['pkg'], signature: ['algorithm']
}
const MODE = /^(?:[0-7]{3,4}|0[0-7]{4})$/

export function validateAction (a: Action): void {
  const bad = (why: string): never => { throw new ActionError(`invalid ${a.type} action: ${why}`) }
  for (const k of REQUIRED[a.type] ?? []) {
    const vals = attrValues(a, k)
    if (vals.length === 0) bad(`missing required attribute '${k}'`)
    if (vals.some(v => v.trim() === '')) bad(`attribute '${k}' must not be empty`)
  }
  if ((a.type === 'file' || a.type === 'license') && !a.hash) bad('missing payload hash')
  const mode = attrValue(a, 'mode')
  if (mode !== undefined && (Array.isArray(a.attrs.mode) || !MODE.test(mode))) bad(`mode '${String(a.attrs.mode)}' is not 3 to 5 octal digits`)
  for (const k of ['owner', 'group', 'path']) if (Array.isArray(a.attrs[k]) && a.type !== 'set') bad(`attribute '${k}' may have only one value`)
  if (a.type === 'depend' && !DEPEND_TYPES.has(attrValue(a, 'type') ?? '')) bad(`unknown dependency type '${attrValue(a, 'type')}'`)
}

function setValue (actions: readonly Action[], name: string): string | undefined {
  return actions.find(a => a.type === 'set' && attrValue(a, 'name') === name)?.attrs.value as string | undefined
}

/** The obsolete and renamed package rules, checked when a package is closed. */
export function validatePackage (actions: readonly Action[]): void {
  const obsolete = setValue(actions, 'pkg.obsolete') === 'true'
  const renamed = setValue(actions, 'pkg.renamed') === 'true'
  if (obsolete && renamed) throw new ActionError('A package may not be both obsolete and renamed.')
  if (obsolete) {
    const other = actions.find(a => a.type !== 'set' && a.type !== 'signature')
    if (other) throw new ActionError(`An obsolete package may contain only set and signature actions, not ${other.type}.`)
  }
  if (renamed) {
    const other = actions.find(a => a.type !== 'set' && a.type !== 'depend' && a.type !== 'signature')
    if (other) throw new ActionError(`A renamed package may contain only set, depend and signature actions, not ${other.type}.`)
    if (!actions.some(a => a.type === 'depend' && attrValue(a, 'type') === 'require')) throw new ActionError('A renamed package must have at least one require dependency.')
  }
}

/**
 * A Python literal list as pkgsend sends multi-valued attributes:
 * ['i386', 'sparc']. Parsed, never evaluated; anything else is refused.
 */
export function parsePythonList (text: string): string[] | null {
  const s = text.trim()
  if (!s.startsWith('[') || !s.endsWith(']')) return null
  const out: string[] = []
  let i = 1
  const skip = (): void => { while (i < s.length - 1 && /\s/.test(s[i]!)) i++ }
  skip()
  if (i === s.length - 1) return out
  for (;;) {
    skip()
    const q = s[i]
    if (q !== "'" && q !== '"') return null
    let v = ''
    i++
    while (i < s.length - 1 && s[i] !== q) {
      if (s[i] === '\\') { i++; const c = s[i]; v += c === 'n' ? '\n' : c === 't' ? '\t' : (c ?? '') } else v += s[i]
      i++
    }
    if (s[i] !== q) return null
    i++
    out.push(v)
    skip()
    if (i === s.length - 1) return out
    if (s[i] !== ',') return null
    i++
    skip()
    if (i === s.length - 1) return out
  }
}
