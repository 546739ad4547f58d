import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {EXIT, exitCodes} from '../core/exit-codes.js'
import type {FailIfEvaluation, SimulationReport} from '../core/simulate/index.js'
import {BASELINE_NAMES} from '../core/simulate/baselines.js'
import {TRACE_FORMATS} from '../core/traces/index.js'
import {simulate, type SimulateResult} from '../services/simulate.js'
import {simulateTrace} from '../services/simulate-trace.js'
import {startProgress} from '../views/progress.js'
import {renderReportHtml} from '../views/report-html.js'
import {renderSimulate} from '../views/simulate-run.js'
import {renderSimulation} from '../views/simulate.js'

export default class SimulateCommand extends BaseCommand<typeof SimulateCommand> {
  static override summary =
    'Run a scenario on the digital twin with gpu-scale in the loop, and summarize SLO, latency, cost and scaling.'

  static override exitCodes = exitCodes([EXIT.gateFailed, 'a --fail-if gate failed'])

  static override description = describe(
    'With --trace: replays recorded traffic (per-request CSV, Azure LLM, Mooncake JSON lines, rate CSV, Alibaba ' +
      'qps.csv) in the fleet of your config (-c) with gpu-scale in the loop, once per policy — yours, --against ' +
      'old.yaml, and built-in baselines with their real defaults (hpa-gpu-util, keda-queue, reactive-nodes, ' +
      'static-peak) — and beside the oracle (the fewest GPU-hours that meet the SLO paying every cold start). ' +
      'Prints SLO attainment (TTFT and TPOT), latency percentiles, GPU-hours and cost, regret against the oracle, ' +
      'pending pods, actions and flaps, burst recovery; --report writes an HTML report; --fail-if gates CI (exit 3).\n\n' +
      'Runs a scenario (a shipped one by name: seed-production, burst, diurnal-day, llm-fleet-mixed, memory-bound, ' +
      'spot-storm; or a scenario file) on the discrete-event twin. Every loop interval of virtual time gpu-scale plans ' +
      "the twin's snapshot with the policy (-c FILE, or the scenario's own) and executes the plan with real delays: " +
      'nodes serve after provisioning and driver init, replicas after weight load, MIG changes after drain and ' +
      'reconfiguration. Prints SLO attainment, latency and TTFT percentiles, GPU-hours and cost, pending-pod minutes, ' +
      'cold starts, scaling actions and flaps, and blocked changes. One seed gives the same run every time.',
  )

  static override examples = [
    '<%= config.bin %> simulate --scenario seed-production --for 2h',
    '<%= config.bin %> simulate --scenario seed-production -c gpu-scale.yaml --for 12h -o json',
    '<%= config.bin %> simulate --scenario burst --seed 7 --events burst.jsonl',
    '<%= config.bin %> simulate -c gpu-scale.yaml --trace last-week.csv --baseline hpa-gpu-util --baseline oracle',
    '<%= config.bin %> simulate -c new.yaml --against old.yaml --trace llama-8b=azure_conv.csv --peak-replicas 32 --seeds 3 --report report.html --fail-if "slo < 99.5" --fail-if "gpu_hours > 1.1 * against"',
  ]

  static override flags = {
    scenario: Flags.string({
      summary: 'A shipped scenario name or a scenario file (YAML); with --trace, the trace replaces its load.',
      env: 'GPU_SCALE_SCENARIO',
    }),
    config: Flags.string({
      char: 'c',
      summary: "Policy config to run in the loop (default: the scenario's own policy).",
      env: 'GPU_SCALE_CONFIG',
    }),
    for: Flags.string({summary: "How much virtual time to run (30m, 2h, 24h; default: the scenario's duration)."}),
    seed: Flags.integer({summary: "Random seed (default: the scenario's; with --trace, 1).", min: 0}),
    events: Flags.string({
      summary: 'Write the event log here as JSON lines (infra events and every request).',
      exclusive: ['trace'],
    }),
    trace: Flags.string({
      summary: 'Replay this trace (FILE, or MODEL=FILE to put it on one model; repeat for several).',
      multiple: true,
      helpGroup: 'TRACE',
    }),
    'trace-format': Flags.string({
      summary: 'The trace layout (default: detected from its first line).',
      options: [...TRACE_FORMATS],
      helpGroup: 'TRACE',
    }),
    model: Flags.string({
      summary: 'Put every request of a trace with no model column on this model.',
      helpGroup: 'TRACE',
    }),
    'rate-scale': Flags.string({
      summary: 'Multiply the request rate (2, 0.5).',
      helpGroup: 'TRACE',
      exclusive: ['peak-replicas'],
    }),
    'peak-replicas': Flags.integer({
      summary: 'Scale the rate so the busiest minute needs this many replicas at SLO capacity.',
      min: 1,
      helpGroup: 'TRACE',
    }),
    shift: Flags.string({summary: "Shift the trace's times later by this much (10m).", helpGroup: 'TRACE'}),
    window: Flags.string({summary: 'Replay only FROM..TO of the trace (1h..2h, ..30m).', helpGroup: 'TRACE'}),
    'skip-bad-rows': Flags.boolean({
      summary: 'Skip and count malformed rows instead of failing on the first.',
      helpGroup: 'TRACE',
    }),
    requests: Flags.string({
      summary:
        'How the twin simulates requests: auto (fluid for rate-series traces, sampled for per-request ones), sampled (one by one) or fluid (as a flow per model; a per-request trace as its rate series).',
      options: ['auto', 'sampled', 'fluid'],
      helpGroup: 'TRACE',
      dependsOn: ['trace'],
    }),
    against: Flags.string({
      summary: 'Also replay this older policy config, as the "against" row.',
      helpGroup: 'TRACE',
      dependsOn: ['trace'],
    }),
    baseline: Flags.string({
      summary: 'Compare with a built-in baseline (repeat for several).',
      options: [...BASELINE_NAMES],
      multiple: true,
      helpGroup: 'TRACE',
      dependsOn: ['trace'],
    }),
    seeds: Flags.integer({
      summary: 'Replay with this many seeds and report the spread.',
      min: 1,
      helpGroup: 'TRACE',
      dependsOn: ['trace'],
    }),
    report: Flags.string({
      summary: 'Write a self-contained HTML report here.',
      helpGroup: 'TRACE',
      dependsOn: ['trace'],
    }),
    'fail-if': Flags.string({
      summary: 'Exit 3 when this holds for your policy ("slo < 99.5", "gpu_hours > 1.1 * against"); repeatable.',
      multiple: true,
    }),
  }

