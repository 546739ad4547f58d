/**
 * Demand forecast over a node group's cold-start lead time: will the model need more replicas before a node asked
 * for now could serve them? Per signal, the same per-replica arithmetic the pod layer uses for an AverageValue
 * target (replicas = ⌈Σ pod values ÷ target⌉), applied to each pod's value projected forward:
 *
 * - trend: least squares over the last 30 minutes of each pod's series (robust to noise, and per pod so scrape
 *   timestamps need not align); a series shorter than 15 minutes (a pod that just started) counts at its level;
 * - daily seasonality, when the series holds ≥ 24 h: add how far the same pod rose yesterday from the start of
 *   today's trend window to its highest value up to now+lead, less what today's trend already rose over that window
 *   (so a rise that came some minutes earlier yesterday still counts, a peak inside the horizon counts even if it
 *   had passed by its end, and a rise today already made is not counted twice); the larger of that and the trend
 *   wins.
 *
 * Missing telemetry never forecasts growth: a signal without samples gives no forecast, and a model without any
 * forecast gets no predictive capacity (it still gets reactive capacity). Latency quantiles are skipped: they do
 * not scale linearly with replicas, so a projection of them says nothing about how many replicas are needed.
 */
import type {ModelConfig, SignalConfig} from '../../model/config.js'
import type {PodState, Series} from '../../model/snapshot.js'
import {seriesForPod, type TelemetryIndex} from '../../signals/telemetry-index.js'
import {firstAtOrAfter, fitTrend} from '../../signals/window.js'

export const TREND_WINDOW_SECONDS = 30 * 60
/**
 * A series must span this much of the trend window before its slope is projected. A pod that started minutes ago
 * ramps from zero as the router moves load onto it: that ramp is load shifting, not demand growing, and a line
 * fitted to two minutes of it and stretched over a cold start once asked for five times the nodes. Such a series
 * counts at its current level, with no trend.
 */
export const MIN_TREND_SPAN_SECONDS = TREND_WINDOW_SECONDS / 2
export const SEASON_SECONDS = 24 * 3600
/**
 * What the daily term reads of yesterday, as offsets before now: from a day before the start of the trend window
 * (with two samples of slack) to a day before now + the longest lead that gets a seasonal term (a longer lead falls
 * back to the trend, as with too short a history). The term takes the sample nearest each instant within 5 minutes,
 * so 5-minute samples are enough: a dozen per series, where a raw day at a 30 s loop would be 2,880. The closed loop
 * carries this range from its twin's 5-minute means (src/core/loop/closed-loop.ts); a live capture asks Prometheus
 * for it (src/adapters/prometheus/read-telemetry.ts).
 */
export const SEASONAL_HISTORY = {
  stepSeconds: 300,
  fromSecondsAgo: SEASON_SECONDS + TREND_WINDOW_SECONDS + 2 * 300,
  toSecondsAgo: SEASON_SECONDS - 3600,
} as const

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
  const lo = Math.min(firstAtOrAfter(samples, t), samples.length - 1)
  let best: readonly [number, number] | undefined
  for (const i of [lo - 1, lo]) {
    const s = samples[i]
    if (s && (!best || Math.abs(s[0] - t) < Math.abs(best[0] - t))) best = s
  }
  return best && Math.abs(best[0] - t) <= 300 ? best[1] : undefined
}

/**
 * What one series says, independent of the horizon: its level now, and (when it spans the trend window's first
 * half) its slope and the sample a day ago. Read once per plan; projected to any lead by `projectFit`.
 */
type SeriesFit =
  | {kind: 'level'; value: number}
  | {
      kind: 'trend'
      value: number
      slope: number
      /**
       * The series' samples and its value a day before the start of today's trend window (`span` seconds before
       * now; 0 when only the sample a day before now is at hand), when it holds ≥ 24 h and a sample lies near then.
       */
      season?: {samples: ReadonlyArray<readonly [number, number]>; then: number; span: number}
    }

