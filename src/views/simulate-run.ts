/**
 * What `simulate` prints: one summary of the run — SLO attainment, latency and TTFT percentiles, GPU-hours and
 * cost, pending-pod minutes, cold starts, scaling actions and flaps, blocked changes — then one row per model.
 * It prints the core's SimulateResult, the type the service builds (views never import services).
 */
import type {SimulateResult} from '../core/loop/simulate-result.js'
import {heading, renderTable} from './output.js'
import {wrapParagraph} from './table.js'

const pct = (x: number) => `${(x * 100).toFixed(1)}%`
const secs = (x: number) => (Number.isFinite(x) ? (x < 10 ? `${x.toFixed(2)}s` : `${x.toFixed(0)}s`) : '-')
const triple = (p: {p50: number; p95: number; p99: number}) => `${secs(p.p50)} / ${secs(p.p95)} / ${secs(p.p99)}`

export function renderSimulate(result: SimulateResult, options: {color?: boolean; width?: number} = {}): string {
  const s = result.summary
  const hours = result.durationSeconds / 3600
  const rows: Array<[string, string]> = [
    [
      'SLO attainment',
      `${pct(s.requests.sloAttainment)} of ${s.requests.total} requests (${s.requests.aborted} aborted)`,
    ],
    ['latency p50 / p95 / p99', triple(s.requests.latency)],
    ['TTFT p50 / p95 / p99', triple(s.requests.ttft)],
    ['GPU-hours', `${s.gpuHours.toFixed(1)} (${(s.gpuHours / hours).toFixed(1)} GPUs on average)`],
    ['cost', `$${s.cost.toFixed(2)}`],
    ['pending-pod minutes', s.pendingPodMinutes.toFixed(1)],
    ['cold starts', `${s.coldStarts.nodes} node(s), ${s.coldStarts.pods} pod(s)`],
    [
      'scaling actions',
      `${s.scalingActions.total}: ${s.scalingActions.workloads} replica, ${s.scalingActions.nodeGroups} node-group, ${s.scalingActions.nodeRemovals} node removal, ${s.scalingActions.migChanges} MIG`,
    ],
    ['flaps (reversal < 10 min)', String(s.flaps)],
    [
      'blocked changes',
      result.loop.blockedChanges.length === 0
        ? 'none'
        : `${result.loop.blockedChanges.length} (${result.loop.blockedChanges.join(', ')}) on ${result.loop.blockedTicks} tick(s)`,
    ],
    [
      'refused or failed',
      `${result.loop.outcomes['precondition-failed'] ?? 0} precondition, ${result.loop.outcomes.failed ?? 0} failed, ${result.loop.outcomes.skipped ?? 0} skipped`,
    ],
    [
      'spot interruptions',
      `${s.spotInterruptions}; capacity errors ${s.capacityErrors}; MIG failures ${s.migFailures}`,
    ],
  ]
  const models = Object.entries(s.perModel).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const out = [
    heading(
      wrapParagraph(
        `Simulated ${result.scenario}: ${result.start} → ${result.end} (${hours.toFixed(hours < 10 ? 1 : 0)} h, seed ${result.seed}, ${result.loop.ticks} loop ticks of ${result.loop.loopIntervalSeconds}s)`,
        options.width,
      ),
      options.color,
    ),
    `policy: ${result.policy}`,
    '',
    renderTable(['measure', 'value'], rows, {color: options.color, ...(options.width ? {width: options.width} : {})}),
    renderTable(
      ['model', 'requests', 'SLO', 'TTFT p50/p95/p99', 'latency p50/p95/p99'],
      models.map(([name, m]) => [name, m.total, pct(m.sloAttainment), triple(m.ttft), triple(m.latency)]),
      {color: options.color, ...(options.width ? {width: options.width} : {})},
    ),
  ]
  if (result.events) out.push(`event log: ${result.events.entries} entries written to ${result.events.file}\n`)
  return out.join('\n')
}
