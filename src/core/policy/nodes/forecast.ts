/**
 * Demand forecast over a node group's cold-start lead time: will the model need more replicas before a node asked
 * for now could serve them? Per signal, the same per-replica arithmetic the pod layer uses for an AverageValue
 * target (replicas = ⌈Σ pod values ÷ target⌉), applied to each pod's value projected forward:
 *
 * - trend: least squares over the last 30 minutes of each pod's series (robust to noise, and per pod so scrape
 *   timestamps need not align); a series shorter than 15 minutes (a pod that just started) counts at its level;
 * - daily seasonality, when the series holds ≥ 24 h: add what the same pod did yesterday between now and now+lead.
 *
 * Missing telemetry never forecasts growth: a signal without samples gives no forecast, and a model without any
 * forecast gets no predictive capacity (it still gets reactive capacity). Latency quantiles are skipped: they do
 * not scale linearly with replicas, so a projection of them says nothing about how many replicas are needed.
 */
import type {ModelConfig, SignalConfig} from '../../model/config.js'
import type {PodState, Series} from '../../model/snapshot.js'
import {seriesForPod, type TelemetryIndex} from '../../signals/telemetry-index.js'
import {fitTrend} from '../../signals/window.js'

export const TREND_WINDOW_SECONDS = 30 * 60
/**
 * A series must span this much of the trend window before its slope is projected. A pod that started minutes ago
 * ramps from zero as the router moves load onto it: that ramp is load shifting, not demand growing, and a line
 * fitted to two minutes of it and stretched over a cold start once asked for five times the nodes. Such a series
 * counts at its current level, with no trend.
 */
export const MIN_TREND_SPAN_SECONDS = TREND_WINDOW_SECONDS / 2
export const SEASON_SECONDS = 24 * 3600

export interface SignalForecast {
  signal: string
  metric: string
  target: number
  /** Σ over pods of the fitted value now. */
  now: number
  /** Σ over pods of the projected value at now + lead. */
  projected: number
  /** Change per minute of the sum (the trend). */
  slopePerMinute: number
  replicasNow: number
  replicas: number
  pods: number
  method: 'trend' | 'trend+seasonal'
}

export interface DemandForecast {
  model: string
  leadSeconds: number
  /** The largest per-signal forecast, capped at the model's max; null when no signal could be forecast. */
  replicas: number | null
  decidedBy: string | null
  signals: SignalForecast[]
}

/** Value of the sample nearest to `t` within half a step-ish tolerance (5 min), else undefined. */
function sampleNear(samples: ReadonlyArray<readonly [number, number]>, t: number): number | undefined {
  let lo = 0
  let hi = samples.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((samples[mid] as readonly [number, number])[0] < t) lo = mid + 1
    else hi = mid
  }
  let best: readonly [number, number] | undefined
  for (const i of [lo - 1, lo]) {
    const s = samples[i]
    if (s && (!best || Math.abs(s[0] - t) < Math.abs(best[0] - t))) best = s
  }
  return best && Math.abs(best[0] - t) <= 300 ? best[1] : undefined
}

function forecastSeries(
  series: Series,
  now: number,
  lead: number,
): {now: number; projected: number; slope: number; seasonal: boolean} | undefined {
  const samples = series.samples
  // Samples ascend in time (the loader checks): the window [now - 30 min, now] is one contiguous run.
  let end = samples.length
  while (end > 0 && (samples[end - 1] as [number, number])[0] > now) end--
  let start = end
  while (start > 0 && (samples[start - 1] as [number, number])[0] > now - TREND_WINDOW_SECONDS) start--
  const recent = samples.slice(start, end)
  const last = recent[recent.length - 1]
  if (last && (recent[0] as [number, number])[0] > now - MIN_TREND_SPAN_SECONDS)
    return {now: last[1], projected: Math.max(0, last[1]), slope: 0, seasonal: false}
  const trend = fitTrend(recent, now)
  if (!trend) return undefined
  let projected = trend.value + trend.slope * lead
  let seasonal = false
  const first = samples[0]
  if (first && now - first[0] >= SEASON_SECONDS) {
    const then = sampleNear(samples, now - SEASON_SECONDS)
    const later = sampleNear(samples, now + lead - SEASON_SECONDS)
    if (then !== undefined && later !== undefined) {
      // Yesterday's change over the same lead, on top of today's level: a trend alone misses the morning ramp.
      projected = trend.value + Math.max(trend.slope * lead, later - then)
      seasonal = true
    }
  }
  return {now: trend.value, projected: Math.max(0, projected), slope: trend.slope, seasonal}
}

function forecastSignal(
  signal: SignalConfig,
  pods: readonly PodState[],
  telemetry: TelemetryIndex,
  now: number,
  lead: number,
): SignalForecast | undefined {
  if (signal.targetType !== 'AverageValue' || signal.quantile !== undefined || signal.target <= 0) return undefined
  let sumNow = 0
  let sumProjected = 0
  let slope = 0
  let counted = 0
  let seasonal = false
  for (const pod of pods) {
    const series = seriesForPod(telemetry, signal.metric, pod.namespace, pod.name)
    let podNow = 0
    let podProjected = 0
    let podSlope = 0
    let n = 0
    for (const s of series) {
      const f = forecastSeries(s, now, lead)
      if (!f) continue
      podNow += f.now
      podProjected += f.projected
      podSlope += f.slope
      seasonal ||= f.seasonal
      n++
    }
    if (n === 0) continue
    // A pod on several GPUs has one series per GPU: its value is their mean, as for one GPU.
    sumNow += podNow / n
    sumProjected += podProjected / n
    slope += podSlope / n
    counted++
  }
  if (counted === 0) return undefined
  return {
    signal: signal.name,
    metric: signal.metric,
    target: signal.target,
    now: round(sumNow),
    projected: round(sumProjected),
    slopePerMinute: round(slope * 60),
    replicasNow: Math.ceil(sumNow / signal.target - 1e-9),
    replicas: Math.ceil(sumProjected / signal.target - 1e-9),
    pods: counted,
    method: seasonal ? 'trend+seasonal' : 'trend',
  }
}

/**
 * Forecast of the replicas the model needs at now + `leadSeconds`, from its serving pods' telemetry. Pods with no
 * samples contribute nothing (their load shows in the others'), which under-forecasts rather than over-forecasts.
 */
export function forecastDemand(
  model: ModelConfig,
  pods: readonly PodState[],
  telemetry: TelemetryIndex,
  now: number,
  leadSeconds: number,
): DemandForecast {
  const serving = pods.filter((p) => p.phase === 'Running' && !p.deleting)
  const signals: SignalForecast[] = []
  for (const signal of model.signals) {
    const f = forecastSignal(signal, serving, telemetry, now, leadSeconds)
    if (f) signals.push(f)
  }
  let best: SignalForecast | undefined
  for (const s of signals) if (!best || s.replicas > best.replicas) best = s
  return {
    model: model.name,
    leadSeconds: Math.round(leadSeconds),
    replicas: best ? Math.min(model.replicas.max, Math.max(model.replicas.min, best.replicas)) : null,
    decidedBy: best?.signal ?? null,
    signals,
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