function fitSeries(series: Series, now: number): SeriesFit | undefined {
  const samples = series.samples
  // Samples ascend in time (the loader checks): the window [now - 30 min, now] is one contiguous run.
  let end = samples.length
  while (end > 0 && (samples[end - 1] as [number, number])[0] > now) end--
  let start = end
  while (start > 0 && (samples[start - 1] as [number, number])[0] > now - TREND_WINDOW_SECONDS) start--
  const recent = samples.slice(start, end)
  const last = recent[recent.length - 1]
  if (last && (recent[0] as [number, number])[0] > now - MIN_TREND_SPAN_SECONDS) return {kind: 'level', value: last[1]}
  const trend = fitTrend(recent, now)
  if (!trend) return undefined
  const first = samples[0]
  if (!first || now - first[0] < SEASON_SECONDS) return {kind: 'trend', value: trend.value, slope: trend.slope}
  // Yesterday from the start of today's trend window (phase-robust; see projectFit), else from now − 24 h.
  const span = now - (recent[0] as [number, number])[0]
  const early = sampleNear(samples, now - span - SEASON_SECONDS)
  const then = early ?? sampleNear(samples, now - SEASON_SECONDS)
  return {
    kind: 'trend',
    value: trend.value,
    slope: trend.slope,
    ...(then !== undefined ? {season: {samples, then, span: early !== undefined ? span : 0}} : {}),
  }
}

/** The highest sample with `from` ≤ t ≤ `to` (samples ascend), or `floor` when higher or none lies there. */
function peakBetween(
  samples: ReadonlyArray<readonly [number, number]>,
  from: number,
  to: number,
  floor: number,
): number {
  let peak = floor
  for (let i = firstAtOrAfter(samples, from); i < samples.length; i++) {
    const [t, v] = samples[i] as readonly [number, number]
    if (t > to) break
    if (v > peak) peak = v
  }
  return peak
}

function projectFit(
  fit: SeriesFit,
  now: number,
  lead: number,
): {now: number; projected: number; slope: number; seasonal: boolean} {
  if (fit.kind === 'level') return {now: fit.value, projected: Math.max(0, fit.value), slope: 0, seasonal: false}
  let projected = fit.value + fit.slope * lead
  let seasonal = false
  if (fit.season) {
    const later = sampleNear(fit.season.samples, now + lead - SEASON_SECONDS)
    if (later !== undefined) {
      // Yesterday's highest value from the start of today's trend window to now + lead, less yesterday's value at
      // that start and less the part today already showed (its trend over the window), on top of today's level: a
      // trend alone misses the morning ramp. The highest value, not the one at now + lead: demand needed within the
      // horizon is needed, even if yesterday it had passed by the horizon's end. From the window's start, not from
      // now: a rise that came some minutes earlier yesterday than today still counts (compared from now − 24 h
      // alone, yesterday had already risen, the change read zero, and a node warmed for the rise was removed as
      // unneeded minutes before it: issue 9). A rise today already made is subtracted, not counted twice.
      const peak = peakBetween(
        fit.season.samples,
        now - fit.season.span - SEASON_SECONDS,
        now + lead - SEASON_SECONDS,
        later,
      )
      const still = peak - fit.season.then - fit.slope * fit.season.span
      projected = fit.value + Math.max(fit.slope * lead, still)
      seasonal = true
    }
  }
  return {now: fit.value, projected: Math.max(0, projected), slope: fit.slope, seasonal}
}

/** One signal's fits: per pod with at least one fitted series, that pod's series (one per GPU). */
interface SignalReading {
  signal: SignalConfig
  pods: SeriesFit[][]
}

/** A model's telemetry as the forecast reads it: horizon-free, so one reading serves every lead of a plan. */
export interface ForecastReading {
  model: ModelConfig
  now: number
  signals: SignalReading[]
}

function readSignal(
  signal: SignalConfig,
  pods: readonly PodState[],
  telemetry: TelemetryIndex,
  now: number,
): SignalReading | undefined {
  if (signal.targetType !== 'AverageValue' || signal.quantile !== undefined || signal.target <= 0) return undefined
  const fits: SeriesFit[][] = []
  for (const pod of pods) {
    const own: SeriesFit[] = []
    for (const s of seriesForPod(telemetry, signal.metric, pod.namespace, pod.name)) {
      const fit = fitSeries(s, now)
      if (fit) own.push(fit)
    }
    if (own.length > 0) fits.push(own)
  }
  return fits.length > 0 ? {signal, pods: fits} : undefined
}

