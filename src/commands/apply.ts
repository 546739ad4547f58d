import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'

import {EXIT, exitCodes} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'
import {parseDuration} from '../core/model/duration.js'
import type {Change} from '../core/model/plan.js'
import {applyOnce, type ApplyOutcome, type ApplyRequest} from '../services/apply.js'
import {
  DEFAULT_SIM_SPEED,
  watchLive,
  watchSim,
  type WatchOutcome,
  type WatchSummary,
  type WatchUpdate,
} from '../services/watch.js'
import {renderApply, startApplyProgress} from '../views/apply.js'
import {renderYaml} from '../views/output.js'
import {renderJsonLine, renderWatchSummary, renderWatchUpdate} from '../views/watch.js'
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
repeating finished steps.

--watch runs the control loop instead: every --interval it takes the leader Lease (only the holder acts), loads its
state, reads the cluster, plans, applies the plan (with the same consent and HPA rules) and saves the state with
its journal; errors back off; SIGTERM finishes the step in flight, saves the journal and releases the Lease. It
logs JSON lines on stderr and, with --listen, serves /metrics and /healthz. --watch --sim runs the same loop on the
in-process digital twin (the built-in fleet, or --scenario), paced at --speed virtual seconds per wall second
(default ${DEFAULT_SIM_SPEED}; 0 = as fast as possible) for --for of virtual time, and shows per tick what it decides
and what the fleet does.`,
    EXIT_CODES,
  )

  static override examples = [
    '<%= config.bin %> apply -c gpu-scale.yaml --prometheus http://prometheus.monitoring:9090   # plan, ask, apply',
    '<%= config.bin %> apply -c gpu-scale.yaml --plan plan.json --yes   # a reviewed plan, from CI or cron',
    '<%= config.bin %> apply -c gpu-scale.yaml --allow-scale-down --replan -o json',
    '<%= config.bin %> apply -c gpu-scale.yaml --hpa-mode drive   # pin existing HPAs to the planned counts',
    '<%= config.bin %> apply --watch --sim --for 30m   # the control loop on the twin, tick by tick',
    '<%= config.bin %> apply --watch -c gpu-scale.yaml --prometheus http://prometheus.monitoring:9090 --yes --listen 0.0.0.0:9090',
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
    // ---- apply --watch: the control loop (src/services/watch.ts) ------------------------------------------------
    watch: Flags.boolean({summary: 'Run continuously: the control loop, with leader election.', helpGroup: 'WATCH'}),
    interval: Flags.string({
      summary: "Time between two ticks (30s, 1m; default: the config's settings.loopInterval).",
      env: 'GPU_SCALE_INTERVAL',
      helpGroup: 'WATCH',
    }),
    sim: Flags.boolean({
      summary: 'Run against the in-process digital twin instead of a cluster.',
      env: 'GPU_SCALE_SIM',
      helpGroup: 'WATCH',
    }),
    speed: Flags.string({
      summary: `With --sim: virtual seconds per wall second (default ${DEFAULT_SIM_SPEED}; 0 = as fast as possible).`,
      helpGroup: 'WATCH',
    }),
    for: Flags.string({
      summary: "How long to run (30m, 2h): virtual time with --sim (default: the scenario's duration); forever live.",
      helpGroup: 'WATCH',
    }),
    scenario: Flags.string({
      summary: 'With --sim: a shipped scenario name or a scenario file (default: the built-in fleet).',
      helpGroup: 'WATCH',
    }),
    listen: Flags.string({
      summary: 'Serve /metrics and /healthz on HOST:PORT (port 0: a free one, printed on stderr).',
      env: 'GPU_SCALE_LISTEN',
      helpGroup: 'WATCH',
    }),
    'lease-name': Flags.string({
      summary: 'Name of the coordination.k8s.io Lease for leader election.',
      default: 'gpu-scale-controller',
      env: 'GPU_SCALE_LEASE_NAME',
      helpGroup: 'WATCH',
    }),
    'lease-namespace': Flags.string({
      summary: "Namespace of the Lease (default: -n, else the context's namespace).",
      env: 'GPU_SCALE_LEASE_NAMESPACE',
      helpGroup: 'WATCH',
    }),
    identity: Flags.string({
      summary: 'This replica in the Lease (default: hostname-pid; in a pod, set it to the pod name).',
      env: 'GPU_SCALE_IDENTITY',
      helpGroup: 'WATCH',
    }),
  }

  async run(): Promise<ApplyOutcome | WatchSummary> {
    if (this.flags.watch) return this.runWatch()
    if (this.flags.sim)
      throw new UserError('apply --sim runs only with --watch', {hint: 'run `gpu-scale apply --watch --sim`'})
    return this.applyOnce()
  }

  private async applyOnce(): Promise<ApplyOutcome> {
    const flags = this.flags
    const migTimeout = this.migTimeout()
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

  private migTimeout(): number {
    const value = this.flags['mig-timeout']
    const seconds = parseDuration(value)
    if (seconds === undefined || seconds <= 0)
      throw new UserError(`--mig-timeout ${value} is not a duration`, {hint: 'use 10m, 600s, 1h'})
    return seconds
  }

  /** `apply --watch`: streams one update per tick and ends with the summary. SIGINT/SIGTERM stop it cleanly. */
  private async runWatch(): Promise<WatchSummary> {
    const flags = this.flags
    if (!flags.sim && (flags.scenario !== undefined || flags.speed !== undefined))
      throw new UserError(`--${flags.scenario !== undefined ? 'scenario' : 'speed'} needs --sim`, {
        hint: 'run `gpu-scale apply --watch --sim ...` for the twin; live, the loop runs in real time on the cluster',
      })
    const speed = flags.speed === undefined ? undefined : Number(flags.speed)
    if (speed !== undefined && (flags.speed?.trim() === '' || !Number.isFinite(speed) || speed < 0))
      throw new UserError(`--speed ${flags.speed} is not a number ≥ 0`, {
        hint: 'virtual seconds per wall second: 60, 600, or 0 for as fast as possible',
      })
    const abort = new AbortController()
    const stop = () => abort.abort(new Error('stopped by a signal'))
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    let outcome: WatchOutcome
    try {
      const common = {
        ...(flags.config !== undefined ? {config: flags.config} : {}),
        ...(flags.interval !== undefined ? {interval: flags.interval} : {}),
        ...(flags.for !== undefined ? {for: flags.for} : {}),
        ...(flags.listen !== undefined ? {listen: flags.listen} : {}),
        ...(flags.identity !== undefined ? {identity: flags.identity} : {}),
        signal: abort.signal,
        onUpdate: (update: WatchUpdate) => this.print(update),
        onListening: (url: string) => this.info(`serving /metrics and /healthz on ${url}`),
      }
      outcome = flags.sim
        ? await watchSim({
            ...common,
            ...(flags.scenario !== undefined ? {scenario: flags.scenario} : {}),
            ...(speed !== undefined ? {speed} : {}),
          })
        : await watchLive({
            ...common,
            ...toLiveRequest(flags),
            leaseName: flags['lease-name'],
            ...(flags['lease-namespace'] !== undefined ? {leaseNamespace: flags['lease-namespace']} : {}),
            yes: flags.yes,
            allowScaleDown: flags['allow-scale-down'],
            allowMigReconfig: flags['allow-mig-reconfig'],
            hpaMode: flags['hpa-mode'],
            migTimeoutSeconds: this.migTimeout(),
            jsonLogs: true,
          })
    } finally {
      process.removeListener('SIGINT', stop)
      process.removeListener('SIGTERM', stop)
    }
    this.reportProblems(outcome.warnings)
    this.print(outcome.summary)
    return outcome.summary
  }

  private print(value: WatchUpdate | WatchSummary): void {
    const text =
      this.format === 'json'
        ? renderJsonLine(value)
        : this.format === 'yaml'
          ? `---\n${renderYaml(value)}`
          : value.type === 'summary'
            ? '\n' + renderWatchSummary(value, this.color)
            : renderWatchUpdate(value, this.color)
    process.stdout.write(text)
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
