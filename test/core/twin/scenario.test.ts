import {readdirSync, readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import {formatLocation} from '../../../src/core/errors.js'
import {parseScenario} from '../../../src/core/twin/scenario.js'
import {summarizeLog} from '../../../src/core/twin/summary.js'
import {Twin} from '../../../src/core/twin/twin.js'
import {repoRoot} from '../../helpers/cli.js'

const dir = `${repoRoot}/examples/scenarios`
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort()

function load(file: string) {
  const result = parseScenario(readFileSync(`${dir}/${file}`, 'utf8'), `examples/scenarios/${file}`)
  if (!result.scenario)
    throw new Error(result.problems.map((p) => `${formatLocation(p.location)} ${p.message}`).join('\n'))
  return result.scenario
}

describe('example scenarios', () => {
  test("the issue's six scenarios are there", () => {
    expect(files).toEqual([
      'burst.yaml',
      'diurnal-day.yaml',
      'llm-fleet-mixed.yaml',
      'memory-bound.yaml',
      'seed-production.yaml',
      'spot-storm.yaml',
    ])
  })

  test.each(files)('%s parses without problems and runs 20 minutes', (file) => {
    const result = parseScenario(readFileSync(`${dir}/${file}`, 'utf8'), file)
    expect(result.problems.map((p) => `${formatLocation(p.location)} ${p.message}`)).toEqual([])
    const scenario = result.scenario as NonNullable<typeof result.scenario>
    const twin = new Twin(scenario.options)
    twin.runUntil(scenario.options.start + 1200)
    expect(twin.events.length).toBeGreaterThan(0)
  })

  test("seed-production's policy is examples/seed-production.yaml, field for field", () => {
    const seed = parseConfig(readFileSync(`${repoRoot}/examples/seed-production.yaml`, 'utf8'), 'seed').config
    expect(load('seed-production.yaml').options.config).toEqual(seed)
  })

  test('seed-production starts from zero: nothing serves until a node is asked for, so requests queue at the gateway', () => {
    const scenario = load('seed-production.yaml')
    expect(scenario.options.config.nodeGroups.map((g) => [g.name, g.capacityType, g.max, g.min])).toEqual([
      ['standard', 'on-demand', 5, 0],
      ['large', 'spot', 3, 0],
    ])
    const twin = new Twin(scenario.options)
    twin.runUntil(scenario.options.start + 600)
    expect(twin.requests.length).toBe(0)
    const queue = twin
      .snapshot()
      .telemetry.filter((s) => s.metric === 'gateway_queue_depth')
      .map((s) => (s.samples.at(-1) as [number, number])[1])
    expect(Math.max(...queue)).toBeGreaterThan(0)
  })

  test('memory-bound: DRAM activity high, SM activity modest, on MIG slices that report GR_ENGINE_ACTIVE', () => {
    const scenario = load('memory-bound.yaml')
    const twin = new Twin(scenario.options)
    twin.runUntil(scenario.options.start + 1800)
    const series = twin.snapshot({historySeconds: 900}).telemetry
    const avg = (metric: string) => {
      const v = series.filter((s) => s.metric === metric).flatMap((s) => s.samples.map(([, x]) => x))
      return v.reduce((a, b) => a + b, 0) / v.length
    }
    const dram = avg('DCGM_FI_PROF_DRAM_ACTIVE')
    const sm = avg('DCGM_FI_PROF_SM_ACTIVE')
    expect(dram).toBeGreaterThan(0.5)
    expect(sm).toBeLessThan(0.4)
    expect(dram / sm).toBeGreaterThan(1.5)
    expect(avg('DCGM_FI_PROF_GR_ENGINE_ACTIVE')).toBeGreaterThan(0.95)
  })

  test('spot-storm: three notices, the capacity window fails replacements, and some 70B requests wait or abort', () => {
    const scenario = load('spot-storm.yaml')
    const twin = new Twin(scenario.options)
    twin.runUntil(scenario.options.start + scenario.durationSeconds)
    const summary = summarizeLog(twin.logEntries(), {
      start: scenario.options.start,
      end: scenario.options.start + scenario.durationSeconds,
      slo: scenario.slo,
    })
    expect(summary.spotInterruptions).toBe(3)
    expect(summary.capacityErrors).toBeGreaterThan(0)
    expect(summary.pendingPodMinutes).toBeGreaterThan(0)
    expect(summary.perModel['llama-70b']?.sloAttainment).toBeLessThan(
      summary.perModel['llama-8b']?.sloAttainment as number,
    )
  })
})

describe('scenario problems point at file:line:col', () => {
  const base = readFileSync(`${dir}/burst.yaml`, 'utf8')
  test.each([
    {name: 'a YAML syntax error', text: 'apiVersion: [', code: 'YamlSyntax', line: 1},
    {
      name: 'an unknown field, with a suggestion',
      text: base.replace('duration: 2h', 'duraton: 2h'),
      code: 'UnknownField',
      line: 12,
    },
    {
      name: 'an arrival kind that does not exist',
      text: base.replace('kind: bursty', 'kind: burst'),
      code: 'InvalidValue',
      line: 42,
    },
    {
      name: 'a policy error inside cluster.policy is located in the scenario file',
      text: base.replace('max: 6\n        hourlyCost', 'max: -1\n        hourlyCost'),
      code: 'OutOfRange',
      line: 25,
    },
    {
      name: 'load for a model the policy does not have',
      text: base.replace('  - model: llama-8b\n    arrivals', '  - model: llama-9b\n    arrivals'),
      code: 'UnknownModel',
      line: 41,
    },
    {
      name: "more nodes at the start than the group's max",
      text: base.replace('initialNodes: {standard: 2}', 'initialNodes: {standard: 9}'),
      code: 'AboveMax',
      line: 15,
    },
  ])('$name', ({text, code, line}) => {
    const {scenario, problems} = parseScenario(text, 'burst.yaml')
    expect(scenario).toBeUndefined()
    expect(problems[0]).toMatchObject({code, location: {file: 'burst.yaml', line}})
    expect(problems[0]?.location.column).toBeGreaterThan(0)
  })
})

describe('planning a moment of the twin', () => {
  test('snapshotScenarioAt gives the fleet at 35 minutes with the telemetry history behind it', async () => {
    const {snapshotScenarioAt} = await import('../../../src/core/twin/index.js')
    const scenario = load('llm-fleet-mixed.yaml')
    const snapshot = snapshotScenarioAt(scenario, 35 * 60, 1800)
    expect(snapshot.capturedAt).toBe(scenario.options.start + 2100)
    expect(snapshot.workloads.map((w) => [w.name, w.readyReplicas])).toEqual([
      ['chat-8b', 2],
      ['code-8b', 1],
      ['chat-70b', 1],
      ['embed-3b', 2],
      ['rerank-1b', 2],
      ['guard-1b', 2],
    ])
    const util = snapshot.telemetry.filter((s) => s.metric === 'DCGM_FI_DEV_GPU_UTIL')
    expect(util.length).toBeGreaterThan(0)
    expect(Math.min(...util.map((s) => s.samples[0]?.[0] as number))).toBe(scenario.options.start + 300)
  })
})