function projectSignal(reading: SignalReading, now: number, lead: number): SignalForecast {
  const {signal} = reading
  let sumNow = 0
  let sumProjected = 0
  let slope = 0
  let seasonal = false
  for (const fits of reading.pods) {
    let podNow = 0
    let podProjected = 0
    let podSlope = 0
    for (const fit of fits) {
      const f = projectFit(fit, now, lead)
      podNow += f.now
      podProjected += f.projected
      podSlope += f.slope
      seasonal ||= f.seasonal
    }
    // A pod on several GPUs has one series per GPU: its value is their mean, as for one GPU.
    const n = fits.length
    sumNow += podNow / n
    sumProjected += podProjected / n
    slope += podSlope / n
  }
  // A signal with a guard target (the defaults' KV cache) sizes the pods only until their capacity at SLO is known,
  // which is nearly always: projected at its fallback target it asked for 64 nodes at the Azure conv trace's first
  // rise (bench/decision-quality.ts: 1.88× the oracle's GPU-hours, 1.61× at the guard target).
  const target = signal.guardTarget ?? signal.target
  return {
    signal: signal.name,
    metric: signal.metric,
    target,
    now: round(sumNow),
    projected: round(sumProjected),
    slopePerMinute: round(slope * 60),
    replicasNow: Math.ceil(sumNow / target - 1e-9),
    replicas: Math.ceil(sumProjected / target - 1e-9),
    pods: reading.pods.length,
    method: seasonal ? 'trend+seasonal' : 'trend',
  }
}

/** Reads the model's serving pods' telemetry once: the fits every horizon is projected from. */
export function readForecast(
  model: ModelConfig,
  pods: readonly PodState[],
  telemetry: TelemetryIndex,
  now: number,
): ForecastReading {
  const serving = pods.filter((p) => p.phase === 'Running' && !p.deleting)
  const signals: SignalReading[] = []
  for (const signal of model.signals) {
    const reading = readSignal(signal, serving, telemetry, now)
    if (reading) signals.push(reading)
  }
  return {model, now, signals}
}

/** The reading projected to now + `leadSeconds`: the largest per-signal forecast, within the model's bounds. */
export function projectForecast(reading: ForecastReading, leadSeconds: number): DemandForecast {
  const {model, now} = reading
  const signals = reading.signals.map((s) => projectSignal(s, now, leadSeconds))
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
  return projectForecast(readForecast(model, pods, telemetry, now), leadSeconds)
}

/**
 * The plan's forecasts: each model's telemetry is read (trend fits, yesterday's samples) at most once per plan, and
 * each horizon projected once, however many passes ask. Predictive warming asks at the cold-start lead; scale-down
 * asks at the lead plus one loop interval (a node removed now is replaced, at best, from the next tick). Built per
 * plan with the plan's telemetry and time; the same model must always be asked with the same pods.
 */
export class ForecastBook {
  private readonly readings = new Map<ModelConfig, ForecastReading>()
  private readonly projections = new Map<ModelConfig, Map<number, DemandForecast>>()
  /** How many readings were taken (a test holds it to one per model). */
  reads = 0

  constructor(
    private readonly telemetry: TelemetryIndex,
    private readonly now: number,
  ) {}

  forecast(model: ModelConfig, pods: readonly PodState[], leadSeconds: number): DemandForecast {
    let reading = this.readings.get(model)
    if (!reading) {
      reading = readForecast(model, pods, this.telemetry, this.now)
      this.readings.set(model, reading)
      this.reads++
    }
    let byLead = this.projections.get(model)
    if (!byLead) this.projections.set(model, (byLead = new Map()))
    let forecast = byLead.get(leadSeconds)
    if (!forecast) byLead.set(leadSeconds, (forecast = projectForecast(reading, leadSeconds)))
    return forecast
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
