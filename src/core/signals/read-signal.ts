/**
 * Reads one configured signal from the snapshot's telemetry: per pod (pod and gpu sources) or for the whole
 * workload (workload source), smoothed over the signal's window, with staleness and gaps reported rather than
 * guessed. Histogram signals (`*_bucket`) become a quantile of the bucket rates over the window, summed by `le`
 * across pods, exactly as `histogram_quantile(q, sum by (le) (rate(m_bucket[w])))` would.
 *
 * Validation follows KEDA's Prometheus scaler: NaN and infinite samples are dropped, never read as zero. Samples
 * the input boundary dropped as impossible (./sanitize.ts) make their series read as stale while they are within
 * the window: the pod then counts as zero load on the way up and blocks the way down, as missing data does.
 */
import type {SignalConfig} from '../model/config.js'
import type {Series} from '../model/snapshot.js'
import {BucketSums, computeHistogramQuantileOfSums, parseLe} from './histogram.js'
import {isHistogramMetric, isLevelMetric, METRIC_FALLBACKS} from './metric-names.js'
import {type TelemetryIndex, seriesForPod, seriesForWorkload} from './telemetry-index.js'
import {aggregateSamples, aggregateWindow, computeCounterRateInWindow, type Sample, selectWindow} from './window.js'

export interface ReadContext {
  telemetry: TelemetryIndex
  namespace: string
  /** Names a workload-level series may carry: the workload's name first, then the model's. */
  workloadNames: readonly string[]
  /** Pods whose samples count (ready, serving); pods still loading are not read. */
  podNames: readonly string[]
  now: number
  staleAfterSeconds: number
  /**
   * Replicas serving at time t (from the scale-event history). When given, amount signals (queue depth, running
   * requests) are read as the workload's load over the window: the per-pod mean at each timestamp × the replicas
   * then, aggregated over the window. Summing each pod's own window average instead over-counts pods that just
   * arrived during a burst and under-counts load carried by pods since removed, which makes a periodic batch flap.
   */
  replicasAt?: (t: number) => number
  /**
   * Readings already made for this model: the recommender and the bottleneck evidence read the same metrics over
   * the same window. Used only while `telemetry` and `podNames` are the very objects it was made for.
   */
  memo?: ReadingMemo
}

export interface ReadingMemo {
  telemetry: TelemetryIndex
  podNames: readonly string[]
  readings: Map<string, SignalReading>
  /** Values read by readSignalValue (bottleneck evidence), where no full reading was made. */
  values?: Map<string, number | null>
}

/**
 * `idle`: a latency histogram whose series are fresh but in whose window no request finished. There is no latency
 * to read, and none is missing either: the signal abstains (proposes nothing, holds nothing) and the other signals
 * decide. Only histograms are ever idle; a gauge with no samples is missing.
 */
export type ReadingStatus = 'ok' | 'missing' | 'stale' | 'idle'

export interface SignalReading {
  status: ReadingStatus
  /** Mean per pod (pod and gpu sources), the workload total (workload source), or the quantile (histograms). */
  value: number | null
  /** Sum over pods with data (pod and gpu sources); equals `value` otherwise. */
  total: number | null
  perPod: Record<string, number>
  podsWithData: string[]
  podsMissing: string[]
  podsStale: string[]
  lastSampleAt: number | null
  /** The metric actually read (a fallback may replace the configured one). */
  metricRead: string
  notes: string[]
}

interface SeriesRead {
  value: number | null
  status: ReadingStatus
  lastAt: number | null
  /** Histograms: the bucket rates summed by `le`, so the pods' total needs no second pass over the samples. */
  byLe?: BucketSums
}

/** Reads `signal` for the pods and workload in `ctx`. */
export function readSignal(signal: SignalConfig, ctx: ReadContext): SignalReading {
  const memo =
    ctx.memo && ctx.memo.telemetry === ctx.telemetry && ctx.memo.podNames === ctx.podNames ? ctx.memo : undefined
  const key = memo ? readingKey(signal, ctx) : ''
  const cached = memo?.readings.get(key)
  if (cached) return cached
  const resolved = resolveHistogram(signal, ctx.telemetry)
  const reading = resolved.source === 'workload' ? readWorkloadSignal(resolved, ctx) : readPodSignal(resolved, ctx)
  memo?.readings.set(key, reading)
  return reading
}

