/**
 * What pkg5 indexes for search: each action yields (key, token, full
 * value) entries, as the actions' generate_indices() do. The full value,
 * when there is one, is what a search result shows as its match.
 */
import { type Action, attrValues } from './action.js'
import { parseFmri } from './fmri.js'

export interface IndexEntry {
  /** The index key: an attribute name, "basename", "path", a depend type… */
  readonly key: string
  readonly token: string
  readonly fullValue: string | null
}

function basename (p: string): string {
  const trimmed = p.replace(/\/+$/, '')
  return trimmed.slice(trimmed.lastIndexOf('/') + 1)
}

const HASH_ATTRS = ['hash', 'pkg.content-hash', 'elfhash', 'pkg.content-type']

function setEntries (a: Action): IndexEntry[] {
  const name = attrValues(a, 'name')[0]
  if (name === undefined) return []
  const values = attrValues(a, 'value')
  if (name === 'info.classification') {
    const out: IndexEntry[] = []
    for (const v of values) {
      const levels = v.includes(':') ? v.slice(v.indexOf(':') + 1) : v
      const tokens = [levels, ...levels.split('/').flatMap(level => level.split(/\s+/).filter(Boolean))]
      for (const token of tokens) out.push({ key: name, token, fullValue: levels })
    }
    return out
  }
  if (Array.isArray(a.attrs.value)) {
    return values.flatMap((v): IndexEntry[] => v.includes(' ')
      ? v.split(/\s+/).filter(Boolean).map(w => ({ key: name, token: w, fullValue: v }))
      : [{ key: name, token: v, fullValue: null }])
  }
  const value = values[0] ?? ''
  if (name === 'fmri' || name === 'pkg.fmri') {
    try {
      const f = parseFmri(value)
      const stem = f.publisher ? `${f.publisher}/${f.stem}` : f.stem
      const parts = f.stem.split('/')
      const hierarchical = parts.map((_, i) => parts.slice(parts.length - 1 - i).join('/'))
      const tokens = [stem, f.version?.build.join('.') ?? '', f.version?.release.join('.') ?? '', f.version?.timestamp ?? 'None', ...hierarchical]
      return tokens.map(token => ({ key: name, token, fullValue: stem }))
    } catch {
      return [{ key: name, token: value, fullValue: null }]
    }
  }
  if (value.includes(' ')) return value.split(/\s+/).filter(Boolean).map(w => ({ key: name, token: w, fullValue: value }))
  return [{ key: name, token: value, fullValue: null }]
}

const FMRI_SCHEME = /pkg:\/\/\/|pkg:\/\/[^/]*\/|pkg:\//g

function dependEntries (a: Action): IndexEntry[] {
  const type = attrValues(a, 'type')[0] ?? ''
  const out: IndexEntry[] = []
  for (const raw of attrValues(a, 'fmri')) {
    const p = raw.replace(FMRI_SCHEME, '')
    out.push({ key: type, token: p, fullValue: null })
    if (p.includes('@')) out.push({ key: type, token: p.split('@')[0]!, fullValue: null })
  }
  return out
}

function pathEntries (a: Action): IndexEntry[] {
  const path = attrValues(a, 'path')[0]
  if (path === undefined) return []
  return [{ key: 'basename', token: basename(path), fullValue: null }, { key: 'path', token: '/' + path, fullValue: null }]
}

function contentEntries (a: Action): IndexEntry[] {
  return a.hash ? [{ key: 'content', token: a.hash, fullValue: a.hash }] : []
}

function attrEntries (a: Action, keys: readonly string[]): IndexEntry[] {
  return keys.flatMap(k => (k === 'hash' && a.hash ? [a.hash] : attrValues(a, k)).map(v => ({ key: k, token: v, fullValue: null })))
}

export function indexEntries (a: Action): IndexEntry[] {
  switch (a.type) {
    case 'set': return setEntries(a)
    case 'depend': return dependEntries(a)
    case 'file': return [...contentEntries(a), ...pathEntries(a), ...attrEntries(a, HASH_ATTRS)]
    case 'dir': return pathEntries(a)
    case 'link':
    case 'hardlink': return [...pathEntries(a), ...attrEntries(a, ['mediator', 'mediator-version', 'mediator-implementation'])]
    case 'license': return [...contentEntries(a), ...attrEntries(a, ['license'])]
    case 'user': return attrEntries(a, ['username']).map(e => ({ ...e, key: 'name' }))
    case 'group': return attrEntries(a, ['groupname']).map(e => ({ ...e, key: 'name' }))
    case 'legacy': return [...attrEntries(a, ['pkg']).map(e => ({ ...e, key: 'legacy_pkg' })), ...attrEntries(a, ['pkg'])]
    case 'driver': return [...attrEntries(a, ['name']).map(e => ({ ...e, key: 'driver_name' })), ...attrEntries(a, ['alias'])]
    case 'signature': return [
      ...(a.hash ? [{ key: 'certificate', token: a.hash, fullValue: a.hash }] : []),
      ...attrValues(a, 'algorithm').map(v => ({ key: 'algorithm', token: v, fullValue: v })),
      ...attrValues(a, 'value').map(v => ({ key: 'signature', token: v, fullValue: v }))
    ]
    default: return []
  }
}

/** What a search result shows as the match: the full value, else the token of a set action, else the key. */
export function matchLabel (actionType: string, e: { key: string, token: string, fullValue: string | null }): string {
  return e.fullValue ?? (actionType === 'set' ? e.token : e.key)
}
