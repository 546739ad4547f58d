import {readFileSync} from 'node:fs'
import {beforeAll, describe, expect, test} from 'vitest'

import {
  aggregateSeeds,
  fleetShapeOf,
  measureRun,
  METRIC_NAMES,
  METRICS,
  replayLog,
  stepSecondsFor,
  type SimulationReport,
} from '../../../src/core/simulate/index.js'
import {findGpuModel} from '../../../src/core/mig/catalog.js'
import {summarizeLog} from '../../../src/core/twin/summary.js'
import {parseScenario} from '../../../src/core/twin/scenario.js'
import {policy} from '../twin/helpers.js'
import {Twin} from '../../../src/core/twin/twin.js'
import {burstComparison, type Comparison, SLO, STEP} from './runs.js'

let burst: Comparison
beforeAll(() => {
  burst = burstComparison(3)
})

function scenarioFile(name: string) {
  const {scenario, problems} = parseScenario(
    readFileSync(new URL(`../../../examples/scenarios/${name}.yaml`, import.meta.url), 'utf8'),
    name,
  )
  if (!scenario) throw new Error(problems.map((p) => p.message).join('; '))
  return scenario
}

describe('the log replay agrees with the twin', () => {
  test.each([
    {
      name: 'spot-storm',
      minutes: 30,
      why: 'spot and on-demand groups, a storm of interruptions: cost splits by capacity type and reclaimed nodes stop billing',
    },
    {
      name: 'llm-fleet-mixed',
      minutes: 20,
      why: 'MIG-sliced pods hold a compute share of a GPU, whole-GPU pods whole GPUs',
    },
    {name: 'burst', minutes: 20, why: 'pods cold-starting on nodes that are already up'},
  ])("$name: GPU-seconds split sums to the summary's GPU-hours, cost to its cost ($why)", ({name, minutes}) => {
    const scenario = scenarioFile(name)
    const twin = new Twin(scenario.options)
    const start = scenario.options.start
    const end = start + minutes * 60
    twin.runUntil(end)
    const summary = summarizeLog(twin.logEntries(), {start, end})
    const replay = replayLog(twin.logEntries(), {
      start,
      end,
      stepSeconds: STEP,
      shape: fleetShapeOf(scenario.options.config),
    })
    const g = replay.gpuSeconds
    expect(g.serving + g.idleWarm + g.coldStart).toBeCloseTo(g.total, 6)
    expect(Math.abs(g.total - summary.gpuHours * 3600)).toBeLessThan(1)
    expect(replay.cost.onDemand + replay.cost.spot).toBeCloseTo(summary.cost, 6)
    // Every part is real GPU time: none is negative, and serving happened.
    for (const part of [g.serving, g.idleWarm, g.coldStart]) expect(part).toBeGreaterThanOrEqual(0)
    expect(g.serving).toBeGreaterThan(0)
    if (name === 'spot-storm') expect(replay.cost.spot).toBeGreaterThan(0)
  })

  test("replicas, allocatable GPUs by MIG profile and nodes at each step equal the twin's own state at that instant", () => {
    // llm-fleet-mixed: whole H100s and A100s in all-balanced MIG; nothing is reconfigured, so a node's layout is its boot one.
    const scenario = scenarioFile('llm-fleet-mixed')
    const twin = new Twin(scenario.options)
    const start = scenario.options.start
    const shape = fleetShapeOf(scenario.options.config)
    const expected: Array<{
      replicas: Record<string, number>
      gpus: Record<string, number>
      nodes: Record<string, number>
    }> = []
    for (let i = 0; i < 15; i++) {
      twin.runUntil(start + i * STEP)
      if (i === 5) twin.scaleNodeGroup('h100', 1)
      const snapshot = twin.snapshot({historySeconds: 0})
      const replicas: Record<string, number> = {}
      for (const model of scenario.options.models)
        replicas[model.name] = twin.podPhases(model.name).filter((p) => p.phase === 'ready').length
      const gpus: Record<string, number> = {}
      for (const node of snapshot.nodes.filter((n) => n.gpusAllocatable)) {
        const info = findGpuModel(node.gpus[0]?.model ?? '')
        for (const gpu of node.gpus) {
          if (!gpu.mig.enabled) gpus.whole = (gpus.whole ?? 0) + 1
          else
            for (const inst of gpu.mig.instances)
              gpus[inst.profile] = (gpus[inst.profile] ?? 0) + inst.size / (info?.memorySlices ?? 8)
        }
      }
      const nodes = Object.fromEntries(snapshot.nodeGroups.map((g) => [g.name, g.targetSize]))
      expected.push({replicas, gpus, nodes})
    }
    // Sampled at each step start after every event at that instant, the scale-up at step 5 included.
    const {series} = replayLog(twin.logEntries(), {start, end: start + 15 * STEP, stepSeconds: STEP, shape})
    expected.forEach((want, i) => {
      for (const [model, n] of Object.entries(want.replicas))
        expect([i, model, series.replicas[model]?.[i] ?? 0]).toEqual([i, model, n])
      for (const [profile, n] of Object.entries(want.gpus))
        expect([i, profile, series.gpusByProfile[profile]?.[i]]).toEqual([i, profile, expect.closeTo(n, 9)])
      // No node is being removed in this run, so billed nodes per group are the groups' target sizes.
      for (const [group, n] of Object.entries(want.nodes))
        expect([i, group, series.nodes[group]?.[i]]).toEqual([i, group, n])
    })
  })

  test('a pod that waits 10 minutes for a node that never comes counts as stranded; one scheduled in time does not', () => {
    const scenario = scenarioFile('burst')
    const twin = new Twin(scenario.options)
    const start = scenario.options.start
    twin.runUntil(start + 120)
    // Two more replicas and no node for them: both stay Pending to the end.
    twin.scaleWorkload('llama-8b', 4)
    twin.runUntil(start + 120 + 660)
    const replay = replayLog(twin.logEntries(), {
      start,
      end: start + 780,
      stepSeconds: STEP,
      shape: fleetShapeOf(scenario.options.config),
    })
    expect(replay.strandedPods).toBe(2)
    const early = replayLog(twin.logEntries(), {
      start,
      end: start + 700,
      stepSeconds: STEP,
      shape: fleetShapeOf(scenario.options.config),
    })
    expect(early.strandedPods).toBe(0)
  })
})

