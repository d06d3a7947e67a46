/**
 * Python's fnmatch (3.11+), which pkg5's search uses for glob terms:
 * * ? [seq] [!seq], everything else literal. Bracket expressions follow
 * Python exactly, including its odd corners: a class with no closing
 * bracket is a literal '[', a ']' first in a class is a member, a
 * reversed range ([z-a]) is removed (an emptied class matches nothing),
 * and [!] of nothing matches any character.
 *
 * Matching never backtracks beyond the last '*' (the classic glob
 * algorithm): a pattern of p atoms costs at most O(p × n) on a subject
 * of n characters, whatever it holds. Python guards its RegExp with
 * atomic groups for the same reason; a JavaScript RegExp of '.*' has no
 * such guard, and '*?*?*?*?*?!' once took seconds per token.
 */

const cp = (c: string): number => c.codePointAt(0)!

/** One position of a pattern: '*', or a test of one character. */
type Atom =
  | { readonly kind: 'star' }
  | { readonly kind: 'any' }
  | { readonly kind: 'char', readonly code: number }
  | { readonly kind: 'class', readonly ranges: ReadonlyArray<readonly [number, number]>, readonly negate: boolean }

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

/** The pattern as atoms, runs of '*' folded into one (they mean the same). */
function atoms (pattern: string): Atom[] {
  const pat = Array.from(pattern)
  const n = pat.length
  const out: Atom[] = []
  let i = 0
  while (i < n) {
    const c = pat[i++]!
    if (c === '*') {
      if (out[out.length - 1]?.kind !== 'star') out.push({ kind: 'star' })
    } else if (c === '?') {
      out.push({ kind: 'any' })
    } else if (c === '[') {
      let j = i
      if (j < n && pat[j] === '!') j++
      if (j < n && pat[j] === ']') j++
      while (j < n && pat[j] !== ']') j++
      if (j >= n) { out.push({ kind: 'char', code: cp('[') }); continue }
      const body = pythonClass(pat, i, j)
      i = j + 1
      if (body.length === 1 && body[0] === '!') out.push({ kind: 'any' })
      else {
        const negate = body[0] === '!'
        // An empty class is a class of no member: it matches no character.
        out.push({ kind: 'class', ranges: classRanges(negate ? body.slice(1) : body), negate })
      }
    } else {
      out.push({ kind: 'char', code: cp(c) })
    }
  }
  return out
}

/** A character's one-character lower or upper case ('İ' lower-cases to two characters, and so keeps its own). */
const single = (code: number, mapped: string): number => mapped.length === 1 || (mapped.length === 2 && cp(mapped) > 0xffff) ? cp(mapped) : code
const lowerOf = (code: number): number => single(code, String.fromCodePoint(code).toLowerCase())
const upperOf = (code: number): number => single(code, String.fromCodePoint(code).toUpperCase())
const fold = (code: number): number => lowerOf(upperOf(code))

function inRanges (ranges: ReadonlyArray<readonly [number, number]>, code: number): boolean {
  for (const [lo, hi] of ranges) if (code >= lo && code <= hi) return true
  return false
}

/** A compiled glob: test() answers whether a whole string matches. */
export interface Glob {
  test: (subject: string) => boolean
}

export function compileGlob (pattern: string, caseInsensitive: boolean): Glob {
  const list = atoms(pattern)
  const matchOne = (a: Atom, code: number): boolean => {
    switch (a.kind) {
      case 'any': return true
      case 'char': return a.code === code || (caseInsensitive && fold(a.code) === fold(code))
      case 'class': {
        // Case-insensitively, a character is in a class when it, its lower case or its upper case is.
        const hit = inRanges(a.ranges, code) || (caseInsensitive && (inRanges(a.ranges, lowerOf(code)) || inRanges(a.ranges, upperOf(code))))
        return hit !== a.negate
      }
      case 'star': return false
    }
  }
  const p = list.length
  return {
    test (s: string): boolean {
      // px: the next atom; sx: the next UTF-16 index of the subject. On a mismatch, the last '*' takes one more
      // character and matching resumes after it: the single backtrack point that keeps this O(p × n).
      let px = 0
      let sx = 0
      let starPx = -1
      let starSx = 0
      const n = s.length
      while (px < p || sx < n) {
        if (px < p) {
          const a = list[px]!
          if (a.kind === 'star') { starPx = px; starSx = sx; px++; continue }
          if (sx < n) {
            const code = s.codePointAt(sx)!
            if (matchOne(a, code)) { px++; sx += code > 0xffff ? 2 : 1; continue }
          }
        }
        if (starPx >= 0 && starSx < n) {
          starSx += s.codePointAt(starSx)! > 0xffff ? 2 : 1
          px = starPx + 1
          sx = starSx
          continue
        }
        return false
      }
      return true
    }
  }
}
