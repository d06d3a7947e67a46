/** The name nearest to a mistyped one, by edit distance, when one is near enough: for "did you mean". */
export function nearest (name: string, candidates: readonly string[]): string | undefined {
  let best: { name: string, distance: number } | undefined
  for (const c of candidates) {
    const d = editDistance(name, c)
    if (best === undefined || d < best.distance) best = { name: c, distance: d }
  }
  return best !== undefined && (best.distance <= Math.max(2, Math.floor(name.length / 3)) || best.name.startsWith(name)) ? best.name : undefined
}

function editDistance (a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)))
    row = next
  }
  return row[b.length]!
}