/**
 * `readSignal(signal, ctx).value`, without the per-pod breakdown nobody reads: the bottleneck evidence needs only
 * the value of a dozen metrics per model on every tick. A full reading of the same key already made is reused; a
 * value read here is remembered for the next value read, never handed out as a full reading.
 */
export function readSignalValue(signal: SignalConfig, ctx: ReadContext): number | null {
  const memo =
    ctx.memo && ctx.memo.telemetry === ctx.telemetry && ctx.memo.podNames === ctx.podNames ? ctx.memo : undefined
  const key = memo ? readingKey(signal, ctx) : ''
  if (memo) {
    const cached = memo.readings.get(key)
    if (cached) return cached.value
    const value = memo.values?.get(key)
    if (value !== undefined) return value
  }
  const resolved = resolveHistogram(signal, ctx.telemetry)
  const value = resolved.source === 'workload' ? readWorkloadSignal(resolved, ctx).value : readPodValue(resolved, ctx)
  if (memo) (memo.values ??= new Map()).set(key, value)
  return value
}

/** What makes two readings the same (the signal's name does not: two signals may read one metric alike). */
function readingKey(signal: SignalConfig, ctx: ReadContext): string {
  const mode = ctx.replicasAt ? 'load' : 'mean'
  // A frozen signal (the bottleneck evidence's, read a dozen times per model and tick) cannot change: its key is
  // built once.
  const frozen = Object.isFrozen(signal)
  const known = frozen ? frozenKeys.get(signal)?.[mode] : undefined
  if (known !== undefined) return known
  const key = `${signal.metric}|${signal.source}|${signal.windowSeconds}|${signal.aggregation}|${signal.quantile ?? ''}|${signal.targetType}|${mode}`
  if (frozen) {
    const keys = frozenKeys.get(signal) ?? {}
    keys[mode] = key
    frozenKeys.set(signal, keys)
  }
  return key
}
const frozenKeys = new WeakMap<SignalConfig, {load?: string; mean?: string}>()

/**
 * A latency signal may name the histogram (`vllm:e2e_request_latency_seconds`) with a `quantile`; it is read from
 * its `_bucket` series when they exist. Otherwise series carrying a `quantile` label (a summary, or a quantile
 * recorded by a recording rule) are read as gauges.
 */
function resolveHistogram(signal: SignalConfig, telemetry: TelemetryIndex): SignalConfig {
  if (signal.quantile === undefined || isHistogramMetric(signal.metric)) return signal
  const bucket = `${signal.metric}_bucket`
  return telemetry.byMetric.has(bucket) ? {...signal, metric: bucket} : signal
}

