/**
 * The one gate every telemetry sample passes before a signal reads it, for snapshots today and live Prometheus
 * readings later. A real exporter sends NaN (DCGM before the first profiling interval), ±Inf (a rate over a
 * counter reset), negative values (a wrapped counter, a bad recording rule), utilization above 100 % and samples
 * from a node whose clock runs ahead. None of those is a measurement, and none is the user's fault, so none is an
 * error: each such sample is dropped and counted per series, and the series carries the count (`Series.dropped`)
 * so that:
 *   - the plan shows a diagnostic naming the series and how many samples were dropped and why;
 *   - a signal whose window held a dropped sample treats that pod as stale: scale up on the other pods and signals,
 *     never scale down on it (the missing-telemetry policy, README "How each layer decides").
 *
 * Pure: samples, capture time and an optional scrape interval in; new series out. Series with nothing dropped are
 * returned as they were (no copy: a 2,000-node snapshot has hundreds of thousands of samples).
 */
import type {Diagnostic} from '../model/plan.js'
import type {DroppedSamples, Series} from '../model/snapshot.js'
import {DCGM} from './metric-names.js'

/** The range of values a metric can physically take. */
export interface SampleBounds {
  min: number
  max: number
  /** For messages: `0–100 %`, `0–1`, `≥ 0`. */
  describe: string
}

const PERCENT: SampleBounds = {min: 0, max: 100, describe: '0–100 %'}
const RATIO: SampleBounds = {min: 0, max: 1, describe: '0–1'}
const NON_NEGATIVE: SampleBounds = {min: 0, max: Infinity, describe: '≥ 0'}
const ANY: SampleBounds = {min: -Infinity, max: Infinity, describe: 'any finite number'}

/**
 * Bounds by metric name. DCGM `*_UTIL` fields are percent; DCGM profiling `*_ACTIVE`/`*_OCCUPANCY` fields and vLLM's
 * `*_perc` (a fraction despite its name) are ratios; queue depths, request counts, bytes, memory and histogram
 * counters cannot be negative. Anything else keeps any finite value: a custom metric may be a signed quantity.
 */
export function boundsOfMetric(metric: string): SampleBounds {
  if (metric === DCGM.gpuUtil || /^DCGM_FI_DEV_\w*_UTIL$/.test(metric)) return PERCENT
  if (/^DCGM_FI_PROF_\w*(ACTIVE|OCCUPANCY)$/.test(metric) || /_perc$|_ratio$/.test(metric)) return RATIO
  if (/^DCGM_FI_/.test(metric)) return NON_NEGATIVE
  if (
    /_(bucket|count|sum|total|bytes|seconds|size)$|num_requests|pending_request|queue|_waiting$|_running$/.test(metric)
  )
    return NON_NEGATIVE
  return ANY
}

/**
 * How far past capturedAt a sample may be stamped before it is dropped: one scrape interval, estimated per series
 * as the median spacing of its samples (a clock a little ahead is normal); 60 s, Prometheus' default scrape
 * interval, when a series has too few samples to tell.
 */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 60

export interface SanitizedTelemetry {
  series: Series[]
  /** Indices into `series` of the series that lost samples (each has `dropped` set). */
  affected: number[]
}

export function sanitizeTelemetry(
  series: readonly Series[],
  capturedAt: number,
  options: {scrapeIntervalSeconds?: number} = {},
): SanitizedTelemetry {
  const out: Series[] = []
  const affected: number[] = []
  // One bounds lookup per metric name, not per series: a fleet has many series and few metrics.
  const boundsByMetric = new Map<string, SampleBounds>()
  series.forEach((s, index) => {
    let bounds = boundsByMetric.get(s.metric)
    if (bounds === undefined) boundsByMetric.set(s.metric, (bounds = boundsOfMetric(s.metric)))
    const cleaned = sanitizeSeries(s, capturedAt, options.scrapeIntervalSeconds, bounds)
    if (cleaned.dropped) affected.push(index)
    out.push(cleaned)
  })
  return {series: out, affected}
}

