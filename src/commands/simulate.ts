import {Flags} from '@oclif/core'

import {BaseCommand, describe} from '../cli/base-command.js'
import {simulate, type SimulateResult} from '../services/simulate.js'
import {startProgress} from '../views/progress.js'
import {renderSimulate} from '../views/simulate-run.js'

export default class SimulateCommand extends BaseCommand<typeof SimulateCommand> {
  static override summary =
    'Run a scenario on the digital twin with gpu-scale in the loop, and summarize SLO, latency, cost and scaling.'

  static override description = describe(
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
  ]

  static override flags = {
    scenario: Flags.string({
      summary: 'A shipped scenario name or a scenario file (YAML).',
      required: true,
      env: 'GPU_SCALE_SCENARIO',
    }),
    config: Flags.string({
      char: 'c',
      summary: "Policy config to run in the loop (default: the scenario's own policy).",
      env: 'GPU_SCALE_CONFIG',
    }),
    for: Flags.string({summary: "How much virtual time to run (30m, 2h, 24h; default: the scenario's duration)."}),
    seed: Flags.integer({summary: "Random seed (default: the scenario's).", min: 0}),
    events: Flags.string({summary: 'Write the event log here as JSON lines (infra events and every request).'}),
  }

  async run(): Promise<SimulateResult> {
    const progress = startProgress(`simulating ${this.flags.scenario}`)
    let outcome
    try {
      outcome = await simulate({
        scenario: this.flags.scenario,
        config: this.flags.config,
        for: this.flags.for,
        seed: this.flags.seed,
        events: this.flags.events,
        onProgress: progress.update,
      })
    } finally {
      progress.stop()
    }
    this.reportProblems(outcome.warnings)
    this.output(outcome.result, (r, color) => renderSimulate(r, {color}))
    return outcome.result
  }
}
