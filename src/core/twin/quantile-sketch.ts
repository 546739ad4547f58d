/**
 * Latency percentiles in bounded memory. A run's percentiles are exact (nearest rank over every value) while
 * no model of the run has finished more than EXACT_PERCENTILE_REQUESTS requests; past that, every collection of
 * latencies of the run turns into a quantile sketch at once, so a run reports one kind of percentile throughout.
 *
 * The sketch is DDSketch's (Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
 * relative-error guarantees", VLDB 2019, §2): log-spaced buckets of ratio γ = (1 + α) ÷ (1 − α), a value v > 0
 * counted in bucket ⌈log_γ v⌉ and read back as 2γ^i ÷ (γ + 1). The value of the bucket that holds the rank asked
 * for is within α of every value in it, so a quantile is within α (relative) of the exact nearest-rank quantile.
 * Counts are exact integers, so a sketch is deterministic, does not depend on the order values came in, and
 * merges by adding counts. We keep the buckets dense between the lowest and highest used (latencies of one run
 * span a few decades: ~350 buckets a decade pair, a few KB), and clamp a read to the exact min and max seen, which
 * only moves it closer (a single value, or all values equal, read back exactly). Values at or below 1 ns count
 * as zero (a TPOT of a one-token answer is 0): for them the bound is 1 ns absolute.
 *
 * We wrote these ~150 lines rather than add @datadog/sketches-js (Apache-2.0, the reference TypeScript port): its
 * quantile rank and bucket stores are its own, and here the sketch must answer the exact path's question (the
 * ⌈q·n⌉-th smallest value), so that passing the limit changes a percentile's accuracy and nothing else; and we
 * need none of its serialization. t-digest was not a candidate: its error is on the rank, not on the value, and a
 * latency is read against an SLO in seconds.
 */
import type {Percentiles} from './summary.js'

/** Relative accuracy α of the sketch: a percentile read from it is within 1% of the exact one. */
export const SKETCH_RELATIVE_ACCURACY = 0.01

/** How the report labels percentiles read from the sketch. */
export const APPROX_PERCENTILES = 'approx ±1%' as const

/**
 * Requests per model up to which a run's percentiles are exact. Exact percentiles keep every latency: about
 * 32 bytes a request (TTFT and end to end for the summary, TTFT and TPOT per chart step), so 32 MB per model at
 * this limit, the most a replay holds for them. A million requests is a day of a model at 12 requests/s, more than
 * every replay a test, example or benchmark of ours runs at one model, so their results stay exactly as they were;
 * past it, 1% is well inside the latency model's own error against measured vLLM (src/core/twin/latency-model.ts).
 */
export const EXACT_PERCENTILE_REQUESTS = 1_000_000

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY)
const INV_LOG_GAMMA = 1 / Math.log(GAMMA)
/** At or below this a value counts as zero. */
const ZERO_BELOW = 1e-9

export class QuantileSketch {
  /** counts[k] is bucket offset + k. */
  private counts = new Float64Array(0)
  private offset = 0
  private zeros = 0
  private n = 0
  private lo = Infinity
  private hi = -Infinity

  get count(): number {
    return this.n
  }

  /** Buckets held (a few hundred for latencies of one run, whatever their count): what the sketch's memory is. */
  get buckets(): number {
    return this.counts.length
  }

  /** Adds a value (a latency in seconds: non-negative; NaN is ignored). */
  add(value: number, weight = 1): void {
    if (Number.isNaN(value) || !(weight > 0)) return
    this.n += weight
    if (value < this.lo) this.lo = value
    if (value > this.hi) this.hi = value
    if (value <= ZERO_BELOW) {
      this.zeros += weight
      return
    }
    const index = Math.ceil(Math.log(value) * INV_LOG_GAMMA)
    this.reserve(index, index)
    this.counts[index - this.offset]! += weight
  }

  /** Adds every count of another sketch (the sketch of both sets of values). */
  merge(other: QuantileSketch): void {
    if (other.n === 0) return
    this.n += other.n
    this.zeros += other.zeros
    this.lo = Math.min(this.lo, other.lo)
    this.hi = Math.max(this.hi, other.hi)
    if (other.counts.length === 0) return
    this.reserve(other.offset, other.offset + other.counts.length - 1)
    const shift = other.offset - this.offset
    for (let k = 0; k < other.counts.length; k++) this.counts[k + shift]! += other.counts[k] as number
  }

  /** The nearest-rank q-quantile (as `percentiles` computes it exactly), within α of it; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN
    // The same rank as the exact path: the ⌈q·n⌉-th smallest value.
    const rank = Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1))
    let seen = this.zeros
    if (rank < seen) return this.clamp(0)
    for (let k = 0; k < this.counts.length; k++) {
      seen += this.counts[k] as number
      if (rank < seen) return this.clamp((2 * GAMMA ** (k + this.offset)) / (GAMMA + 1))
    }
    return this.hi
  }

  percentiles(): Percentiles {
    return {p50: this.quantile(0.5), p95: this.quantile(0.95), p99: this.quantile(0.99)}
  }

  /** Every bucket as (its value, its count), lowest first: what a weighted reader of the values sees. */
  forEach(fn: (value: number, count: number) => void): void {
    if (this.zeros > 0) fn(this.clamp(0), this.zeros)
    for (let k = 0; k < this.counts.length; k++) {
      const c = this.counts[k] as number
      if (c > 0) fn(this.clamp((2 * GAMMA ** (k + this.offset)) / (GAMMA + 1)), c)
    }
  }

