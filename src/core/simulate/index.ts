/**
 * The comparison, gating and reporting layer of `gpu-scale simulate` (issue 12, items 3–5), pure: a typed
 * SimulationReport built from twin runs, `--fail-if` gates over it, and `--seeds` spread. The views
 * (src/views/simulate.ts, src/views/report-html.ts) draw it; the command that runs policies through the twin
 * builds it with measureRun or RunMeter / oracleResult / buildSimulationReport.
 */
export {
  evaluateFailIf,
  parseFailIf,
  parseFailIfAll,
  parseFailIfFlags,
  type Comparison,
  type FailIfEvaluation,
  type FailIfExpression,
  type FailIfParse,
  type FailIfResult,
  type FailIfSyntaxError,
  type FailIfValue,
  type PolicyRef,
} from './fail-if.js'
export {
  fleetShapeOf,
  replayLog,
  stepSecondsFor,
  STRANDED_AFTER_SECONDS,
  type FleetShape,
  type LogReplay,
  type RunSeries,
  type SimulationSlo,
} from './log-replay.js'
export {
  displayValue,
  formatMetric,
  isMetricName,
  METRIC_NAMES,
  METRICS,
  type Dimension,
  type MetricDef,
  type MetricName,
} from './metrics.js'
export {BASELINE_SECONDS, BURST_FACTOR, detectBursts, RECOVERY_OBJECTIVE, type BurstRecovery} from './recovery.js'
export {
  buildSimulationReport,
  oracleResult,
  regretOf,
  SIMULATION_REPORT_API_VERSION,
  SIMULATION_REPORT_KIND,
  sumOracle,
  type GpuSecondsSplit,
  type PolicyKind,
  type PolicyMetrics,
  type PolicyResult,
  type Quantiles,
  type Regret,
  type SimulationReport,
  type Spread,
} from './report.js'
export {measureRun, RunMeter, type RunMeasureOptions} from './run-meter.js'
export {aggregateSeeds, spreadOf} from './seeds.js'
