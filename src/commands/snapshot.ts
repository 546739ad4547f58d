import {Flags} from '@oclif/core'

import {EXIT, exitCodes} from '../core/exit-codes.js'
import {captureSnapshot, type SnapshotOutcome} from '../services/snapshot.js'
import {renderSnapshotOutcome} from '../views/snapshot.js'
import {BaseCommand, describe} from '../cli/base-command.js'
import {configFlag, liveFlags, simFlag, toLiveRequest} from '../cli/flags.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success: the snapshot was saved'])

export default class SnapshotCommand extends BaseCommand<typeof SnapshotCommand> {
  static override summary = 'Capture the live cluster, its telemetry windows and controller state as a snapshot file.'

  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Reads the nodes (GPU capacity, GPU Feature Discovery and MIG labels), the pods and workloads the config names, ' +
      'PodDisruptionBudgets, Cluster API MachineDeployments, and the HPAs and KEDA ScaledObjects that target a ' +
      'configured workload, plus exactly the Prometheus series the config needs over their windows, and saves them ' +
      'in the ClusterSnapshot format that `plan --snapshot` reads: that plan equals a live `plan` at the same ' +
      'instant. No Secret, environment value or token is written. --sim captures the built-in simulated cluster.',
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> snapshot -c gpu-scale.yaml --prometheus http://prometheus.monitoring:9090 --out snapshot.json',
    '<%= config.bin %> snapshot --context prod -c gpu-scale.yaml --out snapshot.yaml   # YAML by the extension',
    '<%= config.bin %> snapshot --sim --out sim.json',
  ]

  static override flags = {
    out: Flags.string({
      summary: 'File to save the snapshot to (JSON, or YAML when it ends in .yaml/.yml).',
      required: true,
      env: 'GPU_SCALE_SNAPSHOT_OUT',
    }),
    config: configFlag,
    sim: simFlag,
    ...liveFlags,
  }

  async run(): Promise<SnapshotOutcome> {
    const outcome = await captureSnapshot({
      ...toLiveRequest(this.flags),
      out: this.flags.out,
      ...(this.flags.config ? {config: this.flags.config} : {}),
      ...(this.flags.sim ? {sim: true} : {}),
    })
    this.reportProblems(outcome.warnings, outcome.diagnostics)
    this.output(outcome, (o) => renderSnapshotOutcome(o))
    return outcome
  }
}
