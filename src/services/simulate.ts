/**
 * `gpu-scale simulate`: run a scenario with a policy in the closed loop (src/core/loop: the planner drives the
 * twin through src/core/apply every loop interval) and summarize the run from its event log.
 *
 * The policy is the user's `-c` file or the scenario's own. The cluster (groups, cold starts, models' weights) is
 * always the scenario's: a policy changes how gpu-scale decides, not what the world is.
 */
import {UserError} from '../core/errors.js'
import {ClosedLoop, type LoopTotals} from '../core/loop/index.js'
import type {PolicyConfig} from '../core/model/config.js'
import {formatTimestamp, parseDuration} from '../core/model/duration.js'
import type {ClusterSnapshot} from '../core/model/snapshot.js'
import type {SimulateResult} from '../core/loop/simulate-result.js'
import {
  buildSimulationReport,
  evaluateFailIf,
  fleetShapeOf,
  measureRun,
  parseFailIfFlags,
  stepSecondsFor,
} from '../core/simulate/index.js'
import {summarizeLog, type TwinScenario} from '../core/twin/index.js'
import {loadConfigFile} from '../adapters/config-file.js'
import {loadScenarioFile, writeEventLog} from '../adapters/scenario-file.js'
import type {Problem} from '../core/errors.js'

export interface SimulateRequest {
  scenario: string
  config?: string
  /** Duration as the user typed it (`24h`); the scenario's own by default. */
  for?: string
  seed?: number
  events?: string
  /** `--fail-if` expressions, judged on this run (exit 3 when one holds: the command decides). */
  failIf?: string[]
  /** Called after every tick with the share of the run done (0–1). */
  onProgress?: (done: number) => void
  /** Wall-clock milliseconds, for the planner's share of the loop's time. */
  stopwatch?: () => number
}

export type {SimulateResult}

export interface SimulateOutcome {
  result: SimulateResult
  warnings: Problem[]
  timing?: LoopTotals['timing']
}

export async function simulate(request: SimulateRequest): Promise<SimulateOutcome> {
  const gates = parseFailIfFlags(request.failIf ?? [])
  const {scenario, file} = await loadScenarioFile(request.scenario)
  const {config, policy, warnings} = await choosePolicy(scenario, request.config)
  const durationSeconds = request.for === undefined ? scenario.durationSeconds : parseRunDuration(request.for, '--for')
  const seed = request.seed ?? scenario.options.seed
  const start = scenario.options.start
  const end = start + durationSeconds
  const loop = new ClosedLoop({
    twin: {...scenario.options, seed},
    config,
    ...(request.stopwatch ? {stopwatch: request.stopwatch} : {}),
  })
  // Progress in whole percents: a day at a 30 s loop is 2,880 ticks, and a display needs no more than 100 updates.
  let shown = -1
  await loop.runUntil(end, (tick) => {
    const done = Math.floor(((tick.at - start) / durationSeconds) * 100)
    if (done !== shown) {
      shown = done
      request.onProgress?.(done / 100)
    }
  })
  const summary = summarizeLog(loop.twin.logEntries(), {start, end, slo: scenario.slo, sloByModel: scenario.sloByModel})
  const totals = loop.totalsSoFar()
  const result: SimulateResult = {
    scenario: scenario.name,
    file,
    policy,
    seed,
    start: formatTimestamp(start),
    end: formatTimestamp(end),
    durationSeconds,
    summary,
    loop: {
      ticks: totals.ticks,
      loopIntervalSeconds: loop.interval,
      applied: totals.applied,
      outcomes: totals.outcomes,
      blockedChanges: totals.blockedChanges,
      blockedTicks: totals.blockedTicks,
      mig: totals.mig,
    },
  }
  if (gates.length > 0) {
    // The gates read the same metrics as a trace replay's `user` row, measured on this run's event log.
    const stepSeconds = stepSecondsFor(durationSeconds)
    const slo = {...scenario.slo}
    const sloByModel = scenario.sloByModel
    const row = measureRun(policy, 'user', () => loop.twin.logEntries(), {
      start,
      end,
      stepSeconds,
      shape: fleetShapeOf(scenario.options.config),
      slo,
      sloByModel,
    })
    const report = buildSimulationReport({policies: [row], start, end, stepSeconds, seed, slo, sloByModel})
    result.failIf = evaluateFailIf(gates, report)
  }
  if (request.events)
    result.events = {file: request.events, entries: await writeEventLog(request.events, loop.twin.logEntries())}
  return {result, warnings, ...(totals.timing ? {timing: totals.timing} : {})}
}

/**
 * The twin of a scenario at `at` after its start with the controller in the loop up to then: what `plan --sim
 * --scenario NAME --at 35m` plans. The snapshot carries the loop's controller state, so the plan continues the
 * controller's history (stabilization, cooldowns) instead of starting fresh.
 */
export async function snapshotScenarioMoment(
  name: string,
  at: string | undefined,
  configPath: string | undefined,
): Promise<{config: PolicyConfig; snapshot: ClusterSnapshot; warnings: Problem[]; source: string; diagnostics: []}> {
  const {scenario} = await loadScenarioFile(name)
  const {config, policy, warnings} = await choosePolicy(scenario, configPath)
  const seconds = at === undefined ? 0 : parseRunDuration(at, '--at')
  const loop = new ClosedLoop({twin: scenario.options, config})
  const moment = scenario.options.start + seconds
  // Ticks strictly before the moment: the plan at `at` is the one the controller is about to make.
  await loop.runUntil(moment - 1e-6)
  loop.twin.runUntil(moment)
  const snapshot = loop.twin.snapshot({historySeconds: 3600})
  const state = loop.controllerState
  if (state) snapshot.state = state
  return {
    config,
    snapshot,
    warnings,
    source: `scenario ${scenario.name} at ${formatTimestamp(moment)} (+${at ?? '0s'}; policy: ${policy})`,
    diagnostics: [],
  }
}

/**
 * The policy a scenario runs under: -c FILE when given, else the scenario's own config. Shared with `apply --watch
 * --sim` so a scenario is driven by the same policy whichever command runs it.
 */
export async function choosePolicy(
  scenario: TwinScenario,
  path: string | undefined,
): Promise<{config: PolicyConfig; policy: string; warnings: Problem[]}> {
  if (!path)
    return {
      config: scenario.options.config,
      policy: `the scenario's own (${scenario.options.config.name})`,
      warnings: [],
    }
  const {config, warnings} = await loadConfigFile(path)
  return {config, policy: path, warnings}
}

function parseRunDuration(value: string, flag: string): number {
  const seconds = parseDuration(value)
  if (seconds === undefined || !(seconds > 0))
    throw new UserError(`${flag} ${value} is not a positive duration`, {hint: 'durations look like 90s, 35m or 2h'})
  return seconds
}