/** One series through the gate; the same object back when every sample is possible. */
export function sanitizeSeries(
  series: Series,
  capturedAt: number,
  scrapeIntervalSeconds?: number,
  bounds: SampleBounds = boundsOfMetric(series.metric),
): Series {
  // The scrape interval is estimated only when a sample is stamped after capturedAt: the estimate is positive, so
  // a sample at or before capturedAt is never "future", and most series never need it.
  let latest = scrapeIntervalSeconds === undefined ? undefined : capturedAt + scrapeIntervalSeconds
  if (allPossible(series.samples, capturedAt, latest, bounds)) return series
  const dropped: DroppedSamples = {nonFinite: 0, negative: 0, outOfRange: 0, future: 0, newestAt: -Infinity}
  let kept: Array<[number, number]> | undefined
  // A plain loop: this runs over every sample of a fleet (a million in the 2,000-node benchmark).
  for (let i = 0; i < series.samples.length; i++) {
    const sample = series.samples[i] as [number, number]
    const t = sample[0]
    const v = sample[1]
    const why =
      !Number.isFinite(t) || !Number.isFinite(v)
        ? 'nonFinite'
        : (latest !== undefined || t > capturedAt) &&
            t > (latest ??= capturedAt + estimateScrapeInterval(series.samples))
          ? 'future'
          : v < bounds.min
            ? bounds.min === 0
              ? 'negative'
              : 'outOfRange'
            : v > bounds.max
              ? 'outOfRange'
              : undefined
    if (why === undefined) {
      kept?.push(sample)
      continue
    }
    kept ??= series.samples.slice(0, i)
    dropped[why] += 1
    dropped.newestAt = Math.max(dropped.newestAt, Number.isFinite(t) ? t : capturedAt)
  }
  return kept === undefined ? series : {...series, samples: kept, dropped}
}

/**
 * Whether the loop below would keep every sample: each finite, stamped at or before capturedAt (and before the
 * given scrape-interval limit), within bounds. The common case (every plan of the closed loop sanitizes a clean
 * snapshot), answered by one tight pass with no estimate, no counters and no copy.
 */
function allPossible(
  samples: ReadonlyArray<readonly [number, number]>,
  capturedAt: number,
  latest: number | undefined,
  bounds: SampleBounds,
): boolean {
  const limit = latest === undefined ? capturedAt : Math.min(capturedAt, latest)
  const {min, max} = bounds
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i] as readonly [number, number]
    const t = sample[0]
    const v = sample[1]
    // `x - x === 0` only for finite x (NaN and ±Infinity give NaN).
    if (!(t - t === 0 && v - v === 0 && t <= limit && v >= min && v <= max)) return false
  }
  return true
}

function estimateScrapeInterval(samples: ReadonlyArray<readonly [number, number]>): number {
  const gaps: number[] = []
  for (let i = 1; i < samples.length && gaps.length < 64; i++) {
    const gap = (samples[i] as [number, number])[0] - (samples[i - 1] as [number, number])[0]
    if (Number.isFinite(gap) && gap > 0) gaps.push(gap)
  }
  if (gaps.length === 0) return DEFAULT_SCRAPE_INTERVAL_SECONDS
  gaps.sort((a, b) => a - b)
  return gaps[Math.floor(gaps.length / 2)] as number
}

export function countDropped(dropped: DroppedSamples): number {
  return dropped.nonFinite + dropped.negative + dropped.outOfRange + dropped.future
}

/** `DCGM_FI_DEV_GPU_UTIL{gpu="0",pod="llama-0"}`: the series as PromQL would name it, labels in name order. */
export function formatSeriesName(series: Series): string {
  const labels = Object.keys(series.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(series.labels[k])}`)
  return labels.length === 0 ? series.metric : `${series.metric}{${labels.join(',')}}`
}

/** One warning per series that lost samples, for the plan's (and analyze's) diagnostics. */
export function describeDroppedSamples(series: readonly Series[]): Diagnostic[] {
  const diagnostics: Diagnostic[] = []
  for (const s of series) {
    if (!s.dropped) continue
    const d = s.dropped
    const bounds = boundsOfMetric(s.metric)
    const parts = [
      d.nonFinite > 0 ? `${d.nonFinite} NaN or infinite` : '',
      d.negative > 0 ? `${d.negative} negative` : '',
      d.outOfRange > 0 ? `${d.outOfRange} outside ${bounds.describe}` : '',
      d.future > 0 ? `${d.future} stamped more than one scrape interval after capturedAt` : '',
    ].filter((p) => p !== '')
    const total = countDropped(d)
    diagnostics.push({
      severity: 'warning',
      code: 'ImpossibleSamplesDropped',
      message: `dropped ${total} impossible sample${total === 1 ? '' : 's'} of ${formatSeriesName(s)} (${parts.join(', ')}); signals read from it never scale down while a dropped sample is in their window`,
      evidence: {
        metric: s.metric,
        series: formatSeriesName(s),
        dropped: total,
        nonFinite: d.nonFinite,
        negative: d.negative,
        outOfRange: d.outOfRange,
        future: d.future,
        kept: s.samples.length,
      },
    })
  }
  return diagnostics
}
