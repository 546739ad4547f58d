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

export const METRICS = {
  slo: {
    label: 'SLO attainment (TTFT and TPOT within targets)',
    dimension: 'percent',
    better: 'higher',
    get: (m) => m.sloAttainment,
  },
  p50_latency: {
    label: 'p50 end-to-end latency',
    dimension: 'seconds',
    better: 'lower',
    get: (m) => m.latencySeconds.p50,
  },
  p95_latency: {
    label: 'p95 end-to-end latency',
    dimension: 'seconds',
    better: 'lower',
    get: (m) => m.latencySeconds.p95,
  },
  p99_latency: {
    label: 'p99 end-to-end latency',
    dimension: 'seconds',
    better: 'lower',
    get: (m) => m.latencySeconds.p99,
  },
  p50_ttft: {label: 'p50 time to first token', dimension: 'seconds', better: 'lower', get: (m) => m.ttftSeconds.p50},
  p95_ttft: {label: 'p95 time to first token', dimension: 'seconds', better: 'lower', get: (m) => m.ttftSeconds.p95},
  p99_ttft: {label: 'p99 time to first token', dimension: 'seconds', better: 'lower', get: (m) => m.ttftSeconds.p99},
  p95_tpot: {
    label: 'p95 mean time per output token',
    dimension: 'seconds',
    better: 'lower',
    get: (m) => m.tpotSeconds.p95,
  },
  gpu_hours: {
    label: 'GPU-hours billed (cold start included)',
    dimension: 'gpu-hours',
    better: 'lower',
    get: (m) => m.gpuHours,
  },
  cost: {label: "cost at the config's node prices", dimension: 'money', better: 'lower', get: (m) => m.cost.total},
  cost_on_demand: {label: 'cost of on-demand nodes', dimension: 'money', better: 'lower', get: (m) => m.cost.onDemand},
  cost_spot: {label: 'cost of spot nodes', dimension: 'money', better: 'lower', get: (m) => m.cost.spot},
  regret: {
    label: 'GPU-hours above the oracle',
    dimension: 'gpu-hours',
    better: 'lower',
    get: (m) => m.regret?.total ?? null,
  },
  regret_headroom: {
    label: 'regret: over-provisioned serving headroom',
    dimension: 'gpu-hours',
    better: 'lower',
    get: (m) => m.regret?.headroom ?? null,
  },
  regret_idle_warm: {
    label: 'regret: idle-warm GPUs',
    dimension: 'gpu-hours',
    better: 'lower',
    get: (m) => m.regret?.idleWarm ?? null,
  },
  regret_cold_start: {
    label: 'regret: cold-start GPU time',
    dimension: 'gpu-hours',
    better: 'lower',
    get: (m) => m.regret?.coldStart ?? null,
  },
  pending_minutes: {
    label: 'pending-pod minutes',
    dimension: 'minutes',
    better: 'lower',
    get: (m) => m.pendingPodMinutes,
  },
  stranded_pods: {
    label: 'pods pending 10 min or more',
    dimension: 'count',
    better: 'lower',
    get: (m) => m.strandedPods,
  },
  aborted: {label: 'requests aborted', dimension: 'count', better: 'lower', get: (m) => m.requests.aborted},
  scaling_actions: {label: 'scaling actions', dimension: 'count', better: 'lower', get: (m) => m.scalingActions},
  flaps: {label: 'flaps (direction reversals within 10 min)', dimension: 'count', better: 'lower', get: (m) => m.flaps},
  recovery: {
    label: 'longest time to recover from a burst',
    dimension: 'seconds',
    better: 'lower',
    get: (m) => m.recovery?.worstSeconds ?? null,
  },
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
