/**
 * SimulationReport → terminal text: one row per policy with the metrics a reader compares first, then the
 * regret split against the oracle, then the `--fail-if` results when there are gates. With several seeds a
 * value shows its min–max under it. Plain text without color is what tests compare.
 */
import {formatDuration} from '../core/model/duration.js'
import type {FailIfEvaluation} from '../core/simulate/fail-if.js'
import {formatMetric, METRICS, type MetricName} from '../core/simulate/metrics.js'
import type {PolicyResult, SimulationReport} from '../core/simulate/report.js'
import {heading, paint, renderTable} from './output.js'

/** The results table's columns, in reading order: quality, then cost, then how the policy behaved. */
export const RESULT_COLUMNS: Array<{metric: MetricName; head: string}> = [
  {metric: 'slo', head: 'SLO'},
  {metric: 'p95_ttft', head: 'p95 TTFT'},
  {metric: 'p95_tpot', head: 'p95 TPOT'},
  {metric: 'p99_latency', head: 'p99 latency'},
  {metric: 'gpu_hours', head: 'GPU-h'},
  {metric: 'cost', head: 'Cost'},
  {metric: 'regret', head: 'Regret GPU-h'},
  {metric: 'pending_minutes', head: 'Pending min'},
  {metric: 'stranded_pods', head: 'Stranded'},
  {metric: 'scaling_actions', head: 'Actions'},
  {metric: 'flaps', head: 'Flaps'},
  {metric: 'recovery', head: 'Burst recovery'},
]

/** How the header names the request model a replay ran (`--requests`). */
const REQUEST_MODEL_LABELS: Record<NonNullable<SimulationReport['requestModel']>, string> = {
  sampled: 'one by one (sampled)',
  fluid: 'as a flow (fluid, optimistic near saturation)',
}

export function policyLabel(p: PolicyResult): string {
  return p.kind === 'user'
    ? `${p.name} (yours)`
    : p.kind === 'baseline'
      ? `baseline:${p.name}`
      : p.kind === 'against'
        ? `${p.name} (against)`
        : p.name
}

export function renderSimulation(
  report: SimulationReport,
  options: {color?: boolean; failIf?: FailIfEvaluation} = {},
): string {
  const color = options.color ?? false
  const out: string[] = []
  const hours = (report.window.end - report.window.start) / 3600
  const slo = report.slo.default
  const targets = [
    slo.ttftSeconds !== undefined ? `TTFT ≤ ${formatMetric('p95_ttft', slo.ttftSeconds)}` : '',
    slo.tpotSeconds !== undefined ? `TPOT ≤ ${formatMetric('p95_tpot', slo.tpotSeconds)}` : '',
    slo.e2eSeconds !== undefined ? `latency ≤ ${formatMetric('p99_latency', slo.e2eSeconds)}` : '',
  ]
    .filter(Boolean)
    .join(', ')
  out.push(
    heading(
      `Simulation: ${report.policies.length} policies over ${formatDuration(hours * 3600)}, seed${report.seeds.length > 1 ? 's' : ''} ${report.seeds.join(', ')}${report.requestModel ? `, requests ${REQUEST_MODEL_LABELS[report.requestModel]}` : ''}`,
      color,
    ),
  )
  if (targets) out.push(`SLO: ${targets}\n`)
  out.push(
    renderTable(
      ['Policy', ...RESULT_COLUMNS.map((c) => c.head)],
      report.policies.map((p) => [policyLabel(p), ...RESULT_COLUMNS.map((c) => cell(p, c.metric))]),
      {color},
    ),
  )
  // Percentiles are exact unless a run passed the exact limit per model (src/core/twin/quantile-sketch.ts).
  const approx = report.policies.filter((p) => p.percentiles)
  if (approx.length > 0)
    out.push(
      `Percentiles ${approx[0]?.percentiles} (a quantile sketch: more requests per model than are kept exactly) for ${approx.map(policyLabel).join(', ')}\n`,
    )
  const withRegret = report.policies.filter((p) => p.kind !== 'oracle' && p.metrics.regret)
  if (withRegret.length > 0) {
    out.push('\n' + heading('Regret against the oracle (GPU-hours above it)', color))
    out.push(
      renderTable(
        ['Policy', 'Total', 'Headroom', 'Idle warm', 'Cold start'],
        withRegret.map((p) => [
          policyLabel(p),
          cell(p, 'regret'),
          cell(p, 'regret_headroom'),
          cell(p, 'regret_idle_warm'),
          cell(p, 'regret_cold_start'),
        ]),
        {color},
      ),
    )
  }
  if (options.failIf) {
    out.push('\n' + heading('Gates (--fail-if)', color))
    for (const r of options.failIf.results)
      out.push(
        `  ${r.passed ? paint('held  ', 'green', color) : paint('FAILED', 'red', color)} ${r.passed ? r.expression : r.message}\n`,
      )
    out.push(options.failIf.summary + '\n')
  }
  return out.join('')
}

function cell(p: PolicyResult, metric: MetricName): string {
  const value = formatMetric(metric, METRICS[metric].get(p.metrics))
  const s = p.spread?.[metric]
  if (!s || s.min === null || s.max === null || s.min === s.max) return value
  return `${value}\n${formatMetric(metric, s.min)}–${formatMetric(metric, s.max)}`
}
