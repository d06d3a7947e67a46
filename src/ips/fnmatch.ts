/**
 * Python's fnmatch.translate (3.11+), which pkg5's search uses for glob
 * terms: * ? [seq] [!seq], everything else literal. Bracket expressions
 * follow Python exactly, including its odd corners: a class with no
 * closing bracket is a literal '[', a ']' first in a class is a member,
 * a reversed range ([z-a]) is removed (an emptied class matches nothing),
 * and [!] of nothing matches any character. The class is rebuilt from
 * code points, so no pattern text can make an invalid JavaScript RegExp.
 */

const cp = (c: string): number => c.codePointAt(0)!
const lit = (c: string): string => `\\u{${cp(c).toString(16)}}`

/** The members of a Python regex class body (escapes with \, ranges with -) as [low, high] code points. */
function classRanges (body: string[]): Array<[number, number]> {
  const out: Array<[number, number]> = []
  let i = 0
  const atom = (): string => {
    const c = body[i++]!
    return c === '\\' && i < body.length ? body[i++]! : c
  }
  while (i < body.length) {
    const lo = atom()
    if (body[i] === '-' && i + 1 < body.length) {
      i++
      out.push([cp(lo), cp(atom())])
    } else {
      out.push([cp(lo), cp(lo)])
    }
  }
  return out
}

/** Python's translation of one bracket expression: the class body as Python's regex would hold it. */
function pythonClass (pat: string[], start: number, end: number): string[] {
  const esc = (s: string[]): string[] => s.flatMap(c => c === '\\' ? ['\\', '\\'] : c === '-' ? ['\\', '-'] : [c])
  const stuff = pat.slice(start, end)
  if (!stuff.includes('-')) return stuff.flatMap(c => c === '\\' ? ['\\', '\\'] : [c])
  const chunks: string[][] = []
  let i = start
  let k = pat[start] === '!' ? start + 2 : start + 1
  for (;;) {
    k = pat.indexOf('-', k)
    if (k < 0 || k >= end) break
    chunks.push(pat.slice(i, k))
    i = k + 1
    k = k + 3
  }
  const last = pat.slice(i, end)
  if (last.length > 0) chunks.push(last); else chunks[chunks.length - 1]!.push('-')
  // Python removes empty (reversed) ranges.
  for (let j = chunks.length - 1; j > 0; j--) {
    const prev = chunks[j - 1]!
    // (Python would fail on an empty chunk; the way chunks are cut, none can be compared.)
    if (prev.length > 0 && chunks[j]!.length > 0 && cp(prev[prev.length - 1]!) > cp(chunks[j]![0]!)) {
      chunks[j - 1] = [...prev.slice(0, -1), ...chunks[j]!.slice(1)]
      chunks.splice(j, 1)
    }
  }
  return chunks.flatMap((c, j) => j === 0 ? esc(c) : ['-', ...esc(c)])
}

export function fnmatchRegExp (pattern: string, caseInsensitive: boolean): RegExp {
  const pat = Array.from(pattern)
  const n = pat.length
  let re = ''
  let i = 0
  while (i < n) {
    const c = pat[i++]!
    if (c === '*') re += '.*'
    else if (c === '?') re += '.'
    else if (c === '[') {
      let j = i
      if (j < n && pat[j] === '!') j++
      if (j < n && pat[j] === ']') j++
      while (j < n && pat[j] !== ']') j++
      if (j >= n) { re += '\\['; continue }
      const body = pythonClass(pat, i, j)
      i = j + 1
      if (body.length === 0) re += '(?!)'
      else if (body.length === 1 && body[0] === '!') re += '.'
      else {
        const negate = body[0] === '!'
        const ranges = classRanges(negate ? body.slice(1) : body)
        re += `[${negate ? '^' : ''}${ranges.map(([lo, hi]) => lo === hi ? lit(String.fromCodePoint(lo)) : `${lit(String.fromCodePoint(lo))}-${lit(String.fromCodePoint(hi))}`).join('')}]`
      }
    } else {
      re += lit(c)
    }
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'isu' : 'su')
}
