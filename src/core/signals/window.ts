/**
 * Windowed smoothing of raw samples: the 3-minute averages, EWMAs and percentiles that keep a scaling decision from
 * chasing a spike. Pure functions over `[epochSeconds, value]` samples.
 */
import type {Aggregation} from '../model/config.js'

export type Sample = [number, number]

/**
 * Samples with `from < t <= to`, NaN and infinities dropped (a scrape gap is not a zero). Samples ascend in time
 * (the snapshot loader rejects any that do not), so the window is found by binary search: a day of history per
 * series costs a few comparisons, not a scan.
 */
export function selectWindow(samples: readonly Sample[], from: number, to: number): Sample[] {
  const out: Sample[] = []
  for (let i = firstAfter(samples, from); i < samples.length; i++) {
    const sample = samples[i] as Sample
    if (sample[0] > to) break
    if (Number.isFinite(sample[1])) out.push(sample)
  }
  return out
}

/** Index of the first sample with `t > from` (samples ascend in time), `samples.length` when none is. */
function firstAfter(samples: readonly Sample[], from: number): number {
  let lo = 0
  let hi = samples.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((samples[mid] as Sample)[0] <= from) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * Index of the first sample at or after `start` with `t ≥ at` (samples ascend in time), `samples.length` when none
 * is: the one binary search the forecast and the twin's long history use on time-ordered pairs.
 */
export function firstAtOrAfter(samples: ReadonlyArray<readonly [number, number]>, at: number, start = 0): number {
  let lo = start
  let hi = samples.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((samples[mid] as readonly [number, number])[0] < at) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * `aggregateSamples(selectWindow(samples, from, to), aggregation, windowSeconds)` without building the window: the
 * planner reduces a window per pod, signal and piece of bottleneck evidence on every tick, and for the common
 * reductions (avg, max, last) reading the samples in place saves most of that time's allocations.
 */
export function aggregateWindow(
  samples: readonly Sample[],
  from: number,
  to: number,
  aggregation: Aggregation,
  windowSeconds: number,
): number | null {
  if (aggregation !== 'avg' && aggregation !== 'max' && aggregation !== 'last')
    return aggregateSamples(selectWindow(samples, from, to), aggregation, windowSeconds)
  let n = 0
  let sum = 0
  let max = -Infinity
  let last = 0
  for (let i = firstAfter(samples, from); i < samples.length; i++) {
    const sample = samples[i] as Sample
    if (sample[0] > to) break
    const v = sample[1]
    if (!Number.isFinite(v)) continue
    n++
    sum += v
    max = Math.max(max, v)
    last = v
  }
  if (n === 0) return null
  return aggregation === 'avg' ? sum / n : aggregation === 'max' ? max : last
}

/** `computeCounterRate(selectWindow(samples, from, to))` without building the window. */
export function computeCounterRateInWindow(samples: readonly Sample[], from: number, to: number): number | null {
  let n = 0
  let increase = 0
  let prev = 0
  let firstT = 0
  let lastT = 0
  for (let i = firstAfter(samples, from); i < samples.length; i++) {
    const sample = samples[i] as Sample
    const t = sample[0]
    if (t > to) break
    const cur = sample[1]
    if (!Number.isFinite(cur)) continue
    if (n === 0) firstT = t
    else increase += cur >= prev ? cur - prev : cur
    prev = cur
    lastT = t
    n++
  }
  if (n < 2) return null
  const span = lastT - firstT
  return span > 0 ? increase / span : null
}

/**
 * Reduces a window of samples to one value. `ewma` weights by time with a time constant of a third of the window,
 * so the oldest sample in the window still counts about 5 %; percentiles use nearest-rank. Empty → null.
 */
export function aggregateSamples(
  samples: readonly Sample[],
  aggregation: Aggregation,
  windowSeconds: number,
): number | null {
  if (samples.length === 0) return null
  // The common reductions read the samples in place: this runs for every pod and signal of every plan.
  switch (aggregation) {
    case 'avg': {
      let sum = 0
      for (const sample of samples) sum += sample[1]
      return sum / samples.length
    }
    case 'max': {
      let max = -Infinity
      for (const sample of samples) max = Math.max(max, sample[1])
      return max
    }
    case 'last':
      return (samples[samples.length - 1] as Sample)[1]
    case 'ewma':
      return computeEwma(samples, Math.max(windowSeconds / 3, 1))
  }
  const values = samples.map(([, v]) => v)
  switch (aggregation) {
    case 'p50':
      return computePercentile(values, 0.5)
    case 'p90':
      return computePercentile(values, 0.9)
    case 'p95':
      return computePercentile(values, 0.95)
    case 'p99':
      return computePercentile(values, 0.99)
  }
}

export function computeEwma(samples: readonly Sample[], tauSeconds: number): number {
  let value = (samples[0] as Sample)[1]
  let prevT = (samples[0] as Sample)[0]
  for (let i = 1; i < samples.length; i++) {
    const [t, v] = samples[i] as Sample
    const alpha = 1 - Math.exp(-Math.max(t - prevT, 0) / tauSeconds)
    value += alpha * (v - value)
    prevT = t
  }
  return value
}

/** Nearest-rank percentile (q in 0..1). */
export function computePercentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] as number
}

/** Least-squares slope in units per second; null with fewer than two distinct timestamps. */
/**
 * Least-squares line through the samples: its value at `at` and its slope per second. Undefined with fewer than
 * two samples or all at one instant (no line to fit). Used for queue growth and for the node layer's forecast.
 */
export function fitTrend(
  samples: ReadonlyArray<readonly [number, number]>,
  at: number,
): {value: number; slope: number} | undefined {
  const n = samples.length
  if (n < 2) return undefined
  // Indexed loops, no destructuring: the forecast fits one line per pod series on every tick.
  let sx = 0
  let sy = 0
  for (let i = 0; i < n; i++) {
    const sample = samples[i] as readonly [number, number]
    sx += sample[0]
    sy += sample[1]
  }
  const mx = sx / n
  const my = sy / n
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    const sample = samples[i] as readonly [number, number]
    const dt = sample[0] - mx
    sxx += dt * dt
    sxy += dt * (sample[1] - my)
  }
  if (sxx === 0) return undefined
  const slope = sxy / sxx
  return {value: my + slope * (at - mx), slope}
}

/** Least-squares slope per second; null when no line can be fitted. */
export function computeSlope(samples: readonly Sample[]): number | null {
  return fitTrend(samples, 0)?.slope ?? null
}

/**
 * Per-second rate of a counter over its samples, with counter resets handled as Prometheus does (a drop means the
 * counter restarted from zero). Not extrapolated to the window edges: quantiles only use bucket ratios.
 */
export function computeCounterRate(samples: readonly Sample[]): number | null {
  if (samples.length < 2) return null
  let increase = 0
  for (let i = 1; i < samples.length; i++) {
    const prev = (samples[i - 1] as Sample)[1]
    const cur = (samples[i] as Sample)[1]
    increase += cur >= prev ? cur - prev : cur
  }
  const span = (samples[samples.length - 1] as Sample)[0] - (samples[0] as Sample)[0]
  return span > 0 ? increase / span : null
}
