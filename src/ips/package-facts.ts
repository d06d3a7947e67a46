/**
 * What a package page shows of a manifest, read from its actions: the
 * metadata a person looks for first, dependencies by type, the installed
 * contents and the licences. Pure: the manifest's text in, plain data out.
 */
import { type Action, attrValue, attrValues } from './action.js'
import { parseFmri } from './fmri.js'

export interface Dependency {
  readonly type: string
  /** As the manifest writes it. */
  readonly fmri: string
  /** The publisher the FMRI names, if it names one, and its stem; null when it does not parse. */
  readonly publisher: string | null
  readonly stem: string | null
  readonly minimum: string | null
}

export interface ContentEntry {
  readonly type: 'file' | 'dir' | 'link' | 'hardlink'
  readonly path: string
  readonly mode: string | null
  readonly owner: string | null
  readonly group: string | null
  readonly size: number | null
  readonly target: string | null
}

export interface PackageFacts {
  readonly summary: string | null
  readonly description: string | null
  readonly humanVersion: string | null
  readonly classifications: readonly string[]
  readonly upstreamUrl: string | null
  readonly sourceUrl: string | null
  readonly obsolete: boolean
  readonly renamed: boolean
  /** Dependency types in the order pkg(5) documents them, then any others. */
  readonly dependencies: ReadonlyArray<{ type: string, entries: readonly Dependency[] }>
  readonly contents: readonly ContentEntry[]
  readonly licenses: ReadonlyArray<{ name: string, hash: string | null }>
  readonly size: number
}

const DEPEND_TYPES = ['require', 'require-any', 'conditional', 'optional', 'incorporate', 'group', 'group-any', 'origin', 'parent', 'exclude']

function setValues (actions: readonly Action[], name: string): string[] {
  return actions.filter(a => a.type === 'set' && attrValue(a, 'name') === name).flatMap(a => attrValues(a, 'value'))
}

function dependency (type: string, fmri: string): Dependency {
  try {
    const f = parseFmri(fmri)
    return { type, fmri, publisher: f.publisher, stem: f.stem, minimum: f.version === null ? null : fmri.slice(fmri.indexOf('@') + 1) }
  } catch {
    return { type, fmri, publisher: null, stem: null, minimum: null }
  }
}

const num = (v: string | undefined): number | null => v === undefined || !/^[0-9]+$/.test(v) ? null : Number(v)

export function packageFacts (actions: readonly Action[]): PackageFacts {
  const byType = new Map<string, Dependency[]>()
  const contents: ContentEntry[] = []
  const licenses: Array<{ name: string, hash: string | null }> = []
  let size = 0
  for (const a of actions) {
    size += num(attrValue(a, 'pkg.size')) ?? 0
    if (a.type === 'depend') {
      const type = attrValue(a, 'type') ?? ''
      const list = byType.get(type) ?? []
      for (const f of attrValues(a, 'fmri')) list.push(dependency(type, f))
      byType.set(type, list)
    } else if (a.type === 'file' || a.type === 'dir' || a.type === 'link' || a.type === 'hardlink') {
      contents.push({
        type: a.type,
        path: attrValue(a, 'path') ?? '',
        mode: attrValue(a, 'mode') ?? null,
        owner: attrValue(a, 'owner') ?? null,
        group: attrValue(a, 'group') ?? null,
        size: a.type === 'file' ? num(attrValue(a, 'pkg.size')) : null,
        target: a.type === 'link' || a.type === 'hardlink' ? attrValue(a, 'target') ?? null : null
      })
    } else if (a.type === 'license') {
      licenses.push({ name: attrValue(a, 'license') ?? a.hash ?? '', hash: a.hash ?? null })
    }
  }
  const order = (t: string): number => { const i = DEPEND_TYPES.indexOf(t); return i === -1 ? DEPEND_TYPES.length : i }
  const first = (name: string): string | null => setValues(actions, name)[0] ?? null
  return {
    summary: first('pkg.summary') ?? first('description'),
    description: first('pkg.description'),
    humanVersion: first('pkg.human-version'),
    classifications: setValues(actions, 'info.classification'),
    upstreamUrl: first('info.upstream-url'),
    sourceUrl: first('info.source-url'),
    obsolete: first('pkg.obsolete') === 'true',
    renamed: first('pkg.renamed') === 'true',
    dependencies: [...byType.entries()].sort((x, y) => order(x[0]) - order(y[0]) || (x[0] < y[0] ? -1 : 1)).map(([type, entries]) => ({ type, entries })),
    contents: contents.sort((x, y) => x.path < y.path ? -1 : x.path > y.path ? 1 : 0),
    licenses,
    size
  }
}
