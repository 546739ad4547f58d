/**
 * Plan → human text: one table per layer, in the order the changes run, with the reasons in words; then blocked
 * changes, targets left alone, and diagnostics. Plain text without color is what the golden files compare.
 */
import {formatDuration} from '../core/model/duration.js'
import type {Change, Layer, Plan, Target} from '../core/model/plan.js'
import {heading, paint, renderTable} from './output.js'

const LAYER_TITLES: Record<Layer, string> = {node: 'Node layer (GPU node groups)', gpu: 'GPU allocation layer (MIG)', pod: 'Pod layer (replicas)'}
const LAYER_ORDER: Layer[] = ['node', 'gpu', 'pod']

export function renderPlan(plan: Plan, options: {color?: boolean; source?: string; detailed?: boolean} = {}): string {
  const color = options.color ?? false
  const out: string[] = []
  const {summary} = plan
  out.push(heading(`Plan at ${plan.plannedAt}${options.source ? ` for ${options.source}` : ''}`, color))
  out.push(`${summary.changes} change(s): ${summary.byLayer.node} node, ${summary.byLayer.gpu} GPU, ${summary.byLayer.pod} pod; ${summary.blocked} blocked.${plan.inputFingerprint ? ` Input ${plan.inputFingerprint.slice(0, 19)}` : ''}\n`)
  const planned = plan.changes.filter((c) => c.status === 'planned')
  if (planned.length === 0) out.push('\nNo changes: the cluster matches the policy.\n')
  for (const layer of LAYER_ORDER) {
    const changes = planned.filter((c) => c.layer === layer)
    if (changes.length === 0) continue
    out.push('\n' + heading(LAYER_TITLES[layer], color))
    out.push(renderTable(['#', 'Target', 'Change', 'Ready in', 'After', 'Why'], changes.map((c) => [
      String(plan.changes.indexOf(c) + 1),
      describeTarget(c.target),
      describeChange(c),
      c.eta ? formatDuration(c.eta.seconds) : '-',
      c.dependsOn.map((id) => String(plan.changes.findIndex((x) => x.id === id) + 1)).join(', ') || '-',
      c.reasons.map((r) => r.message).join('\n'),
    ]), {color, colWidths: [4, 24, 22, 10, 7, 72]}))
  }
  const blocked = plan.changes.filter((c) => c.status === 'blocked')
  if (blocked.length > 0) {
    out.push('\n' + heading(paint('Blocked (would stay pending: not planned)', 'red', color), color))
    out.push(renderTable(['Target', 'Wanted', 'Why not'], blocked.map((c) => [describeTarget(c.target), describeChange(c), c.reasons.map((r) => r.message).join('\n')]), {color, colWidths: [24, 22, 93]}))
  }
  if (options.detailed) out.push(renderProposals(plan, color))
  if (options.detailed && plan.skipped.length > 0) {
    out.push('\n' + heading('Left alone', color))
    out.push(renderTable(['Layer', 'Target', 'Why'], plan.skipped.map((s) => [s.layer, describeTarget(s.target), s.reasons.map((r) => r.message).join('\n')]), {color, colWidths: [7, 32, 100]}))
  } else if (plan.skipped.length > 0) {
    out.push(`\n${plan.skipped.length} target(s) left alone (see --detailed or -o json for why).\n`)
  }
  if (plan.diagnostics.length > 0) {
    out.push('\n' + heading('Diagnostics', color))
    for (const d of plan.diagnostics) out.push(`  ${paint(d.severity.padEnd(7), d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'dim', color)} ${d.code}: ${d.message}\n`)
  }
  return out.join('')
}

/** Every signal's proposal for each model the plan changes, and which one decided (the pod layer's evidence). */
function renderProposals(plan: Plan, color: boolean): string {
  const rows: string[][] = []
  for (const change of plan.changes) {
    if (change.action !== 'scale-replicas' || change.status === 'blocked' || !change.signals) continue
    const {proposals, decidedBy} = change.signals
    for (const p of proposals) {
      rows.push([
        describeTarget(change.target), p.signal, p.metric,
        p.value === null ? '-' : String(Math.round(p.value * 1000) / 1000),
        String(p.target), `${p.aggregation} ${formatDuration(p.windowSeconds)}`,
        p.replicas === null ? '-' : String(p.replicas),
        p.status + (p.signal === decidedBy ? ' (decided)' : '') + (p.note ? `\n${p.note}` : ''),
      ])
    }
  }
  if (rows.length === 0) return ''
  return '\n' + heading('Signal proposals (pod layer)', color) + renderTable(['Model', 'Signal', 'Metric', 'Value', 'Target', 'Window', 'Proposes', 'Status'], rows, {color, colWidths: [19, 14, 30, 8, 8, 9, 10, 40]})
}

export function describeTarget(target: Target): string {
  if (target.kind === 'Deployment' || target.kind === 'StatefulSet') return `${target.namespace}/${target.name}`
  if (target.kind === 'GPU') return `${target.node}/gpu${target.gpu}`
  return `${target.kind === 'NodeGroup' ? 'group ' : ''}${target.name}`
}

export function describeChange(change: Change): string {
  switch (change.action) {
    case 'scale-replicas':
      return `replicas ${change.from} → ${change.to}`
    case 'scale-node-group':
      return `nodes ${change.from} → ${change.to}`
    case 'remove-node':
      return `remove (group ${change.from} → ${change.to})`
    case 'repartition-gpu':
      // The layouts are in the reasons; the column shows the mig-parted config the node is set to.
      return `MIG → ${change.payload.migConfig}`
  }
}
