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
import {firstAtOrAfter} from '../signals/window.js'

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
 * A series a caller holds on to, so recording a sample is one push (a fleet-day is millions, a 14-day fluid replay
 * some fifty million). Samples are kept in one typed array (time and value side by side, compacted in place as the
 * retention moves on: one memory stream per series, which is what a scrape of thousands of series waits on), so
 * recording allocates nothing; a `[t, value]` pair is built only when a window first reads that sample, and kept,
 * so later windows share it (the closed loop takes a 30-minute window every 30 s: building every pair afresh each
 * tick copied each sample some sixty times, and building one per recorded sample made the garbage collector the
 * replay's largest cost, since most samples are never read).
 */
export interface StoredSeries {
  key: string
  metric: string
  labels: Readonly<Record<string, string>>
  /** Sample i is (data[2i], data[2i + 1]) = (time, value), for i < length. */
  data: Float64Array
  length: number
  /**
   * Samples before `head` are gone; those from `head` older than the store's last trim cutoff are gone too, and
   * `head` catches up with them lazily (see TelemetryStore.trim).
   */
  head: number
  /** Pairs built for samples a window read: `pairs[i]` is sample `pairsFrom + i` (a contiguous run). */
  pairs: Array<[number, number]>
  pairsFrom: number
  /** Downsampled long history (metrics the store was told to keep long), oldest first; see LongHistory. */
  long: LongSeries | undefined
  /** The newest sample's time (−Infinity before the first): read without touching the columns. */
  newest: number
  /**
   * What the last window read, so the next one starts from there (windows move forward: a loop reads one every
   * tick) and mostly without touching the columns, which for thousands of series is what a window waits on:
   * `select` and its answer for this metric; the window's start `hintFrom`, the first sample at or after it,
   * `hintIndex` (samples ascend, so every sample before it is older than `hintFrom`, or gone), that sample's time
   * `hintTime` (+Infinity while there is none: push sets it) and the time of the sample before it, `prevTime`
   * (−Infinity when there is none); the last run of pairs handed out (`lastLo`, `lastEnd`, `lastPairs`), handed
   * out again when a window covers the same samples. Compaction and trims forget the hint (hintFrom = +Infinity).
   */
  selectedBy: WindowSelect | undefined
  lookback: number | undefined
  hintFrom: number
  hintIndex: number
  hintTime: number
  prevTime: number
  lastLo: number
  lastEnd: number
  lastPairs: Array<[number, number]>
  /** The series last handed out with `lastPairs` and no long history before them, handed out again with them. */
  lastSeries: Series | undefined
}

const INITIAL_CAPACITY = 16

/** The series' first sample at or after the cutoff: `head` brought up to date. */
function liveHead(s: StoredSeries, cutoff: number): number {
  if (s.head < s.length && (s.data[2 * s.head] as number) < cutoff)
    s.head = firstTimeAtOrAfter(s.data, s.head, s.length, cutoff)
  return s.head
}

/** Room for one more sample: drop the samples before `head` when they are at least half the buffer, else grow. */
function makeRoom(s: StoredSeries, cutoff: number): void {
  const shift = liveHead(s, cutoff)
  if (shift > 0 && shift * 2 >= s.length) {
    s.data.copyWithin(0, 2 * shift, 2 * s.length)
    s.length -= shift
    s.head = 0
    s.hintFrom = Infinity
    s.lastEnd = -1
    if (s.pairsFrom >= shift) {
      s.pairsFrom -= shift
    } else {
      const drop = shift - s.pairsFrom
      s.pairs = drop >= s.pairs.length ? [] : s.pairs.slice(drop)
      s.pairsFrom = 0
    }
    return
  }
  const data = new Float64Array(Math.max(2 * INITIAL_CAPACITY, s.data.length * 2))
  data.set(s.data.subarray(0, 2 * s.length))
  s.data = data
}

/** Samples [lo, end) as pairs, built once per sample and shared by every window that reads it. */
function pairsOf(s: StoredSeries, lo: number, end: number): Array<[number, number]> {
  if (end <= lo) return []
  if (lo < s.pairsFrom || lo > s.pairsFrom + s.pairs.length) {
    s.pairs = []
    s.pairsFrom = lo
  }
  const pairs = s.pairs
  for (let i = s.pairsFrom + pairs.length; i < end; i++)
    pairs.push([s.data[2 * i] as number, s.data[2 * i + 1] as number])
  return pairs.slice(lo - s.pairsFrom, end - s.pairsFrom)
}

/**
 * A downsampled long history for some metrics: one sample per bucket (its mean, stamped at the bucket's middle),
 * kept far longer than the raw retention. The planner's daily forecast compares with the same time yesterday; a
 * raw day of every series per tick would cost more than the planner, while 5-minute means of the few forecast
 * metrics over 8 days cost a few thousand samples per series.
 */
export interface LongHistory {
  /** Which metrics keep one. */
  keep: (metric: string) => boolean
  bucketSeconds: number
  retentionSeconds: number
}

interface LongSeries {
  samples: Array<[number, number]>
  head: number
  bucketStart: number
  sum: number
  n: number
}

/** Adds a sample to its bucket; a sample past the bucket closes it into one (mean, bucket middle) sample. */
function addToLong(long: LongSeries, bucketSeconds: number, t: number, value: number): void {
  if (t >= long.bucketStart + bucketSeconds) {
    if (long.n > 0) long.samples.push([long.bucketStart + bucketSeconds / 2, long.sum / long.n])
    long.bucketStart = Math.floor(t / bucketSeconds) * bucketSeconds
    long.sum = 0
    long.n = 0
  }
  if (!Number.isFinite(value)) return
  long.sum += value
  long.n++
}

function trimLong(long: LongSeries, cutoff: number): void {
  while (long.head < long.samples.length && (long.samples[long.head] as [number, number])[0] < cutoff) long.head++
  if (long.head > 1024 && long.head * 2 > long.samples.length) {
    long.samples = long.samples.slice(long.head)
    long.head = 0
  }
}

/** Closed buckets with from ≤ t < to. */
function selectLong(long: LongSeries, from: number, to: number): Array<[number, number]> {
  const lo = firstAtOrAfter(long.samples, from, long.head)
  const hi = firstAtOrAfter(long.samples, to, lo)
  return hi > lo ? long.samples.slice(lo, hi) : []
}

/**
 * Which series a window carries, by metric: how far back (seconds before `to`) its samples are kept, or undefined
 * to leave the metric out. A series whose newest sample is older than its lookback keeps that one sample.
 */
export type WindowSelect = (metric: string) => number | undefined

/** The first index in [start, end) whose time is > t (end when none is). */
function firstTimeAfter(data: Float64Array, start: number, end: number, t: number): number {
  let lo = start
  let hi = end
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((data[2 * mid] as number) <= t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** `select`'s answer for the series' metric, asked once per series and selection (the same function every tick). */
function lookbackOf(s: StoredSeries, select: WindowSelect): number | undefined {
  if (s.selectedBy !== select) {
    s.selectedBy = select
    s.lookback = select(s.metric)
  }
  return s.lookback
}

/**
 * The first index in [start, end) whose time is ≥ from (end when none is), for a start near the answer: a few
 * steps forward (a window that moved by one tick is one or two samples on), then a binary search.
 */
function firstTimeAtOrAfterFrom(data: Float64Array, start: number, end: number, from: number): number {
  let i = start
  for (let steps = 0; steps < 4; steps++, i++) if (i >= end || (data[2 * i] as number) >= from) return i
  return firstTimeAtOrAfter(data, i, end, from)
}

/** The first index in [start, end) whose time is ≥ from (end when none is). */
function firstTimeAtOrAfter(data: Float64Array, start: number, end: number, from: number): number {
  let lo = start
  let hi = end
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((data[2 * mid] as number) < from) lo = mid + 1
    else hi = mid
  }
  return lo
}

export class TelemetryStore {
  private series = new Map<string, StoredSeries>()
  /** The last trim's cutoff: samples older than it are out of every read (each series' head catches up lazily). */
  private cutoff = -Infinity
  /**
   * The series `selectedFor` carries, in the map's order, kept as series come and go: a loop's windows all use one
   * selection, which leaves out most series (a fleet records thousands the planner never reads), and visiting each
   * of them every tick was a good part of a window. `selectedStale`: a trim dropped series, filter before use.
   */
  private selectedFor: WindowSelect | undefined
  private selected: StoredSeries[] = []
  private selectedStale = false

  constructor(
    private readonly retentionSeconds: number,
    private readonly longHistory?: LongHistory,
  ) {}

  /** The series `key` (metric + labels), created on first use. Re-fetch after trim(): empty series are dropped. */
  handle(key: string, metric: string, labels: Record<string, string>): StoredSeries {
    let s = this.series.get(key)
    if (!s) {
      // Frozen: every snapshot hands out this one object, so nobody may change it.
      s = {
        key,
        metric,
        labels: Object.freeze({...labels}),
        data: new Float64Array(2 * INITIAL_CAPACITY),
        length: 0,
        head: 0,
        pairs: [],
        pairsFrom: 0,
        // Always present (undefined when not kept), so every series has one shape and push stays monomorphic.
        long: this.longHistory?.keep(metric) ? {samples: [], head: 0, bucketStart: -Infinity, sum: 0, n: 0} : undefined,
        selectedBy: undefined,
        lookback: undefined,
        newest: -Infinity,
        hintFrom: Infinity,
        hintIndex: 0,
        hintTime: Infinity,
        prevTime: -Infinity,
        lastLo: -1,
        lastEnd: -1,
        lastPairs: [],
        lastSeries: undefined,
      }
      this.add(s)
    }
    return s
  }

  /** A series new to the map: it goes last, in the map and in the selected list when the selection carries it. */
  private add(s: StoredSeries): void {
    this.series.set(s.key, s)
    if (this.selectedFor && lookbackOf(s, this.selectedFor) !== undefined) this.selected.push(s)
  }

  /** Appends a sample to the series `key`. */
  record(key: string, metric: string, labels: Record<string, string>, t: number, value: number): void {
    this.push(this.handle(key, metric, labels), t, value)
  }

  /** Appends a sample to a held series, re-adding it if a trim dropped it meanwhile. */
  push(s: StoredSeries, t: number, value: number): void {
    if (s.length === s.head && this.series.get(s.key) !== s) this.readd(s)
    if (2 * s.length === s.data.length) makeRoom(s, this.cutoff)
    s.data[2 * s.length] = t
    s.data[2 * s.length + 1] = value
    if (s.hintIndex === s.length) s.hintTime = t
    s.newest = t
    s.length++
    if (s.long && this.longHistory) addToLong(s.long, this.longHistory.bucketSeconds, t, value)
  }

  /** A held series a trim dropped, back in the map (last; in place of a newer one of its key, which is dropped). */
  private readd(s: StoredSeries): void {
    if (this.series.has(s.key)) {
      // The map keeps the key's place: the selected list is rebuilt in its order on the next window.
      this.series.set(s.key, s)
      this.selectedFor = undefined
    } else {
      this.add(s)
    }
  }

  /** The series `select` carries, in the map's order (see `selected`). */
  private selectedSeries(select: WindowSelect): StoredSeries[] {
    if (this.selectedFor !== select) {
      this.selected = []
      for (const s of this.series.values()) if (lookbackOf(s, select) !== undefined) this.selected.push(s)
      this.selectedFor = select
      this.selectedStale = false
    } else if (this.selectedStale) {
      this.selected = this.selected.filter((s) => this.series.get(s.key) === s)
      this.selectedStale = false
    }
    return this.selected
  }

  /**
   * Drops samples older than the retention window, and series with none left. A series keeps its samples in time
   * order, so it has none left exactly when its newest is older than the cutoff: that check is all a trim does per
   * series (a fleet has thousands); each series skips its own expired samples when it is next read or compacted.
   */
  trim(now: number): void {
    const cutoff = Math.max(this.cutoff, now - this.retentionSeconds)
    this.cutoff = cutoff
    const longCutoff = now - (this.longHistory?.retentionSeconds ?? 0)
    for (const s of this.series.values()) {
      if (s.long) trimLong(s.long, longCutoff)
      if (s.head === s.length || s.newest < cutoff) {
        s.head = s.length
        s.pairs = []
        s.pairsFrom = s.length
        s.hintFrom = Infinity
        this.series.delete(s.key)
        this.selectedStale = true
      }
    }
  }

  /**
   * Every series with its samples in [from, to], as a snapshot carries them. The sample pairs, labels and sample
   * arrays are the store's own (shared, never copied; nothing that reads a snapshot writes into it): a series whose
   * window covers the same samples as the last one hands out the same array, and the same Series object.
   */
  window(from: number, to: number, select?: WindowSelect, long?: {from: number; to: number}): Series[] {
    const out: Series[] = []
    for (const s of select ? this.selectedSeries(select) : this.series.values()) {
      const data = s.data
      const length = s.length
      let seriesFrom = from
      if (select) {
        const lookback = lookbackOf(s, select)
        if (lookback === undefined) continue
        seriesFrom = Math.max(from, to - lookback)
      }
      // Samples ascend in time: the window starts at the first one ≥ seriesFrom (the series' own start when
      // `select` shortens it, else `from`), `shortLo`. The newest sample stays even when it is older than the short
      // window: it is what says "stale" (its age), as the full window would; older ones are never read. So when no
      // sample is in [seriesFrom, to], the window starts one earlier if that sample is at or after `from`.
      let shortLo: number
      if (seriesFrom >= s.hintFrom && this.cutoff <= from) {
        // From the last window's start, mostly without reading the columns. Every sample gone (before `head`) is
        // older than the cutoff, so older than `from`: `head` need not be brought up to date.
        if (s.hintTime < seriesFrom) {
          if (s.newest < seriesFrom) {
            s.hintIndex = length
            s.hintTime = Infinity
            s.prevTime = s.newest
          } else {
            const i = firstTimeAtOrAfterFrom(data, s.hintIndex + 1, length, seriesFrom)
            s.hintIndex = i
            s.hintTime = i < length ? (data[2 * i] as number) : Infinity
            s.prevTime = data[2 * i - 2] as number
          }
        }
        shortLo = s.hintIndex
      } else {
        const head = liveHead(s, this.cutoff)
        const start = seriesFrom >= s.hintFrom ? Math.max(s.hintIndex, head) : head
        shortLo = firstTimeAtOrAfterFrom(data, start, length, seriesFrom)
        s.hintIndex = shortLo
        s.hintTime = shortLo < length ? (data[2 * shortLo] as number) : Infinity
        // A sample before `head` is gone: −Infinity says there is none before the window.
        s.prevTime = shortLo > head ? (data[2 * shortLo - 2] as number) : -Infinity
      }
      s.hintFrom = seriesFrom
      const lo = !(s.hintTime <= to) && s.prevTime >= from ? shortLo - 1 : shortLo
      const end = s.newest > to ? firstTimeAfter(data, lo, length, to) : length
      let recent: Array<[number, number]>
      if (lo === s.lastLo && end === s.lastEnd) {
        recent = s.lastPairs
      } else {
        recent = pairsOf(s, lo, end)
        s.lastLo = lo
        s.lastEnd = end
        s.lastPairs = recent
        s.lastSeries = undefined
      }
      // The long history's buckets in `long`'s range, older than every raw sample carried (order stays ascending).
      const before = s.long && long ? selectLong(s.long, long.from, Math.min(long.to, recent[0]?.[0] ?? to)) : []
      if (before.length > 0) {
        out.push({metric: s.metric, labels: s.labels as Record<string, string>, samples: [...before, ...recent]})
      } else if (recent.length > 0) {
        // A series that went quiet (a pod gone) carries the same samples tick after tick: the same object too.
        s.lastSeries ??= {metric: s.metric, labels: s.labels as Record<string, string>, samples: recent}
        out.push(s.lastSeries)
      }
    }
    return out
  }

  /** Each series' latest sample (series with none left are skipped). */
  latest(): Array<{metric: string; labels: Record<string, string>; t: number; value: number}> {
    const out: Array<{metric: string; labels: Record<string, string>; t: number; value: number}> = []
    for (const s of this.series.values()) {
      if (s.length > s.head)
        out.push({
          metric: s.metric,
          labels: s.labels as Record<string, string>,
          t: s.data[2 * s.length - 2] as number,
          value: s.data[2 * s.length - 1] as number,
        })
    }
    return out
  }

  get seriesCount(): number {
    return this.series.size
  }
}
