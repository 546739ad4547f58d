/**
 * The result of a `gpu-scale simulate` run that compares policies on one traffic (issue 12, item 3): one row per
 * policy with its metrics, the time series its charts draw, and with `--seeds N` the spread over seeds. This is
 * the typed value `-o json|yaml` prints, the HTML report draws and `--fail-if` gates.
 *
 * A policy's metrics come from its twin run (./run-meter.ts): the twin's own summary (src/core/twin/summary.ts:
 * latency and TTFT percentiles, GPU-hours, cost, pending-pod minutes, actions, flaps) plus one replay of the same
 * event log (./log-replay.ts: attainment on TTFT and TPOT, GPU-seconds split, cost by capacity type, stranded pods,
 * series), measured as the run goes or read from its log afterwards.
 * The oracle row comes from src/core/oracle, which has no run: only what the oracle defines is set, the rest is
 * null, so nothing pretends the oracle was simulated.
 */
import type {OracleResult} from '../oracle/layer-oracle.js'
import type {APPROX_PERCENTILES} from '../twin/quantile-sketch.js'
import type {RunSeries, SimulationSlo} from './log-replay.js'
import type {BurstRecovery} from './recovery.js'

export const SIMULATION_REPORT_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const SIMULATION_REPORT_KIND = 'SimulationReport'

/** Who a row is: the user's config, the `--against` config, a built-in baseline, or the oracle. */
export type PolicyKind = 'user' | 'against' | 'baseline' | 'oracle'

export interface Quantiles {
  p50: number | null
  p95: number | null
  p99: number | null
}

export interface GpuSecondsSplit {
  total: number
  serving: number
  idleWarm: number
  coldStart: number
}

/** GPU-hours above the oracle's, split as the oracle splits its own (signed: a policy can start less than it). */
export interface Regret {
  total: number
  /** Serving GPU-hours beyond what the demand needed at SLO capacity. */
  headroom: number
  idleWarm: number
  coldStart: number
}

export interface PolicyMetrics {
  /** Share of requests (0–1) served with TTFT, TPOT and end-to-end latency within their targets; null: unknown. */
  sloAttainment: number
  /** Whole requests (a fluid replay's flow rounded; `sloAttainment` is the unrounded ratio). */
  requests: {total: number; withinSlo: number; aborted: number | null}
  latencySeconds: Quantiles
  ttftSeconds: Quantiles
  tpotSeconds: Quantiles
  gpuHours: number
  gpuHoursSplit: {serving: number; idleWarm: number; coldStart: number}
  cost: {total: number | null; onDemand: number | null; spot: number | null}
  regret: Regret | null
  pendingPodMinutes: number | null
  strandedPods: number | null
  scalingActions: number | null
  flaps: number | null
  coldStarts: {nodes: number; pods: number} | null
  recovery: BurstRecovery | null
}

export interface Spread {
  mean: number | null
  min: number | null
  max: number | null
}

export interface PolicyResult {
  name: string
  kind: PolicyKind
  /** With several seeds: the mean of each metric over them. */
  metrics: PolicyMetrics
  /** Per metric name of the METRICS table (./metrics.ts), over the seeds; absent with one seed. */
  spread?: Record<string, Spread>
  /**
   * Absent: every latency percentile of the row is exact (nearest rank over all its requests). `approx ±1%`: the
   * run had more requests per model than the exact limit (src/core/twin/quantile-sketch.ts), so its percentiles
   * come from a quantile sketch, each within 1% of the exact value. Absent for the oracle.
   */
  percentiles?: typeof APPROX_PERCENTILES
  /** Time series of the first seed's run; null for the oracle, which has no run. */
  series: RunSeries | null
  /** Oracle only: billed replicas over time per model (the oracle's schedule), for the replicas chart. */
  oracleReplicas?: Record<string, Array<{t: number; replicas: number}>>
}

