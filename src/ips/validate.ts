/**
 * Publication-time checks of actions and manifests (Action.validate and
 * the obsolete/renamed rules of a transaction), with pkg5's wording where
 * clients show it.
 */
import { type Action, ActionError, attrValue, attrValues, formatAction, KEY_ATTRIBUTES } from './action.js'

export const DEPEND_TYPES = new Set(['require', 'optional', 'exclude', 'incorporate', 'conditional', 'require-any', 'group', 'group-any', 'parent', 'origin'])

const MODE = /^(?:[0-7]{3,4}|0[0-7]{4})$/
const MODE_FORM = "value must be of the form '644', '0644', or '04755'."

/** Publication-time validation of one action, worded as pkg5's Action.validate. */
export function validateAction (a: Action, opts: { payloadPending?: boolean } = {}): void {
  const key = KEY_ATTRIBUTES[a.type]
  if (key !== undefined && attrValues(a, key).length === 0) {
    throw new ActionError(`invalid action, '${formatAction(a)}': no value specified for key attribute '${key}'`)
  }
  const errors: string[] = []
  const single = (k: string): string | undefined => {
    const v = a.attrs[k]
    if (Array.isArray(v)) { errors.push(`${k} may only have one value`); return undefined }
    return v
  }
  if (a.type === 'file' || a.type === 'dir') {
    const mode = single('mode')
    if (mode === undefined || mode === '') errors.push(`mode is required; ${MODE_FORM}`)
    else if (!MODE.test(mode)) errors.push(`'${mode}' is not a valid mode; ${MODE_FORM}`)
    for (const k of ['owner', 'group']) {
      const v = single(k)
      if (v === undefined || v.trim() === '') errors.push(`${k} is required`)
    }
  }
  if (a.type === 'depend') {
    const type = single('type')
    if (type === undefined) errors.push('type is required')
    else if (!DEPEND_TYPES.has(type)) errors.push(`Unknown type '${type}' in depend action`)
  }
  if ((a.type === 'file' || a.type === 'license') && !a.hash && !opts.payloadPending) errors.push('a payload hash is required')
  if (a.type === 'signature' && attrValues(a, 'algorithm').length === 0) errors.push('algorithm is required')
  if (errors.length > 0) throw new ActionError(`The action '${formatAction(a)}' has invalid attribute(s):\n  ${errors.join('\n  ')}`)
}

function isTrue (actions: readonly Action[], name: string): boolean {
  return actions.some(a => a.type === 'set' && attrValue(a, 'name') === name && attrValue(a, 'value') === 'true')
}

/**
 * The obsolete and renamed package rules, as actions arrive; `complete`
 * adds the rule that can only be checked at close.
 */
export function validatePackage (actions: readonly Action[], complete: boolean): void {
  const obsolete = isTrue(actions, 'pkg.obsolete')
  const renamed = isTrue(actions, 'pkg.renamed')
  if (obsolete && renamed) throw new ActionError('A package may not  be marked for both obsoletion and renaming.')
  if (obsolete) {
    const other = actions.find(a => a.type !== 'set' && a.type !== 'signature')
    if (other) throw new ActionError(`A '${other.type}' action cannot be present in an obsolete package: ${formatAction(other)}`)
  }
  if (renamed) {
    const other = actions.find(a => a.type !== 'set' && a.type !== 'depend' && a.type !== 'signature')
    if (other) throw new ActionError(`A '${other.type}' action cannot be present in a renamed package: ${formatAction(other)}`)
    if (complete && !actions.some(a => a.type === 'depend')) throw new ActionError("A renamed package must contain at least one 'depend' action.")
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