describe('per-policy metrics on the burst scenario', () => {
  const metric = (report: SimulationReport, name: string, m: (typeof METRIC_NAMES)[number]) =>
    METRICS[m].get((report.policies.find((p) => p.name === name) as SimulationReport['policies'][number]).metrics)

  test.each([
    {name: 'mine', why: 'nodes warmed 5 minutes before each burst are serving when it comes'},
    {name: 'old', why: 'never scaling: it loses attainment in both bursts'},
    {name: 'reactive', why: 'scaling one minute into a burst delivers nodes after it ended'},
  ])("$name: regret is its GPU-hours above the oracle's, split into parts that add up ($why)", ({name}) => {
    const r = burst.report
    const regret = metric(r, name, 'regret') as number
    expect(regret).toBeCloseTo(
      (metric(r, name, 'gpu_hours') as number) - (metric(r, 'oracle', 'gpu_hours') as number),
      9,
    )
    expect(
      (metric(r, name, 'regret_headroom') as number) +
        (metric(r, name, 'regret_idle_warm') as number) +
        (metric(r, name, 'regret_cold_start') as number),
    ).toBeCloseTo(regret, 9)
    // The oracle is a lower bound: no policy spends fewer GPU-hours on this traffic.
    expect(regret).toBeGreaterThan(0)
  })

  test.each([
    {name: 'mine', recovers: 0, why: 'warm before the burst: no step of either burst falls under 95% within SLO'},
    {
      name: 'old',
      recovers: 'late',
      why: 'two replicas cannot carry 14 req/s: attainment drops until each burst passes',
    },
    {
      name: 'reactive',
      recovers: 'late',
      why: 'its scale-up lands after the burst, so it recovers no sooner than never scaling',
    },
  ])('$name: two bursts found at 10 and 50 minutes, recovery $recovers ($why)', ({name, recovers}) => {
    const p = burst.report.policies.find((x) => x.name === name)
    const rec = p?.metrics.recovery
    expect(rec?.perBurst.map((b) => (b.at - burst.report.window.start) / 60)).toEqual([10, 50])
    if (recovers === 0) expect(rec?.worstSeconds).toBe(0)
    else expect(rec?.worstSeconds).toBeGreaterThanOrEqual(STEP)
  })

  test('who won: warming early buys attainment with GPU-hours; reacting late pays GPU-hours and flaps for nothing', () => {
    const r = burst.report
    expect(metric(r, 'mine', 'slo') as number).toBeGreaterThan(metric(r, 'old', 'slo') as number)
    expect(metric(r, 'mine', 'gpu_hours') as number).toBeGreaterThan(metric(r, 'old', 'gpu_hours') as number)
    expect(metric(r, 'reactive', 'slo')).toBeCloseTo(metric(r, 'old', 'slo') as number, 2)
    expect(metric(r, 'reactive', 'gpu_hours') as number).toBeGreaterThan(metric(r, 'old', 'gpu_hours') as number)
    expect([metric(r, 'mine', 'flaps'), metric(r, 'old', 'flaps'), metric(r, 'reactive', 'flaps')]).toEqual([0, 0, 2])
  })

  test('the oracle row has what the oracle defines and null for what only a run has', () => {
    const oracle = burst.report.policies.find((p) => p.kind === 'oracle')
    expect(oracle?.series).toBeNull()
    expect(METRICS.slo.get(oracle!.metrics)).toBe(1)
    for (const m of ['p95_ttft', 'flaps', 'pending_minutes', 'stranded_pods', 'recovery'] as const)
      expect([m, METRICS[m].get(oracle!.metrics)]).toEqual([m, null])
  })

  test('the report is plain JSON: it round-trips without loss (no NaN, no Infinity, no undefined)', () => {
    expect(JSON.parse(JSON.stringify(burst.report))).toEqual(burst.report)
  })

  test('measuring a run twice gives the same result (the log is read afresh each time)', () => {
    const twin = burst.twins.mine as Twin
    const options = {
      start: burst.report.window.start,
      end: burst.report.window.end,
      stepSeconds: STEP,
      shape: fleetShapeOf(twin['options'].config),
      slo: SLO,
    }
    expect(measureRun('mine', 'user', () => twin.logEntries(), options)).toEqual(
      measureRun('mine', 'user', () => twin.logEntries(), options),
    )
  })
})