function readPodSignal(signal: SignalConfig, ctx: ReadContext): SignalReading {
  const histogram = isHistogramMetric(signal.metric)
  const perPod: Record<string, number> = {}
  const podsWithData: string[] = []
  const podsMissing: string[] = []
  const podsStale: string[] = []
  const podsIdle: string[] = []
  const notes: string[] = []
  let lastAt: number | null = null
  let metricRead = signal.metric
  // Histograms: every pod's bucket rates summed by `le`, in pod order (what reading all their buckets at once sums).
  const totalByLe = new BucketSums()

  // A metric (and its fallback) absent from the whole snapshot is missing for every pod: say so without a
  // per-pod lookup, which on a large fleet is most of the cost of reading evidence nobody exports.
  const fallbackMetric = METRIC_FALLBACKS[signal.metric]?.metric
  if (!ctx.telemetry.byMetric.has(signal.metric) && !(fallbackMetric && ctx.telemetry.byMetric.has(fallbackMetric))) {
    return {
      status: 'missing',
      value: null,
      total: null,
      perPod,
      podsWithData,
      podsMissing: [...ctx.podNames],
      podsStale,
      lastSampleAt: null,
      metricRead,
      notes,
    }
  }

  for (const pod of ctx.podNames) {
    let series = seriesForPod(ctx.telemetry, signal.metric, ctx.namespace, pod)
    let scale = 1
    const fallback = METRIC_FALLBACKS[signal.metric]
    if (series.length === 0 && fallback) {
      const alt = seriesForPod(ctx.telemetry, fallback.metric, ctx.namespace, pod)
      if (alt.length > 0) {
        series = alt
        scale = fallback.scale
        metricRead = fallback.metric
        if (!notes.includes(fallback.why)) notes.push(fallback.why)
      }
    }
    if (series.length === 0) {
      podsMissing.push(pod)
      continue
    }
    const read = histogram ? readHistogram(series, signal, ctx) : readLevelOrAmount(series, signal, ctx)
    if (read.lastAt !== null) lastAt = Math.max(lastAt ?? -Infinity, read.lastAt)
    if (read.status === 'stale') podsStale.push(pod)
    else if (read.status === 'idle') podsIdle.push(pod)
    else if (read.status === 'missing' || read.value === null) podsMissing.push(pod)
    else {
      perPod[pod] = read.value * scale
      podsWithData.push(pod)
      if (histogram && read.byLe) totalByLe.addAll(read.byLe)
    }
  }

  let value: number | null = null
  let total: number | null = null
  if (podsWithData.length > 0) {
    if (histogram) {
      value = quantileOf(totalByLe, signal)
      total = value
    } else if (ctx.replicasAt && !isLevelMetric(signal.metric)) {
      total = readWorkloadLoad(signal, ctx, podsWithData, ctx.replicasAt)
      value = total === null ? null : total / podsWithData.length
    } else {
      total = podsWithData.reduce((a, p) => a + (perPod[p] as number), 0)
      value = total / podsWithData.length
    }
  }
  const status: ReadingStatus =
    value !== null
      ? 'ok'
      : podsStale.length > 0
        ? 'stale'
        : podsIdle.length > 0 && podsMissing.length === 0
          ? 'idle'
          : 'missing'
  return {status, value, total, perPod, podsWithData, podsMissing, podsStale, lastSampleAt: lastAt, metricRead, notes}
}

/**
 * `readPodSignal(signal, ctx).value` by the same steps: the same pods count (fresh, not stale, not idle), their
 * values are summed in the same order, histograms sum the same bucket rates; only the per-pod record is not kept.
 */
function readPodValue(signal: SignalConfig, ctx: ReadContext): number | null {
  const histogram = isHistogramMetric(signal.metric)
  const fallback = METRIC_FALLBACKS[signal.metric]
  if (!ctx.telemetry.byMetric.has(signal.metric) && !(fallback && ctx.telemetry.byMetric.has(fallback.metric)))
    return null
  const withData: string[] = []
  let sum = 0
  const totalByLe = new BucketSums()
  for (const pod of ctx.podNames) {
    let series = seriesForPod(ctx.telemetry, signal.metric, ctx.namespace, pod)
    let scale = 1
    if (series.length === 0 && fallback) {
      const alt = seriesForPod(ctx.telemetry, fallback.metric, ctx.namespace, pod)
      if (alt.length > 0) {
        series = alt
        scale = fallback.scale
      }
    }
    if (series.length === 0) continue
    const read = histogram ? readHistogram(series, signal, ctx) : readLevelOrAmount(series, signal, ctx)
    if (read.status === 'stale' || read.status === 'idle' || read.status === 'missing' || read.value === null) continue
    withData.push(pod)
    sum += read.value * scale
    if (histogram && read.byLe) totalByLe.addAll(read.byLe)
  }
  if (withData.length === 0) return null
  if (histogram) return quantileOf(totalByLe, signal)
  if (ctx.replicasAt && !isLevelMetric(signal.metric)) {
    const total = readWorkloadLoad(signal, ctx, withData, ctx.replicasAt)
    return total === null ? null : total / withData.length
  }
  return sum / withData.length
}

