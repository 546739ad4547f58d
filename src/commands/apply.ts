import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'

import {EXIT, exitCodes} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'
import {parseDuration} from '../core/model/duration.js'
import type {Change} from '../core/model/plan.js'
import {applyOnce, type ApplyOutcome, type ApplyRequest} from '../services/apply.js'
import {renderApply, startApplyProgress} from '../views/apply.js'
import {BaseCommand, describe} from '../cli/base-command.js'
import {configFlag, liveFlags, toLiveRequest} from '../cli/flags.js'

const EXIT_CODES = exitCodes(
  [EXIT.ok, 'success: every change applied (or already applied by an earlier run)'],
  [EXIT.error, 'error: bad input, unreachable cluster, or a change failed (rerun to finish)'],
  [
    EXIT.refused,
    'refused: a stale precondition, a workload owned by an HPA or ScaledObject, or a destructive step without consent',
  ],
)

export default class ApplyCommand extends BaseCommand<typeof ApplyCommand> {
  static override summary = 'Apply the plan to the live cluster: replicas, node groups and MIG layouts, safely.'

  static override exitCodes = EXIT_CODES
  static override description = describe(
    `Plans the live cluster (as \`plan\` does) or reads a saved plan (--plan), then executes its changes in the
plan's order: replicas through the scale subresource, node groups through each group's actuator (config
nodeGroups[].actuator: a Cluster API MachineDeployment, headroom placeholder pods, or a command), MIG by cordon →
evictions (respecting PodDisruptionBudgets) → the nvidia.com/mig.config label → waiting for
nvidia.com/mig.config.state=success → uncordon. Each change's preconditions are checked against the live
objects right before it acts.

Without a TTY, scale-downs and node removals need --yes or --allow-scale-down, MIG reconfigurations --yes or
--allow-mig-reconfig; on a TTY gpu-scale asks. A workload that an HPA or KEDA ScaledObject targets is refused
unless --hpa-mode drive, which sets that owner's min/max instead. Every finished change is journaled in the
ConfigMap gpu-scale-state (in -n/--namespace): a rerun after a crash or a failure finishes the job without
repeating finished steps.`,
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> apply -c gpu-scale.yaml --prometheus http://prometheus.monitoring:9090   # plan, ask, apply',
    '<%= config.bin %> apply -c gpu-scale.yaml --plan plan.json --yes   # a reviewed plan, from CI or cron',
    '<%= config.bin %> apply -c gpu-scale.yaml --allow-scale-down --replan -o json',
    '<%= config.bin %> apply -c gpu-scale.yaml --hpa-mode drive   # pin existing HPAs to the planned counts',
  ]

  static override flags = {
    config: configFlag,
    plan: Flags.string({
      summary: 'Apply this saved plan (gpu-scale plan --out FILE) instead of planning now.',
      env: 'GPU_SCALE_PLAN',
    }),
    yes: Flags.boolean({char: 'y', summary: 'Consent to every destructive step (scale-down, node removal, MIG).'}),
    'allow-scale-down': Flags.boolean({summary: 'Consent to replica scale-downs and node removals.'}),
    'allow-mig-reconfig': Flags.boolean({summary: 'Consent to MIG repartitions (cordon, evictions, relabel).'}),
    replan: Flags.boolean({
      summary: 'When a precondition no longer holds, plan again from the cluster and apply that.',
    }),
    'hpa-mode': Flags.option({
      summary: "A workload an HPA or ScaledObject targets: refuse it, or drive that owner's min/max.",
      options: ['refuse', 'drive'] as const,
      default: 'refuse',
      env: 'GPU_SCALE_HPA_MODE',
    })(),
    'mig-timeout': Flags.string({
      summary: 'How long to wait for nvidia.com/mig.config.state=success before failing (the node stays cordoned).',
      default: '10m',
      env: 'GPU_SCALE_MIG_TIMEOUT',
    }),
    ...liveFlags,
  }

  async run(): Promise<ApplyOutcome> {
    // `apply --watch` branches here (another mode of this command); this is `apply` once.
    return this.applyOnce()
  }

  private async applyOnce(): Promise<ApplyOutcome> {
    const flags = this.flags
    const migTimeout = parseDuration(flags['mig-timeout'])
    if (migTimeout === undefined || migTimeout <= 0)
      throw new UserError(`--mig-timeout ${flags['mig-timeout']} is not a duration`, {hint: 'use 10m, 600s, 1h'})
    const progress = startApplyProgress()
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY)
    const request: ApplyRequest = {
      ...toLiveRequest(flags),
      ...(flags.config ? {config: flags.config} : {}),
      ...(flags.plan ? {plan: flags.plan} : {}),
      yes: flags.yes,
      allowScaleDown: flags['allow-scale-down'],
      allowMigReconfig: flags['allow-mig-reconfig'],
      replan: flags.replan,
      hpaMode: flags['hpa-mode'],
      migTimeoutSeconds: migTimeout,
      log: (line) => progress.line(line),
      ...(interactive
        ? {
            confirm: async (changes: readonly Change[]) => {
              progress.stop()
              return confirm(changes)
            },
          }
        : {}),
    }
    let result
    try {
      result = await applyOnce(request)
    } finally {
      progress.stop()
    }
    this.reportProblems([], result.diagnostics)
    this.output(result.outcome, (o, color) => renderApply(o, {color}))
    if (result.outcome.exitCode !== EXIT.ok) this.exitWith(result.outcome.exitCode)
    return result.outcome
  }
}

/** Asks once on the terminal for the destructive changes no flag consented to. */
async function confirm(changes: readonly Change[]): Promise<boolean> {
  const rl = createInterface({input: process.stdin, output: process.stderr})
  try {
    process.stderr.write('These changes are destructive:\n')
    for (const c of changes) process.stderr.write(`  ${c.id}: ${c.action} ${c.from} → ${c.to}\n`)
    const answer = await rl.question('Apply them? [y/N] ')
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}
