import {Flags} from '@oclif/core'

import {EXIT, exitCodes} from '../core/exit-codes.js'
import type {Plan} from '../core/model/plan.js'
import {createPlan, hasChanges} from '../services/plan.js'
import {renderPlan} from '../views/plan.js'
import {BaseCommand, describe} from '../cli/base-command.js'
import {clusterInputFlags, toLiveRequest} from '../cli/flags.js'

const EXIT_CODES = exitCodes([EXIT.ok, 'success; with --detailed-exitcode: the plan has no changes'], EXIT.changes)

export default class PlanCommand extends BaseCommand<typeof PlanCommand> {
  static override summary = 'Show the replica, node and MIG changes gpu-scale would make, and why (a dry run).'

  static override exitCodes = EXIT_CODES
  static override description = describe(
    'Computes one coordinated plan for the three layers from the live cluster (the kubeconfig as kubectl finds it, ' +
      'and Prometheus with --prometheus), a cluster snapshot (--snapshot), or the built-in simulated cluster (--sim): replicas per model from their signals, MIG repartitions of idle GPUs, GPU node-group scale-up ' +
      '(reactive and predictive) and scale-down. Every change and every target left alone carries its reasons; ' +
      'replicas no capacity can host are shown as blocked changes. The plan is deterministic: the same config and ' +
      'snapshot give byte-identical JSON.',
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> plan --sim',
    '<%= config.bin %> plan -c gpu-scale.yaml --context prod --prometheus http://prometheus.monitoring:9090   # live',
    '<%= config.bin %> plan -c gpu-scale.yaml --snapshot snapshot.json -o json',
    '<%= config.bin %> plan -c gpu-scale.yaml --snapshot snapshot.json --detailed-exitcode   # CI gate: 2 when changes',
    '<%= config.bin %> plan --sim --out plan.json',
    '<%= config.bin %> plan --sim --scenario seed-production --at 35m   # the twin 35 min into the scenario, with its history',
  ]

  static override flags = {
    ...clusterInputFlags,
    out: Flags.string({
      summary: 'Also save the plan as JSON to this file (the same bytes -o json prints).',
      env: 'GPU_SCALE_PLAN_OUT',
    }),
    'detailed-exitcode': Flags.boolean({
      summary: 'Exit 0 when the plan has no changes, 2 when it has changes, 1 on error.',
    }),
    detailed: Flags.boolean({summary: 'Also list every target left alone, with why.'}),
  }

  async run(): Promise<Plan> {
    const {plan, source, warnings, savedTo} = await createPlan({
      ...this.flags,
      ...toLiveRequest(this.flags),
    })
    // The live readers' diagnostics are in the plan itself (its Diagnostics section, or -o json), not on stderr.
    this.reportProblems(warnings)
    if (savedTo) this.info(`plan saved to ${savedTo}`)
    this.output(plan, (p, color) => renderPlan(p, {color, source, detailed: this.flags.detailed}))
    if (this.flags['detailed-exitcode']) this.exitWith(hasChanges(plan) ? EXIT.changes : EXIT.ok)
    return plan
  }
}
