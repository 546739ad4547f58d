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
