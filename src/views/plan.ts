/**
 * Plan → human text: one table per layer, in the order the changes run, with the reasons in words; then blocked
 * changes, targets left alone, and diagnostics. Plain text without color is what the golden files compare.
 */
import {formatDuration} from '../core/model/duration.js'
import type {Change, Diagnostic, Layer, Plan, Target} from '../core/model/plan.js'
import {heading, paint, renderTable, wrapParagraph} from './output.js'

const LAYER_TITLES: Record<Layer, string> = {
  node: 'Node layer (GPU node groups)',
  gpu: 'GPU allocation layer (MIG)',
  pod: 'Pod layer (replicas)',
}
const LAYER_ORDER: Layer[] = ['node', 'gpu', 'pod']

export function renderPlan(plan: Plan, options: {color?: boolean; source?: string; detailed?: boolean} = {}): string {
  const color = options.color ?? false
  const out: string[] = []
  const {summary} = plan
  out.push(heading(`Plan at ${plan.plannedAt}${options.source ? ` for ${options.source}` : ''}`, color))
  out.push(
    wrapParagraph(
      `${summary.changes} change(s): ${summary.byLayer.node} node, ${summary.byLayer.gpu} GPU, ${summary.byLayer.pod} pod; ${summary.blocked} blocked.${plan.inputFingerprint ? ` Input ${plan.inputFingerprint.slice(0, 19)}` : ''}`,
    ) + '\n',
  )
  const planned = plan.changes.filter((c) => c.status === 'planned')
  if (planned.length === 0) out.push('\nNo changes: the cluster matches the policy.\n')
  for (const layer of LAYER_ORDER) {
    const changes = planned.filter((c) => c.layer === layer)
    if (changes.length === 0) continue
    out.push('\n' + heading(LAYER_TITLES[layer], color))
    out.push(
      renderTable(
        ['#', 'Target', 'Change', 'Ready in', 'After', 'Why'],
        changes.map((c) => [
          String(plan.changes.indexOf(c) + 1),
          describeTarget(c.target),
          describeChange(c),
          c.eta ? formatDuration(c.eta.seconds) : '-',
          c.dependsOn.map((id) => String(plan.changes.findIndex((x) => x.id === id) + 1)).join(', ') || '-',
          c.reasons.map((r) => r.message).join('\n'),
        ]),
        {color, wrap: [1, 2, 5], detail: 5},
      ),
    )
  }
  const blocked = plan.changes.filter((c) => c.status === 'blocked')
  if (blocked.length > 0) {
    out.push('\n' + heading(paint('Blocked (would stay pending: not planned)', 'red', color), color))
    out.push(
      renderTable(
        ['Target', 'Wanted', 'Why not'],
        blocked.map((c) => [describeTarget(c.target), describeChange(c), c.reasons.map((r) => r.message).join('\n')]),
        {color, wrap: [0, 1, 2], detail: 2},
      ),
    )
  }
  if (options.detailed) out.push(renderProposals(plan, color))
  if (options.detailed && plan.skipped.length > 0) {
    out.push('\n' + heading('Left alone', color))
    out.push(
      renderTable(
        ['Layer', 'Target', 'Why'],
        plan.skipped.map((s) => [s.layer, describeTarget(s.target), s.reasons.map((r) => r.message).join('\n')]),
        {color, wrap: [1, 2], detail: 2},
      ),
    )
  } else if (plan.skipped.length > 0) {
    out.push(`\n${plan.skipped.length} target(s) left alone (see --detailed or -o json for why).\n`)
  }
  if (plan.diagnostics.length > 0) {
    out.push('\n' + heading('Diagnostics', color))
    out.push(
      renderTable(
        ['Severity', 'About', 'Diagnostic'],
        plan.diagnostics.map((d) => [
          paint(d.severity, d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'dim', color),
          describeSubject(d),
          `${d.code}: ${d.message}`,
        ]),
        {color, wrap: [1, 2]},
      ),
    )
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
        describeTarget(change.target),
        `${p.signal}\n${p.metric}`,
        `${p.value === null ? '-' : String(Math.round(p.value * 1000) / 1000)} / ${p.target}`,
        `${p.aggregation} ${formatDuration(p.windowSeconds)}`,
        p.replicas === null ? '-' : String(p.replicas),
        p.status + (p.signal === decidedBy ? ' (decided)' : '') + (p.note ? `\n${p.note}` : ''),
      ])
    }
  }
  if (rows.length === 0) return ''
  return (
    '\n' +
    heading('Signal proposals (pod layer)', color) +
    renderTable(['Model', 'Signal and metric', 'Value / target', 'Window', 'Proposes', 'Status'], rows, {
      color,
      wrap: [0, 1, 2, 5],
      detail: 5,
    })
  )
}

/**
 * What a diagnostic is about, for people: its target when the core set one; otherwise the model, node or group its
 * evidence names; `cluster` when it is about no one thing.
 */
export function describeSubject(diagnostic: Diagnostic): string {
  if (diagnostic.target) return describeTarget(diagnostic.target)
  const evidence = diagnostic.evidence ?? {}
  for (const [key, label] of [
    ['model', 'model'],
    ['node', 'node'],
    ['group', 'group'],
    ['nodeGroup', 'group'],
  ] as const) {
    const value = evidence[key]
    if (typeof value === 'string') return `${label} ${value}`
  }
  return 'cluster'
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
