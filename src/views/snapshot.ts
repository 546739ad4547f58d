/** What `snapshot` prints: where the snapshot went and what it holds (the service's SnapshotOutcome fits it). */
import type {SnapshotSummary} from '../core/model/snapshot-summary.js'

export function renderSnapshotOutcome(summary: SnapshotSummary): string {
  const c = summary.counts
  const warnings = summary.diagnostics.filter((d) => d.severity !== 'info').length
  return [
    `snapshot saved to ${summary.savedTo}`,
    `source       ${summary.source}`,
    `captured at  ${summary.capturedAt}`,
    `cluster      ${c.nodeGroups} node groups, ${c.nodes} nodes, ${c.pods} pods, ${c.workloads} workloads, ${c.pdbs} PodDisruptionBudgets`,
    `telemetry    ${c.series} series, ${c.samples} samples`,
    ...summary.managedBy.map((m) => `owned by another autoscaler: ${m.workload} (${m.owner})`),
    ...(warnings > 0 ? [`${warnings} diagnostic${warnings === 1 ? '' : 's'} above (stderr)`] : []),
    '',
  ].join('\n')
}