export interface SimulationReport {
  apiVersion: typeof SIMULATION_REPORT_API_VERSION
  kind: typeof SIMULATION_REPORT_KIND
  window: {start: number; end: number}
  stepSeconds: number
  seeds: number[]
  slo: {default: SimulationSlo; byModel: Record<string, SimulationSlo>}
  policies: PolicyResult[]
  /**
   * How the twin simulated requests (trace replays): `sampled`, one by one; `fluid`, as a flow per model and fluid
   * step (src/core/twin/fluid.ts). Absent: one by one (scenario runs).
   */
  requestModel?: 'sampled' | 'fluid'
}

/** Regret in GPU-hours: the policy's split minus the oracle's, part by part; the total is their sum. */
export function regretOf(policy: GpuSecondsSplit, oracle: GpuSecondsSplit): Regret {
  const headroom = (policy.serving - oracle.serving) / 3600
  const idleWarm = (policy.idleWarm - oracle.idleWarm) / 3600
  const coldStart = (policy.coldStart - oracle.coldStart) / 3600
  return {total: headroom + idleWarm + coldStart, headroom, idleWarm, coldStart}
}

/** The oracle of every model as one GPU-seconds split (models are independent in the oracle). */
export function sumOracle(models: Record<string, Pick<OracleResult, 'gpuSeconds'>>): GpuSecondsSplit {
  const out: GpuSecondsSplit = {total: 0, serving: 0, idleWarm: 0, coldStart: 0}
  for (const r of Object.values(models)) {
    out.total += r.gpuSeconds.total
    out.serving += r.gpuSeconds.serving
    out.idleWarm += r.gpuSeconds.idleWarm
    out.coldStart += r.gpuSeconds.coldStart
  }
  return out
}

/**
 * The oracle's row. Attainment is 1 by construction (capacity counted at SLO in every bucket); its cost is its
 * GPU-hours at `pricePerGpuHour` when given. Everything it does not define (latency, pods, actions) is null.
 */
export function oracleResult(
  models: Record<string, Pick<OracleResult, 'gpuSeconds' | 'steps'>>,
  options: {pricePerGpuHour?: number; name?: string} = {},
): PolicyResult {
  const g = sumOracle(models)
  const none: Quantiles = {p50: null, p95: null, p99: null}
  const cost = options.pricePerGpuHour === undefined ? null : (g.total / 3600) * options.pricePerGpuHour
  return {
    name: options.name ?? 'oracle',
    kind: 'oracle',
    metrics: {
      sloAttainment: 1,
      requests: {total: 0, withinSlo: 0, aborted: null},
      latencySeconds: none,
      ttftSeconds: none,
      tpotSeconds: none,
      gpuHours: g.total / 3600,
      gpuHoursSplit: {serving: g.serving / 3600, idleWarm: g.idleWarm / 3600, coldStart: g.coldStart / 3600},
      cost: {total: cost, onDemand: null, spot: null},
      regret: {total: 0, headroom: 0, idleWarm: 0, coldStart: 0},
      pendingPodMinutes: null,
      strandedPods: null,
      scalingActions: null,
      flaps: null,
      coldStarts: null,
      recovery: null,
    },
    series: null,
    oracleReplicas: Object.fromEntries(Object.entries(models).map(([m, r]) => [m, r.steps.map((s) => ({...s}))])),
  }
}

export function buildSimulationReport(input: {
  policies: PolicyResult[]
  start: number
  end: number
  stepSeconds: number
  seed: number
  slo?: SimulationSlo
  sloByModel?: Record<string, SimulationSlo>
}): SimulationReport {
  const names = new Set<string>()
  for (const p of input.policies) {
    if (names.has(p.name)) throw new RangeError(`two policies are named "${p.name}"`)
    names.add(p.name)
  }
  return {
    apiVersion: SIMULATION_REPORT_API_VERSION,
    kind: SIMULATION_REPORT_KIND,
    window: {start: input.start, end: input.end},
    stepSeconds: input.stepSeconds,
    seeds: [input.seed],
    slo: {default: {...input.slo}, byModel: {...input.sloByModel}},
    policies: input.policies,
  }
}
