/**
 * The twin's telemetry: time series named and labelled as dcgm-exporter and vLLM export them, sampled every
 * scrape, kept for a retention window, and handed to snapshots as `Series` (src/core/model/snapshot.ts).
 *
 * Histogram buckets are vLLM's own (vllm/v1/metrics/loggers.py, PrometheusStatLogger):
 * - `vllm:time_to_first_token_seconds`: 0.001 … 2560;
 * - `vllm:inter_token_latency_seconds` (successor of `vllm:time_per_output_token_seconds`, same buckets): 0.01 … 80;
 * - `vllm:e2e_request_latency_seconds` (request_latency_buckets): 0.3 … 7680.
 * Buckets are cumulative counters with an `le` label and a `+Inf` bucket, plus `_sum` and `_count`.
 */
import type {Series} from '../model/snapshot.js'

export const TTFT_BUCKETS = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0,
  640.0, 2560.0,
] as const
export const ITL_BUCKETS = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0,
] as const
export const E2E_BUCKETS = [
  0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0,
  7680.0,
] as const

/** A Prometheus histogram: per-bucket (non-cumulative) counts, rendered cumulative. */
export class Histogram {
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe(value: number, times = 1): void {
    if (times <= 0) return
    const b = this.bounds
    let i = 0
    while (i < b.length && value > (b[i] as number)) i++
    this.counts[i] = (this.counts[i] as number) + times
    this.sum += value * times
    this.count += times
  }

  /**
   * Observes `n` values p, p+q, …, p+(n−1)q, each `times` times (the steps of a decode run, whose time grows by
   * one token of KV per sequence per step), in O(buckets) instead of O(n).
   */
  observeLinear(p: number, q: number, n: number, times: number): void {
    if (n <= 0 || times <= 0) return
    let placed = 0
    const b = this.bounds
    for (let i = 0; i < b.length && placed < n; i++) {
      const le = b[i] as number
      // Steps k with p + q·k ≤ le.
      let upTo = q > 0 ? Math.floor((le - p) / q) + 1 : le >= p ? n : 0
      upTo = Math.max(0, Math.min(n, upTo))
      if (upTo > placed) {
        this.counts[i] = (this.counts[i] as number) + (upTo - placed) * times
        placed = upTo
      }
    }
    if (placed < n) this.counts[b.length] = (this.counts[b.length] as number) + (n - placed) * times
    this.sum += (n * p + (q * n * (n - 1)) / 2) * times
    this.count += n * times
  }
}

/**
 * A series a caller holds on to, so recording a sample is one push (a fleet-day is millions). Each sample is its
 * `[t, value]` pair from the moment it is recorded, and a snapshot's window shares those pairs (and the frozen
 * labels) instead of building new ones: the closed loop takes a 30-minute window every 30 s, so building every
 * pair afresh each tick copied each sample some sixty times.
 */
export interface StoredSeries {
  key: string
  metric: string
  labels: Readonly<Record<string, string>>
  samples: Array<[number, number]>
  /** Index of the first sample still inside the retention window. */
  head: number
}

/**
 * Which series a window carries, by metric: how far back (seconds before `to`) its samples are kept, or undefined
 * to leave the metric out. A series whose newest sample is older than its lookback keeps that one sample.
 */
export type WindowSelect = (metric: string) => number | undefined

function firstAtOrAfter(samples: ReadonlyArray<[number, number]>, start: number, from: number): number {
  let lo = start
  let hi = samples.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((samples[mid] as [number, number])[0] < from) lo = mid + 1
    else hi = mid
  }
  return lo
}

export class TelemetryStore {
  private series = new Map<string, StoredSeries>()

  constructor(private readonly retentionSeconds: number) {}

  /** The series `key` (metric + labels), created on first use. Re-fetch after trim(): empty series are dropped. */
  handle(key: string, metric: string, labels: Record<string, string>): StoredSeries {
    let s = this.series.get(key)
    if (!s) {
      // Frozen: every snapshot hands out this one object, so nobody may change it.
      s = {key, metric, labels: Object.freeze({...labels}), samples: [], head: 0}
      this.series.set(key, s)
    }
    return s
  }

  /** Appends a sample to the series `key`. */
  record(key: string, metric: string, labels: Record<string, string>, t: number, value: number): void {
    this.handle(key, metric, labels).samples.push([t, value])
  }

  /** Appends a sample to a held series, re-adding it if a trim dropped it meanwhile. */
  push(s: StoredSeries, t: number, value: number): void {
    if (s.samples.length === s.head && this.series.get(s.key) !== s) this.series.set(s.key, s)
    s.samples.push([t, value])
  }

  /** Drops samples older than the retention window, and series with none left. */
  trim(now: number): void {
    const cutoff = now - this.retentionSeconds
    for (const [key, s] of this.series) {
      while (s.head < s.samples.length && (s.samples[s.head] as [number, number])[0] < cutoff) s.head++
      if (s.head === s.samples.length) {
        this.series.delete(key)
      } else if (s.head > 1024 && s.head * 2 > s.samples.length) {
        s.samples = s.samples.slice(s.head)
        s.head = 0
      }
    }
  }

  /**
   * Every series with its samples in [from, to], as a snapshot carries them. The sample pairs and labels are the
   * store's own (shared, never copied; nothing that reads a snapshot writes into it); each series' array is new.
   */
  window(from: number, to: number, select?: WindowSelect): Series[] {
    const out: Series[] = []
    for (const s of this.series.values()) {
      const samples = s.samples
      let seriesFrom = from
      if (select) {
        const lookback = select(s.metric)
        if (lookback === undefined) continue
        seriesFrom = Math.max(from, to - lookback)
      }
      // Samples are appended in time order: binary-search the first one ≥ from (≥ the series' own start when
      // `select` shortens it) and the first one > to.
      let lo = firstAtOrAfter(samples, s.head, from)
      if (seriesFrom > from) {
        const shortLo = firstAtOrAfter(samples, lo, seriesFrom)
        // The newest sample stays even when it is older than the short window: it is what says "stale" (its age),
        // as the full window would; older ones are never read.
        lo =
          shortLo < samples.length && (samples[shortLo] as [number, number])[0] <= to
            ? shortLo
            : Math.max(lo, shortLo - 1)
      }
      let end = samples.length
      if (end > lo && (samples[end - 1] as [number, number])[0] > to) {
        let a = lo
        let b = end
        while (a < b) {
          const mid = (a + b) >>> 1
          if ((samples[mid] as [number, number])[0] <= to) a = mid + 1
          else b = mid
        }
        end = a
      }
      if (end > lo)
        out.push({metric: s.metric, labels: s.labels as Record<string, string>, samples: samples.slice(lo, end)})
    }
    return out
  }

  /** Each series' latest sample (series with none left are skipped). */
  latest(): Array<{metric: string; labels: Record<string, string>; t: number; value: number}> {
    const out: Array<{metric: string; labels: Record<string, string>; t: number; value: number}> = []
    for (const s of this.series.values()) {
      const last = s.samples[s.samples.length - 1]
      if (s.samples.length > s.head && last)
        out.push({metric: s.metric, labels: s.labels as Record<string, string>, t: last[0], value: last[1]})
    }
    return out
  }

  get seriesCount(): number {
    return this.series.size
  }
}