  async run(): Promise<SimulateResult | SimulationReport> {
    if (this.flags.trace) return this.runTrace(this.flags.trace)
    if (!this.flags.scenario)
      throw new UserError('simulate needs --scenario NAME|FILE or --trace FILE', {
        hint: 'gpu-scale simulate --scenario seed-production, or gpu-scale simulate -c gpu-scale.yaml --trace traffic.csv',
      })
    const scenario = this.flags.scenario
    const progress = startProgress(`simulating ${scenario}`)
    let outcome
    try {
      outcome = await simulate({
        scenario,
        config: this.flags.config,
        for: this.flags.for,
        seed: this.flags.seed,
        events: this.flags.events,
        failIf: this.flags['fail-if'] ?? [],
        onProgress: progress.update,
      })
    } finally {
      progress.stop()
    }
    this.reportProblems(outcome.warnings)
    this.output(outcome.result, (r, color) => renderSimulate(r, {color}))
    this.gate(outcome.result.failIf)
    return outcome.result
  }

  private async runTrace(traces: string[]): Promise<SimulationReport> {
    const f = this.flags
    const rateScale = f['rate-scale'] === undefined ? undefined : Number(f['rate-scale'])
    if (rateScale !== undefined && !(rateScale > 0 && Number.isFinite(rateScale)))
      throw new UserError(`--rate-scale ${f['rate-scale']} is not a positive number`)
    const progress = startProgress(`replaying ${traces.join(', ')}`)
    let outcome
    try {
      outcome = await simulateTrace({
        traces,
        ...(f.config !== undefined ? {config: f.config} : {}),
        ...(f.scenario !== undefined ? {scenario: f.scenario} : {}),
        ...(f['trace-format'] !== undefined ? {traceFormat: f['trace-format']} : {}),
        ...(f.model !== undefined ? {model: f.model} : {}),
        ...(rateScale !== undefined ? {rateScale} : {}),
        ...(f['peak-replicas'] !== undefined ? {peakReplicas: f['peak-replicas']} : {}),
        ...(f.shift !== undefined ? {shift: f.shift} : {}),
        ...(f.window !== undefined ? {window: f.window} : {}),
        skipBadRows: f['skip-bad-rows'],
        ...(f.against !== undefined ? {against: f.against} : {}),
        baselines: f.baseline ?? [],
        ...(f.seeds !== undefined ? {seeds: f.seeds} : {}),
        ...(f.seed !== undefined ? {seed: f.seed} : {}),
        ...(f.for !== undefined ? {for: f.for} : {}),
        failIf: f['fail-if'] ?? [],
        ...(f.requests !== undefined ? {requests: f.requests} : {}),
        ...(f.report !== undefined
          ? {
              report: {
                path: f.report,
                render: (report, failIf) =>
                  renderReportHtml(report, {
                    title: `gpu-scale simulate: ${traces.join(', ')}`,
                    ...(failIf ? {failIf} : {}),
                  }),
              },
            }
          : {}),
        onProgress: progress.update,
      })
    } finally {
      progress.stop()
    }
    this.reportProblems(outcome.warnings)
    for (const note of outcome.notes) this.info(note)
    const failIf = outcome.failIf
    this.output(outcome.report, (r, color) => renderSimulation(r, {color, ...(failIf ? {failIf} : {})}))
    this.gate(failIf)
    return outcome.report
  }

  /** `--fail-if`'s verdict: the one line a CI log shows (stdout keeps exactly the typed result), exit 3 on a fail. */
  private gate(failIf: FailIfEvaluation | undefined): void {
    if (!failIf) return
    this.info(failIf.summary)
    if (!failIf.passed) this.exitWith(EXIT.gateFailed)
  }
}