describe('--seeds: spread over seeds', () => {
  test("metrics are the mean, and each metric's min ≤ mean ≤ max equals the seeds' own values", () => {
    const runs = [burst.report, burstComparison(4, 1800).report]
    expect(() => aggregateSeeds(runs)).toThrow(/same window/)
    const second = burstComparison(4).report
    const agg = aggregateSeeds([burst.report, second])
    expect(agg.seeds).toEqual([3, 4])
    for (const [i, policy] of agg.policies.entries()) {
      expect(Object.keys(policy.spread ?? {})).toEqual(METRIC_NAMES)
      for (const m of METRIC_NAMES) {
        const values = [burst.report, second].map((r) => METRICS[m].get(r.policies[i]!.metrics))
        const s = policy.spread![m]!
        if (values.includes(null)) {
          expect([m, s]).toEqual([m, {mean: null, min: null, max: null}])
          continue
        }
        const xs = values as number[]
        expect([m, s.min, s.max]).toEqual([m, Math.min(...xs), Math.max(...xs)])
        expect(s.mean).toBeCloseTo((xs[0]! + xs[1]!) / 2, 9)
        expect(METRICS[m].get(policy.metrics)).toBeCloseTo(s.mean as number, 9)
      }
    }
    // The two seeds really differ (different arrivals), so the spread is not trivially zero.
    expect(agg.policies[0]!.spread!.p95_ttft!.max).toBeGreaterThan(agg.policies[0]!.spread!.p95_ttft!.min as number)
  })

  test.each([
    {
      why: 'different policies per seed',
      mutate: (r: SimulationReport) => ({...r, policies: r.policies.slice(1)}),
      error: /same policies/,
    },
    {why: 'no report at all', mutate: null, error: /at least one/},
  ])('refuses $why', ({mutate, error}) => {
    expect(() => aggregateSeeds(mutate ? [burst.report, mutate(burst.report)] : [])).toThrow(error)
  })
})

describe('fleet shape and sampling step', () => {
  const config = policy(
    [{name: 'a100', gpu: {model: 'A100-80GB', count: 2}, max: 8, migConfigs: ['all-disabled', 'all-3g.40gb']}],
    [
      {name: 'whole', gpu: {count: 2}, replicas: {min: 1, max: 2}},
      {name: 'sliced', gpu: {migProfile: '3g.40gb'}, replicas: {min: 1, max: 2}},
      {name: 'small', gpu: {memoryGiB: 20}, replicas: {min: 1, max: 2}},
    ],
  )
  test.each([
    {model: 'whole', share: 2, why: 'whole GPUs count whole'},
    {model: 'sliced', share: 3 / 7, why: "a 3g slice holds 3 of the A100's 7 compute slices"},
    {model: 'small', share: 0.25, why: 'a memory request holds its share of the 80 GiB'},
  ])('$model holds $share GPU per replica ($why)', ({model, share}) => {
    expect(fleetShapeOf(config).gpusPerReplica(model, 'A100-80GB')).toBeCloseTo(share, 9)
  })

  test.each([
    {seconds: 3600, step: 60, why: 'an hour per minute'},
    {seconds: 12 * 3600, step: 60, why: '720 minutes is the limit'},
    {seconds: 24 * 3600, step: 300, why: 'a day per 5 minutes'},
    {seconds: 14 * 86400, step: 1800, why: 'two weeks per half hour'},
  ])('$seconds s → $step s steps ($why)', ({seconds, step}) => {
    expect(stepSecondsFor(seconds)).toBe(step)
  })
})