  private clamp(value: number): number {
    return Math.min(this.hi, Math.max(this.lo, value))
  }

  /** Makes buckets from..to addressable, with room to grow by half again on the side that grew. */
  private reserve(from: number, to: number): void {
    if (this.counts.length === 0) {
      this.offset = from - 16
      this.counts = new Float64Array(to - from + 33)
      return
    }
    const end = this.offset + this.counts.length
    if (from >= this.offset && to < end) return
    const margin = Math.max(16, (Math.max(to + 1, end) - Math.min(from, this.offset)) >> 1)
    const offset = from < this.offset ? from - margin : this.offset
    const next = new Float64Array((to >= end ? to + 1 + margin : end) - offset)
    next.set(this.counts, this.offset - offset)
    this.counts = next
    this.offset = offset
  }
}

/**
 * Which percentiles a run reports, shared by every LatencySamples of it: exact until a model passes `limit`
 * requests (its owner calls `count` once per request of the window), then a sketch for all of them.
 */
export class PercentileBudget {
  private approx = false
  private readonly counts = new Map<string, number>()
  private readonly members: LatencySamples[] = []

  constructor(readonly limit: number = EXACT_PERCENTILE_REQUESTS) {
    if (!(limit >= 0)) throw new RangeError(`the exact-percentile limit must be non-negative, got ${limit}`)
  }

  /** True once the run's percentiles come from sketches. */
  get approximate(): boolean {
    return this.approx
  }

  /** One more request of `model`; past the limit, every member turns into a sketch. */
  count(model: string): void {
    const n = (this.counts.get(model) ?? 0) + 1
    this.counts.set(model, n)
    if (n > this.limit && !this.approx) {
      this.approx = true
      for (const m of this.members) m.toSketch()
      this.members.length = 0
    }
  }

  /** New samples under this budget (a sketch already when the run has switched). */
  samples(): LatencySamples {
    const s = new LatencySamples()
    if (this.approx) s.toSketch()
    else this.members.push(s)
    return s
  }
}

/** Latencies of one collection: every value (exact percentiles) or, once its budget says so, a sketch of them. */
export class LatencySamples {
  private values: Float64Array | null = new Float64Array(8)
  private n = 0
  private sketch: QuantileSketch | null = null

  get length(): number {
    return this.sketch ? this.sketch.count : this.n
  }

  get approximate(): boolean {
    return this.sketch !== null
  }

  add(value: number): void {
    if (this.sketch) {
      this.sketch.add(value)
      return
    }
    let values = this.values as Float64Array
    if (this.n === values.length) {
      const grown = new Float64Array(values.length * 2)
      grown.set(values)
      this.values = values = grown
    }
    values[this.n++] = value
  }

  toSketch(): void {
    if (this.sketch) return
    const sketch = new QuantileSketch()
    const values = this.values as Float64Array
    for (let i = 0; i < this.n; i++) sketch.add(values[i] as number)
    this.sketch = sketch
    this.values = null
    this.n = 0
  }

  /** Every value with weight 1, or each sketch bucket with its count. */
  forEach(fn: (value: number, weight: number) => void): void {
    if (this.sketch) {
      this.sketch.forEach(fn)
      return
    }
    const values = this.values as Float64Array
    for (let i = 0; i < this.n; i++) fn(values[i] as number, 1)
  }

  percentiles(): Percentiles {
    return percentilesOf([this])
  }

  /** Copies the exact values into `into` at `at`; returns how many. */
  copyTo(into: Float64Array, at: number): number {
    into.set((this.values as Float64Array).subarray(0, this.n), at)
    return this.n
  }

  mergeInto(sketch: QuantileSketch): void {
    if (this.sketch) sketch.merge(this.sketch)
    else this.forEach((v) => sketch.add(v))
  }
}

/**
 * Nearest-rank p50/p95/p99 over the union of several collections: exact (sorted) when all of them are exact, the
 * merged sketch otherwise. NaN when there is no value.
 */
export function percentilesOf(parts: readonly LatencySamples[]): Percentiles {
  if (parts.some((p) => p.approximate)) {
    const sketch = new QuantileSketch()
    for (const p of parts) p.mergeInto(sketch)
    return sketch.percentiles()
  }
  let total = 0
  for (const p of parts) total += p.length
  if (total === 0) return {p50: NaN, p95: NaN, p99: NaN}
  const sorted = new Float64Array(total)
  let at = 0
  for (const p of parts) at += p.copyTo(sorted, at)
  return nearestRank(sorted.sort())
}

/** p50/p95/p99 of sorted values, nearest rank (the ⌈q·n⌉-th smallest). */
export function nearestRank(sorted: Float64Array): Percentiles {
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
  return {p50: at(0.5), p95: at(0.95), p99: at(0.99)}
}