function readWorkloadSignal(signal: SignalConfig, ctx: ReadContext): SignalReading {
  const series = seriesForWorkload(ctx.telemetry, signal.metric, ctx.namespace, ctx.workloadNames)
  const base = {perPod: {}, podsWithData: [], podsMissing: [], podsStale: [], metricRead: signal.metric, notes: []}
  if (series.length === 0) return {...base, status: 'missing', value: null, total: null, lastSampleAt: null}
  const read = isHistogramMetric(signal.metric)
    ? readHistogram(series, signal, ctx)
    : readLevelOrAmount(series, signal, ctx, 'sum')
  const status: ReadingStatus = read.status === 'ok' && read.value === null ? 'missing' : read.status
  return {
    ...base,
    status,
    value: status === 'ok' ? read.value : null,
    total: status === 'ok' ? read.value : null,
    lastSampleAt: read.lastAt,
  }
}

/**
 * One pod's (or the workload's) series reduced to one value: each series aggregated over the window, then averaged
 * (levels such as utilization, across a pod's GPUs) or summed (amounts such as queued requests, across engines).
 */
function readLevelOrAmount(
  series: readonly Series[],
  signal: SignalConfig,
  ctx: ReadContext,
  combine?: 'sum' | 'mean',
): SeriesRead {
  const how = combine ?? (isLevelMetric(signal.metric) ? 'mean' : 'sum')
  const values: number[] = []
  let lastAt: number | null = null
  let anyFresh = false
  const wanted = signal.quantile === undefined ? undefined : String(signal.quantile)
  for (const s of series) {
    if (s.labels.quantile !== undefined && wanted !== undefined && s.labels.quantile !== wanted) continue
    const last = lastFiniteAt(s.samples)
    if (last !== null) lastAt = Math.max(lastAt ?? -Infinity, last)
    if (hasDroppedInWindow(s, signal, ctx)) return {value: null, status: 'stale', lastAt}
    if (last === null || last < ctx.now - ctx.staleAfterSeconds) continue
    anyFresh = true
    const v = aggregateWindow(
      s.samples,
      ctx.now - signal.windowSeconds,
      ctx.now,
      signal.aggregation,
      signal.windowSeconds,
    )
    if (v !== null) values.push(v)
  }
  if (!anyFresh) return {value: null, status: lastAt === null ? 'missing' : 'stale', lastAt}
  if (values.length === 0) return {value: null, status: 'missing', lastAt}
  const sum = values.reduce((a, b) => a + b, 0)
  return {value: how === 'sum' ? sum : sum / values.length, status: 'ok', lastAt}
}

/** Bucket counters → per-second rates over the window → summed by `le` → quantile. */
function readHistogram(series: readonly Series[], signal: SignalConfig, ctx: ReadContext): SeriesRead {
  const byLe = new BucketSums()
  let lastAt: number | null = null
  let anyFresh = false
  for (const s of series) {
    const le = leOf(ctx.telemetry, s.labels.le)
    if (le === undefined) continue
    const last = lastFiniteAt(s.samples)
    if (last !== null) lastAt = Math.max(lastAt ?? -Infinity, last)
    if (hasDroppedInWindow(s, signal, ctx)) return {value: null, status: 'stale', lastAt}
    if (last === null || last < ctx.now - ctx.staleAfterSeconds) continue
    anyFresh = true
    const rate = computeCounterRateInWindow(s.samples, ctx.now - signal.windowSeconds, ctx.now)
    if (rate === null) continue
    byLe.add(le, rate)
  }
  if (!anyFresh) return {value: null, status: lastAt === null ? 'missing' : 'stale', lastAt}
  const q = quantileOf(byLe, signal)
  // No request finished in the window: no latency to speak of (idle: neither zero nor missing).
  return q !== null ? {value: q, status: 'ok', lastAt, byLe} : {value: null, status: 'idle', lastAt}
}

