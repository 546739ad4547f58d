/**
 * The one table of metric names a simulate report exposes: `--fail-if` reads them, `--seeds` spreads them, the
 * table and HTML views label them, and the README lists them. Adding a metric here adds it everywhere.
 *
 * `dimension` decides how a number in a `--fail-if` expression is read and which units it may carry:
 * - percent: stored as a 0–1 share, written as a percentage (`slo < 99.5` and `slo < 99.5%` are the same);
 * - seconds: a bare number is seconds; `ms`, `s`, `m`, `h` convert;
 * - minutes: a bare number is minutes (pending-pod minutes are counted in minutes); `s`, `m`, `h` convert;
 * - gpu-hours, money, count: plain numbers, no unit.
 */
import type {PolicyMetrics} from './report.js'

export type Dimension = 'percent' | 'seconds' | 'minutes' | 'gpu-hours' | 'money' | 'count'

export interface MetricDef {
  label: string
  dimension: Dimension
  /** Which way is better, so views can mark the best row and fail-if messages can say "worse". */
  better: 'higher' | 'lower'
  get: (m: PolicyMetrics) => number | null
}

/** A metric where less is better (all but SLO attainment). */
const lower = (label: string, dimension: Dimension, get: MetricDef['get']): MetricDef => ({
  label,
  dimension,
  better: 'lower',
  get,
})

export const METRICS = {
  slo: {
    label: 'SLO attainment (TTFT and TPOT within targets)',
    dimension: 'percent',
    better: 'higher',
    get: (m) => m.sloAttainment,
  },
  p50_latency: lower('p50 end-to-end latency', 'seconds', (m) => m.latencySeconds.p50),
  p95_latency: lower('p95 end-to-end latency', 'seconds', (m) => m.latencySeconds.p95),
  p99_latency: lower('p99 end-to-end latency', 'seconds', (m) => m.latencySeconds.p99),
  p50_ttft: lower('p50 time to first token', 'seconds', (m) => m.ttftSeconds.p50),
  p95_ttft: lower('p95 time to first token', 'seconds', (m) => m.ttftSeconds.p95),
  p99_ttft: lower('p99 time to first token', 'seconds', (m) => m.ttftSeconds.p99),
  p95_tpot: lower('p95 mean time per output token', 'seconds', (m) => m.tpotSeconds.p95),
  gpu_hours: lower('GPU-hours billed (cold start included)', 'gpu-hours', (m) => m.gpuHours),
  cost: lower("cost at the config's node prices", 'money', (m) => m.cost.total),
  cost_on_demand: lower('cost of on-demand nodes', 'money', (m) => m.cost.onDemand),
  cost_spot: lower('cost of spot nodes', 'money', (m) => m.cost.spot),
  regret: lower('GPU-hours above the oracle', 'gpu-hours', (m) => m.regret?.total ?? null),
  regret_headroom: lower('regret: over-provisioned serving headroom', 'gpu-hours', (m) => m.regret?.headroom ?? null),
  regret_idle_warm: lower('regret: idle-warm GPUs', 'gpu-hours', (m) => m.regret?.idleWarm ?? null),
  regret_cold_start: lower('regret: cold-start GPU time', 'gpu-hours', (m) => m.regret?.coldStart ?? null),
  pending_minutes: lower('pending-pod minutes', 'minutes', (m) => m.pendingPodMinutes),
  stranded_pods: lower('pods pending 10 min or more', 'count', (m) => m.strandedPods),
  aborted: lower('requests aborted', 'count', (m) => m.requests.aborted),
  scaling_actions: lower('scaling actions', 'count', (m) => m.scalingActions),
  flaps: lower('flaps (direction reversals within 10 min)', 'count', (m) => m.flaps),
  recovery: lower('longest time to recover from a burst', 'seconds', (m) => m.recovery?.worstSeconds ?? null),
} satisfies Record<string, MetricDef>

export type MetricName = keyof typeof METRICS

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[]

export function isMetricName(name: string): name is MetricName {
  return Object.hasOwn(METRICS, name)
}

/** A metric's value as people read it: percent × 100, the rest as stored. */
export function displayValue(name: MetricName, value: number): number {
  return METRICS[name].dimension === 'percent' ? value * 100 : value
}

/** Formats a metric for messages and tables: `99.12%`, `1.85s`, `312ms`, `12.4`, `3`. */
export function formatMetric(name: MetricName, value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '-'
  switch (METRICS[name].dimension) {
    case 'percent':
      return `${trim(value * 100, 2)}%`
    case 'seconds':
      return Math.abs(value) < 1 && value !== 0 ? `${trim(value * 1000, 0)}ms` : `${trim(value, 2)}s`
    case 'minutes':
      return `${trim(value, 1)}m`
    case 'count':
      return String(trim(value, 1))
    default:
      return String(trim(value, 2))
  }
}

function trim(value: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}
