/**
 * Reads exactly what the core asks for (`requiredTelemetry(config)`): one range query per metric over its
 * longest window, on the planning loop's step, ending at the capture instant; for the metrics the forecast's trend
 * reads, a second range query a day back (`requiredTelemetry(config).seasonal`: yesterday around now, 5-minute steps),
 * merged into the same series, so a live plan gets the daily term as the closed loop does. A signal's `query` in the
 * config replaces the PromQL built from its metric name. A first instant query checks Prometheus answers at all, so a
 * Prometheus that is down or too slow gives one diagnostic instead of one per metric; the snapshot then has no
 * telemetry, and the planner's missing-telemetry rule holds every scale-down.
 */
import type {PolicyConfig} from '../../core/model/config.js'
import type {Series} from '../../core/model/snapshot.js'
import {requiredTelemetry} from '../../core/planner/required-telemetry.js'
import {RESOURCE_METRICS} from '../../core/policy/replicas/hpa-resource.js'
import type {LiveDiagnostic} from '../live-diagnostic.js'
import type {PrometheusClient} from './client.js'
import {seriesFromMatrix, withHistory} from './results.js'

export interface TelemetryQueryPlan {
  metric: string
  query: string
  windowSeconds: number
  /** Also read a day back, for the daily forecast: [at − fromSecondsAgo, at − toSecondsAgo] on this step. */
  dayAgo?: {fromSecondsAgo: number; toSecondsAgo: number; stepSeconds: number}
}

/**
 * Metrics whose bare name is not the query to run. cAdvisor's container series carry the pod-level cgroup
 * (container="") and the pause container ("POD") too, plus `id`/`image`/`name` labels; HPA Resource metrics read
 * the containers only, one series each.
 */
const DEFAULT_QUERIES: Record<string, string> = {
  [RESOURCE_METRICS.cpu]: `sum by (namespace, pod, container) (${RESOURCE_METRICS.cpu}{container!="",container!="POD"})`,
  [RESOURCE_METRICS.memory]: `sum by (namespace, pod, container) (${RESOURCE_METRICS.memory}{container!="",container!="POD"})`,
}

/** One query per metric: the longest window any rule reads it over, and the config's override when one is set. */
export function planTelemetryQueries(config: PolicyConfig): {queries: TelemetryQueryPlan[]; stepSeconds: number} {
  const required = requiredTelemetry(config)
  const byMetric = new Map<string, TelemetryQueryPlan>()
  const overrides = new Map<string, string>()
  for (const model of config.models)
    for (const s of model.signals) if (s.query && !overrides.has(s.metric)) overrides.set(s.metric, s.query)
  for (const need of required.metrics) {
    const entry = byMetric.get(need.metric) ?? {
      metric: need.metric,
      query: overrides.get(need.metric) ?? DEFAULT_QUERIES[need.metric] ?? need.metric,
      windowSeconds: 0,
    }
    entry.windowSeconds = Math.max(entry.windowSeconds, need.windowSeconds)
    byMetric.set(need.metric, entry)
  }
  const {metrics: seasonal, ...dayAgo} = required.seasonal
  for (const metric of seasonal) {
    const entry = byMetric.get(metric)
    if (entry) entry.dayAgo = dayAgo
  }
  return {queries: [...byMetric.values()], stepSeconds: Math.max(1, required.stepSeconds)}
}

/** At most this many queries in flight: enough to be quick, few enough not to load a shared Prometheus. */
const CONCURRENCY = 4
/**
 * Points per series at most: Prometheus refuses a range of more than 11,000 points per series (facts §8), so a
 * window that long for the loop's step (a day at a 5 s loop) is read on a coarser step. At the default 30 s loop
 * every window up to 80 h keeps the loop's step.
 */
const MAX_POINTS_PER_SERIES = 10_000

export async function readTelemetry(
  client: PrometheusClient,
  config: PolicyConfig,
  at: number,
): Promise<{series: Series[]; diagnostics: LiveDiagnostic[]}> {
  const probe = await client.instant('vector(1)', at)
  if (!probe.ok) {
    return {
      series: [],
      diagnostics: [
        {
          severity: 'error',
          code: 'TelemetryUnavailable',
          message: `Prometheus ${probe.failure} after ${probe.attempts} attempt${probe.attempts === 1 ? '' : 's'} (${probe.message}): planned without telemetry, so nothing scales down`,
        },
      ],
    }
  }
  const {queries, stepSeconds} = planTelemetryQueries(config)
  const results: Array<{series: Series[]; diagnostics: LiveDiagnostic[]}> = new Array(queries.length)
  let next = 0
  const worker = async () => {
    while (next < queries.length) {
      const i = next++
      const q = queries[i] as TelemetryQueryPlan
      const step = Math.max(stepSeconds, Math.ceil(q.windowSeconds / MAX_POINTS_PER_SERIES))
      // Align to the step grid so the same instant always reads the same samples.
      const end = Math.floor(at / step) * step
      const outcome = await client.range(q.query, end - q.windowSeconds, end, step)
      if (!outcome.ok) {
        results[i] = {
          series: [],
          diagnostics: [
            {
              severity: 'warning',
              code: outcome.failure === 'rejected' ? 'TelemetryQueryRejected' : 'TelemetryUnavailable',
              message: `${q.metric}: \`${q.query}\` failed (${outcome.message}): read as missing, so nothing scales down on it`,
            },
          ],
        }
        continue
      }
      const checked = seriesFromMatrix(q.metric, q.query, outcome.result, {
        at,
        staleAfterSeconds: config.settings.staleAfterSeconds,
      })
      for (const w of outcome.warnings)
        checked.diagnostics.push({severity: 'info', code: 'PrometheusWarning', message: `${q.metric}: ${w}`})
      if (q.dayAgo && checked.series.length > 0) checked.series = await readDayAgo(client, q, at, checked)
      results[i] = checked
    }
  }
  await Promise.all(Array.from({length: Math.min(CONCURRENCY, queries.length)}, worker))
  return {series: results.flatMap((r) => r.series), diagnostics: results.flatMap((r) => r.diagnostics)}
}

/**
 * The day-ago range of a forecast metric merged into its recent series (a pod that lived then and now gets both;
 * one gone since, or new since, keeps what it has). Nothing there, or a failed query, is an info diagnostic: the
 * forecast then has the trend only, as on a cluster younger than a day. Staleness is not judged on these samples:
 * they are old by design.
 */
async function readDayAgo(
  client: PrometheusClient,
  q: TelemetryQueryPlan,
  at: number,
  recent: {series: Series[]; diagnostics: LiveDiagnostic[]},
): Promise<Series[]> {
  const {fromSecondsAgo, toSecondsAgo, stepSeconds} = q.dayAgo!
  const start = Math.floor((at - fromSecondsAgo) / stepSeconds) * stepSeconds
  const end = Math.floor((at - toSecondsAgo) / stepSeconds) * stepSeconds
  const outcome = await client.range(q.query, start, end, stepSeconds)
  const older = outcome.ok
    ? seriesFromMatrix(q.metric, q.query, outcome.result, {at, staleAfterSeconds: Infinity}).series
    : []
  const merged = withHistory(recent.series, older)
  if (merged.added === 0)
    recent.diagnostics.push({
      severity: 'info',
      code: 'NoDailyHistory',
      message: `${q.metric}: ${outcome.ok ? 'no samples' : `the query failed (${outcome.message})`} from ${fromSecondsAgo / 3600} h to ${toSecondsAgo / 3600} h ago: its forecast has the trend only, no daily term`,
    })
  return merged.series
}
