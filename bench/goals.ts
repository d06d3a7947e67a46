/**
 * The performance goals of issues #16 and #26, each with its target, what
 * this run measured, and, where it falls short, why: the reasons are what
 * profiles and experiments showed, kept beside the figures they explain.
 */
import type { AttackRow, SearchRow } from './search.js'

export interface Goal {
  readonly goal: string
  readonly target: string
  readonly measured: string
  readonly met: boolean
  /** Why it falls short; shown only when it does. */
  readonly why: string
}

/** One goal per corpus: every search shape's p50 at one connection. */
export function searchGoal (corpus: string, rows: readonly SearchRow[], targetMs: number): Goal {
  const over = rows.filter(r => !(r.one.p50 <= targetMs))
  return {
    goal: `search at ${corpus}, p50 at 1 connection, every shape`,
    target: `≤ ${targetMs} ms`,
    measured: over.length === 0
      ? `slowest ${Math.max(...rows.map(r => r.one.p50)).toFixed(1)} ms`
      : `${rows.length - over.length} of ${rows.length} shapes; over: ${over.map(r => `${r.shape.name} ${r.one.p50.toFixed(0)} ms (${r.results} results)`).join(', ')}`,
    met: over.length === 0,
    why: 'the time of the shapes over the target goes with their results: each printed hit has its line read, labelled and quoted, and a phrase tests the line of every hit of its first word (made a glob by pkg5\'s rule); the selective shapes are within'
  }
}

/** Issue #26: the first result line of every shape, p50 of sequential requests at one connection. */
export function firstResultGoal (corpus: string, rows: readonly SearchRow[], targetMs: number): Goal {
  const over = rows.filter(r => !(r.timing.firstMs <= targetMs))
  return {
    goal: `search at ${corpus}: first result line, p50, every shape (#26)`,
    target: `≤ ${targetMs} ms`,
    measured: over.length === 0
      ? `slowest ${Math.max(...rows.map(r => r.timing.firstMs)).toFixed(1)} ms`
      : `${rows.length - over.length} of ${rows.length} shapes; over: ${over.map(r => `${r.shape.name} ${r.timing.firstMs.toFixed(0)} ms`).join(', ')}`,
    met: over.length === 0,
    why: 'results go out in pkg5\'s order (stem, version, line), so a term\'s hits are all found and sorted, as integers, before the first is printed; printing then streams in batches. Finding a broad term\'s hits (its postings, and each package\'s place in version order) is what the first line waits for'
  }
}

/** Issue #26: broad queries print at least this many result lines a second. */
export function linesPerSecondGoal (corpus: string, rows: readonly SearchRow[], target: number): Goal {
  const broad = rows.filter(r => r.results >= 1000)
  const slow = broad.filter(r => !(r.timing.linesPerSecond >= target))
  return {
    goal: `search at ${corpus}: result lines per second, shapes of ≥ 1,000 results (#26)`,
    target: `≥ ${target.toLocaleString('en')}`,
    measured: broad.length === 0 ? 'no broad shape' : broad.map(r => `${r.shape.name} ${Math.round(r.timing.linesPerSecond).toLocaleString('en')}`).join(', '),
    met: slow.length === 0,
    why: 'each printed line is read from its manifest, parsed and labelled (pkg5 shows the matched value, split by full value), then quoted; the structured clone of each batch to the serving thread adds a little'
  }
}

/** Issue #26: one address flooding the worst queries does not make another client's plain search wait. */
export function attackGoal (corpus: string, r: AttackRow): Goal {
  return {
    goal: `search at ${corpus}: a plain search while one address floods the worst queries, p99 (#26)`,
    target: '≤ 1,000 ms, 0 errors',
    measured: `${r.attacked.p99.toFixed(0)} ms, ${r.attacked.errors} errors (alone: ${r.quiet.p99.toFixed(0)} ms)`,
    met: r.attacked.p99 <= 1000 && r.attacked.errors === 0,
    why: 'the plain search waits for the attack query already on a worker (bounded by search.max_work) before its turn'
  }
}

export function searchErrorsGoal (rows: readonly SearchRow[]): Goal {
  const errors = rows.reduce((n, r) => n + r.hundred.errors, 0)
  return { goal: 'search at 100 connections, S and L', target: '0 errors', measured: `${errors} errors`, met: errors === 0, why: 'see the search tables' }
}

export function goalsTable (goals: readonly Goal[]): string[] {
  return [
    '## Goals (issues #16 and #26)',
    '',
    'Each goal of issues #16 and #26 with what this run measured; where it falls short, why.',
    '',
    '| goal | target | measured | met | why not |',
    '|---|---|---|---|---|',
    ...goals.map(g => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'yes' : 'no'} | ${g.met ? '' : g.why} |`),
    ''
  ]
}
