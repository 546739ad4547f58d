/**
 * "Did you mean …?" for a mistyped command: the known command closest by edit distance, counting a swap of two
 * neighbouring letters as one edit (`plna` → `plan`), and only when it is close enough to be a typo rather than a
 * different word (at most a third of the typed length, and at least one edit allowed).
 */
export function closestCommand(typed: string, commands: readonly string[]): string | undefined {
  let best: {id: string; distance: number} | undefined
  for (const id of commands) {
    const distance = editDistance(typed, id)
    if (best === undefined || distance < best.distance || (distance === best.distance && id < best.id))
      best = {id, distance}
  }
  if (best === undefined) return undefined
  return best.distance <= Math.max(1, Math.floor(typed.length / 3)) ? best.id : undefined
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({length: a.length + 1}, (_, i) =>
    Array.from({length: b.length + 1}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1)
      d[i]![j] = value
    }
  }
  return d[a.length]![b.length]!
}
