import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../cli/base-command.js'
import {configFlag, liveFlags} from '../cli/flags.js'
import {UserError} from '../core/errors.js'
import {DEFAULT_SIM_SPEED, watchSim, type WatchOutcome, type WatchSummary, type WatchUpdate} from '../services/watch.js'
import {renderYaml} from '../views/output.js'
import {renderJsonLine, renderWatchSummary, renderWatchUpdate} from '../views/watch.js'

export default class ApplyCommand extends BaseCommand<typeof ApplyCommand> {
  static override summary = 'Apply plans to the cluster: --watch runs the control loop (--sim: on the in-process twin).'

  static override description = describe(
    '`apply --watch` runs the control loop: every --interval it takes the leader Lease (only the holder acts), ' +
      'loads its state, reads the cluster, plans, applies the plan and saves the state with its journal; errors ' +
      'back off; SIGTERM finishes the step in flight, saves the journal and releases the Lease. With --listen it ' +
      'serves /metrics and /healthz.\n\n' +
      '`apply --watch --sim` runs the same loop against the in-process digital twin (the built-in fleet, or ' +
      '--scenario NAME), paced at --speed virtual seconds per wall second (default 600; 0 runs as fast as ' +
      'possible), for --for of virtual time, and shows per tick what it decides and what the fleet does.',
  )

  static override examples = [
    '<%= config.bin %> apply --watch --sim --for 30m',
    '<%= config.bin %> apply --watch --sim --scenario burst --speed 0 --for 1h -o json',
    '<%= config.bin %> apply --watch --sim --listen 127.0.0.1:0',
  ]

  static override flags = {
    config: configFlag,
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

  async run(): Promise<WatchSummary> {
    if (!this.flags.watch)
      throw new UserError('apply without --watch (apply a plan once) is not part of this build', {
        hint: 'run `gpu-scale apply --watch --sim` for the control loop on the twin',
      })
    return this.runWatch()
  }

  /** `apply --watch`: streams one update per tick and ends with the summary. SIGINT/SIGTERM stop it cleanly. */
  private async runWatch(): Promise<WatchSummary> {
    const flags = this.flags
    if (!flags.sim)
      throw new UserError('apply --watch against a live cluster is not part of this build', {
        hint: 'run `gpu-scale apply --watch --sim` for the control loop on the in-process twin',
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
      outcome = await watchSim({
        ...(flags.scenario !== undefined ? {scenario: flags.scenario} : {}),
        ...(flags.config !== undefined ? {config: flags.config} : {}),
        ...(flags.interval !== undefined ? {interval: flags.interval} : {}),
        ...(speed !== undefined ? {speed} : {}),
        ...(flags.for !== undefined ? {for: flags.for} : {}),
        ...(flags.listen !== undefined ? {listen: flags.listen} : {}),
        ...(flags.identity !== undefined ? {identity: flags.identity} : {}),
        signal: abort.signal,
        onUpdate: (update) => this.print(update),
        onListening: (url) => this.info(`serving /metrics and /healthz on ${url}`),
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
