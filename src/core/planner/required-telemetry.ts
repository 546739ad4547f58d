/**
 * What the core reads from telemetry for a given policy, so a live adapter queries exactly that and no more:
 * every metric with the source it is matched by (pod, GPU, workload), the longest window any rule reads it over,
 * the models that need it and why. A planning tick given less than this plans on missing telemetry (and says so
 * per direction); given more, it ignores the rest.
 */
import type {MetricSource, PolicyConfig} from '../model/config.js'
import {SEASONAL_HISTORY, TREND_WINDOW_SECONDS} from '../policy/nodes/forecast.js'
import {listActivationSignals} from '../policy/replicas/scale-to-zero.js'
import {CAPACITY_FIT_METRICS} from '../policy/replicas/capacity-at-slo.js'
import {DCGM, isHistogramMetric, METRIC_FALLBACKS, QUEUE_METRICS, VLLM} from '../signals/metric-names.js'

export interface TelemetryNeed {
  metric: string
  /** How series are matched: per pod, per GPU (pod-labelled by dcgm-exporter), per node (`Hostname`), per workload. */
  source: MetricSource | 'node'
  /** The longest window the core reads this metric over, in seconds (samples older than now − window are unused). */
  windowSeconds: number
  /** Models whose decisions read it (empty for fleet-wide rules such as node scale-down). */
  models: string[]
  why: string[]
}

export interface RequiredTelemetry {
  /** Sample spacing the rules assume: one sample per planning loop is enough, more is averaged. */
  stepSeconds: number
  /** The longest window over every metric: how far back one query range must reach. */
  lookbackSeconds: number
  metrics: TelemetryNeed[]
  /**
   * Yesterday around now, for the daily forecast: these metrics (the ones the trend reads) over
   * [now − fromSecondsAgo, now − toSecondsAgo] at stepSeconds (SEASONAL_HISTORY). Without it the forecast has
   * the trend only.
   */
  seasonal: {metrics: string[]; fromSecondsAgo: number; toSecondsAgo: number; stepSeconds: number}
}

/** The `why` of a need the forecast's trend has; those metrics are also read a day back (`seasonal`). */
const TREND_WHY = 'predictive warming (trend)'

/** Bottleneck evidence is read over at least this window (gpu-scale-algorithm.ts step 2). */
const EVIDENCE_MIN_WINDOW_SECONDS = 180
/**
 * The `why` of a need that only the bottleneck evidence has: it reads the value over its window and nothing older
 * (collectEvidence), so a snapshot may carry just that window of such a metric (the closed loop's does).
 */
export const EVIDENCE_WHY = 'bottleneck evidence'

export function requiredTelemetry(config: PolicyConfig): RequiredTelemetry {
  const needs = new Map<string, TelemetryNeed>()
  const need = (
    metric: string,
    source: TelemetryNeed['source'],
    windowSeconds: number,
    model: string | undefined,
    why: string,
  ) => {
    const key = `${metric}|${source}`
    const entry = needs.get(key) ?? {metric, source, windowSeconds: 0, models: [], why: []}
    entry.windowSeconds = Math.max(entry.windowSeconds, windowSeconds)
    if (model !== undefined && !entry.models.includes(model)) entry.models.push(model)
    if (!entry.why.includes(why)) entry.why.push(why)
    needs.set(key, entry)
  }
  for (const model of config.models) {
    for (const signal of model.signals) {
      const metric =
        signal.quantile !== undefined && !isHistogramMetric(signal.metric) ? `${signal.metric}_bucket` : signal.metric
      need(metric, signal.source, signal.windowSeconds, model.name, `signal ${signal.name}`)
      // The capacity-at-SLO fit reads the step time, tokens, batch and KV cache over the same window.
      if (signal.capacityAtSlo === true)
        for (const fit of CAPACITY_FIT_METRICS)
          need(fit, signal.source, signal.windowSeconds, model.name, `signal ${signal.name} (capacity fit)`)
      const fallback = METRIC_FALLBACKS[signal.metric]
      if (fallback)
        need(fallback.metric, signal.source, signal.windowSeconds, model.name, `fallback of ${signal.metric}`)
      // The forecast fits the trend over 30 minutes and compares with the same time a day earlier when it can.
      if (signal.targetType === 'AverageValue' && signal.quantile === undefined && !signal.resource)
        need(metric, signal.source, TREND_WINDOW_SECONDS, model.name, TREND_WHY)
    }
    for (const signal of listActivationSignals(model)) {
      if (model.scaleToZero)
        need(signal.metric, 'workload', model.scaleToZero.idleSeconds, model.name, 'scale to zero (idle period)')
    }
    const evidenceWindow = Math.max(EVIDENCE_MIN_WINDOW_SECONDS, ...model.signals.map((s) => s.windowSeconds))
    for (const metric of [
      DCGM.gpuUtil,
      DCGM.grEngineActive,
      DCGM.smActive,
      DCGM.smOccupancy,
      DCGM.tensorActive,
      DCGM.dramActive,
      DCGM.fbUsed,
      DCGM.fbFree,
      DCGM.pcieTx,
      DCGM.pcieRx,
    ]) {
      need(metric, 'gpu', evidenceWindow, model.name, EVIDENCE_WHY)
    }
    for (const metric of [
      ...QUEUE_METRICS,
      VLLM.running,
      VLLM.kvCache,
      VLLM.kvCacheLegacy,
      VLLM.e2eLatencyBucket,
      VLLM.ttftBucket,
    ])
      need(metric, 'pod', evidenceWindow, model.name, EVIDENCE_WHY)
  }
  // Node scale-down: DCGM utilization per node over the unneeded window (a node idle that long may go).
  need(DCGM.gpuUtil, 'node', config.settings.scaleDown.unneededSeconds, undefined, 'node scale-down (unneeded window)')
  const metrics = [...needs.values()]
    .map((n) => ({...n, models: n.models.sort()}))
    .sort((a, b) => (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : a.source < b.source ? -1 : 1))
  return {
    stepSeconds: config.settings.loopIntervalSeconds,
    lookbackSeconds: Math.max(0, ...metrics.map((m) => m.windowSeconds)),
    metrics,
    seasonal: {
      metrics: [...new Set(metrics.filter((m) => m.why.includes(TREND_WHY)).map((m) => m.metric))],
      ...SEASONAL_HISTORY,
    },
  }
}
