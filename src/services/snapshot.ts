/**
 * The snapshot use case: capture a live cluster (or the built-in simulated one with --sim) in the ClusterSnapshot
 * format and save it, so `plan --snapshot FILE` later plans exactly what a live `plan` saw. The snapshot holds
 * object names, counts, labels, times and telemetry samples; no Secret, no environment value, no token.
 */
import {UserError} from '../core/errors.js'
import type {Problem} from '../core/errors.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import type {SnapshotSummary} from '../core/model/snapshot-summary.js'
import {defaultScenario} from '../core/sim/default-scenario.js'
import {formatTimestamp} from '../core/model/duration.js'
import {loadConfigFile} from '../adapters/config-file.js'
import type {LiveDiagnostic} from '../adapters/live-diagnostic.js'
import {writeSnapshotFile} from '../adapters/snapshot-file.js'
import {captureLiveCluster, type LiveFlags} from './live-cluster.js'
import {DEFAULT_CONFIG_PATH} from './plan-inputs.js'

export interface SnapshotRequest extends LiveFlags {
  config?: string
  sim?: boolean
  out: string
}

/** What `snapshot -o json` prints: the summary, with the live diagnostics and the config's warnings. */
export interface SnapshotOutcome extends SnapshotSummary {
  diagnostics: LiveDiagnostic[]
  warnings: Problem[]
}

export async function captureSnapshot(request: SnapshotRequest): Promise<SnapshotOutcome> {
  let snapshot: ClusterSnapshot
  let diagnostics: LiveDiagnostic[] = []
  let warnings: Problem[] = []
  let source: string
  if (request.sim) {
    if (request.kubeconfig || request.context || request.prometheus)
      throw new UserError(
        '--sim captures the built-in simulated cluster; it takes no --kubeconfig, --context or --prometheus',
        {hint: 'drop --sim to capture a live cluster'},
      )
    snapshot = defaultScenario().snapshot
    source = 'built-in simulated cluster'
  } else {
    const configPath = request.config ?? DEFAULT_CONFIG_PATH
    const loaded = await loadConfigFile(configPath)
    warnings = loaded.warnings
    const live = await captureLiveCluster(loaded.config, request)
    ;({snapshot, diagnostics, source} = live)
  }
  await writeSnapshotFile(request.out, snapshot)
  return {
    savedTo: request.out,
    source,
    capturedAt: formatTimestamp(snapshot.capturedAt),
    counts: {
      nodeGroups: snapshot.nodeGroups.length,
      nodes: snapshot.nodes.length,
      pods: snapshot.pods.length,
      workloads: snapshot.workloads.length,
      pdbs: snapshot.pdbs.length,
      series: snapshot.telemetry.length,
      samples: snapshot.telemetry.reduce((n, s) => n + s.samples.length, 0),
    },
    managedBy: snapshot.workloads.flatMap((w) =>
      w.managedBy ? [{workload: `${w.kind}/${w.namespace}/${w.name}`, owner: w.managedBy}] : [],
    ),
    diagnostics,
    warnings,
  }
}
