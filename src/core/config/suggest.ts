/** "Did you mean …?" for misspelled field names, enum values and GPU models. */

/** The closest candidate within a small edit distance (case-insensitive), or undefined when none is close. */
export function suggestName(input: string, candidates: readonly string[]): string | undefined {
  // No name gpu-scale knows is this long; a hostile 10,000-character key would cost seconds of edit distances.
  if (input.length > 256) return undefined
  const needle = input.toLowerCase()
  // About one typo per four characters, at least one: close enough to be a slip, far enough to avoid nonsense.
  const limit = Math.max(1, Math.floor(needle.length / 4))
  let best: {name: string; distance: number} | undefined
  for (const candidate of candidates) {
    // The distance is at least the difference in length: skip candidates that cannot be close enough.
    if (Math.abs(candidate.length - needle.length) > limit) continue
    const distance = measureEditDistance(needle, candidate.toLowerCase())
    if (distance <= limit && (!best || distance < best.distance)) best = {name: candidate, distance}
  }
  return best?.name
}

/** Levenshtein distance with adjacent transpositions counted as one edit (`tagret` → `target`). */
export function measureEditDistance(a: string, b: string): number {
  const rows = a.length + 1
  const cols = b.length + 1
  const d: number[][] = Array.from({length: rows}, (_, i) =>
    Array.from({length: cols}, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, at(i - 2, j - 2) + 1)
      const row = d[i]
      if (row) row[j] = value
    }
  }
  return at(a.length, b.length)
}