/** The signal's quantile of bucket rates summed by `le`; null when no request finished in the window. */
function quantileOf(byLe: BucketSums, signal: SignalConfig): number | null {
  const q = computeHistogramQuantileOfSums(signal.quantile ?? 0.95, byLe)
  return Number.isFinite(q) ? q : null
}

/** `parseLe`, remembered per label text for this snapshot: its histograms share a few dozen bucket bounds. */
function leOf(index: TelemetryIndex, label: string | undefined): number | undefined {
  if (label === undefined) return undefined
  const cache = index.leByLabel
  const known = cache.get(label)
  if (known !== undefined || cache.has(label)) return known
  const le = parseLe(label)
  cache.set(label, le)
  return le
}

/** A sample dropped as impossible (./sanitize.ts) within the window: what is left of the window is not trusted. */
function hasDroppedInWindow(series: Series, signal: SignalConfig, ctx: ReadContext): boolean {
  return series.dropped !== undefined && series.dropped.newestAt > ctx.now - signal.windowSeconds
}

function lastFiniteAt(samples: readonly Sample[]): number | null {
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i] as Sample
    if (Number.isFinite(s[1])) return s[0]
  }
  return null
}

/**
 * The workload's load over the window: per timestamp, the mean over reporting pods × replicas serving then.
 * Timestamps go to slots of flat arrays (no per-timestamp or per-pod objects): this runs for every model's queue
 * signal and queue evidence on every tick. A pod's value at t is the sum of its series' samples at t, added in
 * series order; a pod with one strictly ascending series has one sample per t, read without a per-pod map.
 */
function readWorkloadLoad(
  signal: SignalConfig,
  ctx: ReadContext,
  pods: readonly string[],
  replicasAt: (t: number) => number,
): number | null {
  const from = ctx.now - signal.windowSeconds
  const to = ctx.now
  const slotOf = new Map<number, number>()
  const times: number[] = []
  const sums: number[] = []
  const counts: number[] = []
  const add = (t: number, v: number) => {
    let slot = slotOf.get(t)
    if (slot === undefined) {
      slot = times.length
      slotOf.set(t, slot)
      times.push(t)
      sums.push(0)
      counts.push(0)
    }
    sums[slot] = (sums[slot] as number) + v
    counts[slot] = (counts[slot] as number) + 1
  }
  for (const pod of pods) {
    const series = seriesForPod(ctx.telemetry, signal.metric, ctx.namespace, pod)
    const only = series.length === 1 ? (series[0] as Series).samples : undefined
    const window = only && selectWindow(only, from, to)
    if (window && isStrictlyAscending(window)) {
      for (const [t, v] of window) add(t, v)
      continue
    }
    const perPodAt = new Map<number, number>()
    for (const s of series) {
      for (const [t, v] of selectWindow(s.samples, from, to)) perPodAt.set(t, (perPodAt.get(t) ?? 0) + v)
    }
    for (const [t, v] of perPodAt) add(t, v)
  }
  // Scaled so that at `now` the load is the sum over reporting pods (a serving pod without samples counts zero).
  const nowReplicas = Math.max(replicasAt(ctx.now), 1)
  const order = times.map((_, i) => i)
  if (!isAscending(times)) order.sort((a, b) => (times[a] as number) - (times[b] as number))
  const samples: Sample[] = order.map((i) => {
    const t = times[i] as number
    return [t, ((sums[i] as number) / (counts[i] as number)) * (Math.max(replicasAt(t), 1) / nowReplicas) * pods.length]
  })
  return aggregateSamples(samples, signal.aggregation, signal.windowSeconds)
}

/** Whether the samples' timestamps strictly ascend (each instant once). */
function isStrictlyAscending(samples: readonly Sample[]): boolean {
  for (let i = 1; i < samples.length; i++)
    if (!((samples[i] as Sample)[0] > (samples[i - 1] as Sample)[0])) return false
  return true
}

function isAscending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if ((values[i] as number) < (values[i - 1] as number)) return false
  return true
}
