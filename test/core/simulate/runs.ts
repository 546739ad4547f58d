/**
 * Real twin runs for the simulate report's tests: the `burst` example scenario (2 req/s with 14 req/s bursts at
 * 10 and 50 minutes) driven through the Twin's own verbs by three scripted operators. They are drivers that make
 * the rows differ the way policies do — early, late and never — not baselines: every number in a report built
 * here comes from the twin's event log and the oracle.
 */
import {readFileSync} from 'node:fs'

import {computeOracle} from '../../../src/core/oracle/layer-oracle.js'
import {
  buildSimulationReport,
  fleetShapeOf,
  measureRun,
  oracleResult,
  sumOracle,
  type PolicyResult,
  type SimulationReport,
  type SimulationSlo,
} from '../../../src/core/simulate/index.js'
import {parseScenario, type TwinScenario} from '../../../src/core/twin/scenario.js'
import {Twin} from '../../../src/core/twin/twin.js'

export const HOUR = 3600
export const STEP = 60

export function burstScenario(seed: number): TwinScenario {
  const path = new URL('../../../examples/scenarios/burst.yaml', import.meta.url)
  const {scenario, problems} = parseScenario(readFileSync(path, 'utf8'), 'examples/scenarios/burst.yaml')
  if (!scenario) throw new Error(problems.map((p) => p.message).join('; '))
  return {...scenario, options: {...scenario.options, seed}}
}

/** A scripted operator: actions at seconds from the start, each through a Twin verb. */
export type Script = Array<{at: number; act: (twin: Twin) => void}>

export const SCRIPTS: Record<string, Script> = {
  // Warms two nodes 5 minutes before each burst (it knows when they come) and lets them go 10 minutes after.
  early: [
    {at: 5 * 60, act: (t) => t.scaleNodeGroup('standard', 2)},
    {at: 5 * 60 + 1, act: (t) => t.scaleWorkload('llama-8b', 4)},
    {at: 25 * 60, act: (t) => t.scaleWorkload('llama-8b', 2)},
    {
      at: 26 * 60,
      act: (t) =>
        t
          .nodeNames('standard')
          .slice(2)
          .forEach((n) => t.removeNode(n)),
    },
    {at: 45 * 60, act: (t) => t.scaleNodeGroup('standard', 2)},
    {at: 45 * 60 + 1, act: (t) => t.scaleWorkload('llama-8b', 4)},
  ],
  // Reacts when the first burst is already on, and scales back down as soon as it ends: late, and it flaps.
  late: [
    {at: 11 * 60, act: (t) => t.scaleNodeGroup('standard', 2)},
    {at: 11 * 60 + 1, act: (t) => t.scaleWorkload('llama-8b', 4)},
    {at: 16 * 60, act: (t) => t.scaleWorkload('llama-8b', 2)},
    {
      at: 18 * 60,
      act: (t) =>
        t
          .nodeNames('standard')
          .slice(2)
          .forEach((n) => t.removeNode(n)),
    },
    {at: 51 * 60, act: (t) => t.scaleNodeGroup('standard', 2)},
    {at: 51 * 60 + 1, act: (t) => t.scaleWorkload('llama-8b', 4)},
  ],
  // Never scales.
  static: [],
}

export function runScript(scenario: TwinScenario, script: Script, seconds: number): Twin {
  const twin = new Twin(scenario.options)
  const start = scenario.options.start
  for (const step of [...script].sort((a, b) => a.at - b.at)) {
    twin.runUntil(start + step.at)
    step.act(twin)
  }
  twin.runUntil(start + seconds)
  return twin
}

/**
 * The burst scenario's own SLO (TTFT 1 s, end-to-end 15 s) plus a TPOT target: its profile decodes ~20–45 ms a
 * token at these batch sizes, and 100 ms is a common chat target.
 */
export const SLO: SimulationSlo = {ttftSeconds: 0.5, tpotSeconds: 0.05}

export interface Comparison {
  report: SimulationReport
  twins: Record<string, Twin>
}

/**
 * The three operators on one seed, and the oracle on the demand the runs saw (requests per minute step from the
 * static run's log), at the scenario's capacity of ~4 req/s per replica and its 242 s cold start.
 */
export function burstComparison(
  seed: number,
  seconds = HOUR,
  rows: Array<[string, PolicyResult['kind'], keyof typeof SCRIPTS]> = [
    ['mine', 'user', 'early'],
    ['old', 'against', 'static'],
    ['reactive', 'baseline', 'late'],
  ],
): Comparison {
  const scenario = burstScenario(seed)
  const start = scenario.options.start
  const end = start + seconds
  const shape = fleetShapeOf(scenario.options.config)
  const twins: Record<string, Twin> = {}
  for (const [name, , script] of rows) twins[name] = runScript(scenario, SCRIPTS[script] as Script, seconds)
  const first = twins[rows[0]![0]] as Twin
  const measureBase = {start, end, stepSeconds: STEP, shape, slo: SLO}
  const demand = measureRun('demand', 'user', () => first.logEntries(), measureBase).series?.load['llama-8b'] ?? []
  const oracle = computeOracle({
    demand,
    bucketSeconds: STEP,
    startSeconds: start,
    capacityPerReplica: 4,
    coldStartSeconds: 242,
    initialReplicas: 2,
  })
  const oracleSplit = sumOracle({'llama-8b': oracle})
  const policies = rows.map(([name, kind]) =>
    measureRun(name, kind as Exclude<PolicyResult['kind'], 'oracle'>, () => (twins[name] as Twin).logEntries(), {
      ...measureBase,
      oracle: oracleSplit,
    }),
  )
  policies.push(oracleResult({'llama-8b': oracle}, {pricePerGpuHour: 2.21}))
  return {report: buildSimulationReport({policies, start, end, stepSeconds: STEP, seed, slo: SLO}), twins}
}
