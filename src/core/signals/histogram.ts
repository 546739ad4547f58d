/**
 * `histogram_quantile` as Prometheus computes it (promql/quantile.go `bucketQuantile`): buckets sorted by `le`,
 * cumulative counts forced monotonic, linear interpolation inside the bucket holding the rank, the lower bound of
 * the first bucket taken as 0, and a rank in the +Inf bucket answered with the highest finite bound.
 * https://github.com/prometheus/prometheus/blob/main/promql/quantile.go
 */

export interface Bucket {
  le: number
  count: number
}

/** Returns NaN when there are no observations or no +Inf bucket (Prometheus returns NaN too). */
export function computeHistogramQuantile(q: number, input: readonly Bucket[]): number {
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const buckets = [...input].sort((a, b) => a.le - b.le)
  if (buckets.length < 2) return Number.NaN
  const last = buckets[buckets.length - 1] as Bucket
  if (last.le !== Infinity) return Number.NaN
  // Force monotonic cumulative counts: float precision and scrape skew can make them dip.
  for (let i = 1; i < buckets.length; i++) {
    const prev = buckets[i - 1] as Bucket
    const cur = buckets[i] as Bucket
    if (cur.count < prev.count) buckets[i] = {le: cur.le, count: prev.count}
  }
  const observations = (buckets[buckets.length - 1] as Bucket).count
  if (!(observations > 0)) return Number.NaN
  const rank = q * observations
  let index = buckets.findIndex((b) => b.count >= rank)
  if (index < 0) index = buckets.length - 1
  if (index === buckets.length - 1) return (buckets[buckets.length - 2] as Bucket).le
  const bucket = buckets[index] as Bucket
  if (index === 0 && bucket.le <= 0) return bucket.le
  let start = 0
  let countBefore = 0
  if (index > 0) {
    start = (buckets[index - 1] as Bucket).le
    countBefore = (buckets[index - 1] as Bucket).count
  }
  const inBucket = bucket.count - countBefore
  if (inBucket <= 0) return bucket.le
  return start + (bucket.le - start) * ((rank - countBefore) / inBucket)
}

/** Parses a Prometheus `le` label (`"0.5"`, `"+Inf"`). */
export function parseLe(le: string | undefined): number | undefined {
  if (le === undefined) return undefined
  if (le === '+Inf' || le === 'Inf') return Infinity
  const n = Number(le)
  return Number.isFinite(n) ? n : undefined
}

/**
 * Rates (or counts) summed by `le`, as `sum by (le)` does: one entry per distinct bound, in the order first seen.
 * Two flat arrays instead of a Map keyed by doubles: the planner sums every pod's latency buckets on every tick,
 * and a pod's buckets come in the same order each time, so the next bound is almost always the next entry.
 */
export class BucketSums {
  readonly les: number[] = []
  readonly sums: number[] = []
  private next = 0

  add(le: number, value: number): void {
    let i = this.next
    if (!(i < this.les.length && this.les[i] === le)) {
      i = this.les.indexOf(le)
      if (i < 0) {
        i = this.les.length
        this.les.push(le)
        this.sums.push(0)
      }
    }
    this.sums[i] = (this.sums[i] as number) + value
    this.next = i + 1
  }

  /** Adds every entry of `other`, in its order. */
  addAll(other: BucketSums): void {
    this.next = 0
    for (let i = 0; i < other.les.length; i++) this.add(other.les[i] as number, other.sums[i] as number)
  }

  get size(): number {
    return this.les.length
  }
}

/**
 * `computeHistogramQuantile(q, buckets)` for buckets with distinct bounds given as a BucketSums: the same steps on
 * scratch arrays (no bucket objects, no sorted copy when the bounds already ascend), so the same result to the
 * bit. Distinct bounds mean any sort gives the one order.
 */
export function computeHistogramQuantileOfSums(q: number, buckets: BucketSums): number {
  if (q < 0) return -Infinity
  if (q > 1) return Infinity
  const n = buckets.size
  if (n < 2) return Number.NaN
  const les = buckets.les.slice()
  const counts = buckets.sums.slice()
  let sorted = true
  for (let i = 1; i < n && sorted; i++) if ((les[i - 1] as number) > (les[i] as number)) sorted = false
  if (!sorted) sortTogether(les, counts)
  if (les[n - 1] !== Infinity) return Number.NaN
  // Force monotonic cumulative counts, as computeHistogramQuantile does.
  for (let i = 1; i < n; i++) if ((counts[i] as number) < (counts[i - 1] as number)) counts[i] = counts[i - 1] as number
  const observations = counts[n - 1] as number
  if (!(observations > 0)) return Number.NaN
  const rank = q * observations
  let index = 0
  while (index < n && !((counts[index] as number) >= rank)) index++
  if (index === n) index = n - 1
  if (index === n - 1) return les[n - 2] as number
  const le = les[index] as number
  if (index === 0 && le <= 0) return le
  let start = 0
  let countBefore = 0
  if (index > 0) {
    start = les[index - 1] as number
    countBefore = counts[index - 1] as number
  }
  const inBucket = (counts[index] as number) - countBefore
  if (inBucket <= 0) return le
  return start + (le - start) * ((rank - countBefore) / inBucket)
}

/** Insertion sort of `les` ascending, moving `counts` along (a histogram has a few dozen buckets). */
function sortTogether(les: number[], counts: number[]): void {
  for (let i = 1; i < les.length; i++) {
    const le = les[i] as number
    const count = counts[i] as number
    let j = i - 1
    while (j >= 0 && (les[j] as number) > le) {
      les[j + 1] = les[j] as number
      counts[j + 1] = counts[j] as number
      j--
    }
    les[j + 1] = le
    counts[j + 1] = count
  }
}
