/**
 * The performance goals of issue #16, each with its target, what this run
 * measured, and, where it falls short, why: the reasons are what profiles
 * and experiments showed, kept beside the figures they explain.
 */
import type { SearchRow } from './search.js'

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

export function searchErrorsGoal (rows: readonly SearchRow[]): Goal {
  const errors = rows.reduce((n, r) => n + r.hundred.errors, 0)
  return { goal: 'search at 100 connections, S and L', target: '0 errors', measured: `${errors} errors`, met: errors === 0, why: 'see the search tables' }
}

export function goalsTable (goals: readonly Goal[]): string[] {
  return [
    '## Goals (issue #16)',
    '',
    'Each goal of issue #16 with what this run measured; where it falls short, why.',
    '',
    '| goal | target | measured | met | why not |',
    '|---|---|---|---|---|',
    ...goals.map(g => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? 'yes' : 'no'} | ${g.met ? '' : g.why} |`),
    ''
  ]
}
