/**
 * The loop's cheap snapshots: telemetry windows share the twin's sample pairs instead of copying them, and carry
 * only what the planner reads (requiredTelemetry). Neither may change a decision: on each scenario the loop with
 * short snapshots makes exactly the plans of the loop with full, deep-copied-shape snapshots, tick by tick.
 */
import {describe, expect, test} from 'vitest'

import {ClosedLoop} from '../../../src/core/loop/index.js'
import type {PolicyConfig} from '../../../src/core/model/config.js'
import type {Series} from '../../../src/core/model/snapshot.js'
import {TelemetryStore} from '../../../src/core/twin/telemetry.js'
import type {TwinOptions} from '../../../src/core/twin/index.js'
import {loadExampleConfig, loadScenario} from './helpers.js'

const HOUR = 3600

async function planTexts(
  twin: TwinOptions,
  config: PolicyConfig,
  seconds: number,
  mode: 'required' | 'full',
): Promise<{plans: string[]; log: string}> {
  const loop = new ClosedLoop({twin, config, snapshotTelemetry: mode})
  const plans: string[] = []
  await loop.runUntil(twin.start + seconds, (tick) => plans.push(JSON.stringify(tick.plan)))
  return {plans, log: loop.twin.eventLogJsonLines()}
}

describe('short snapshots plan exactly as full ones', () => {
  test.each([
    {
      name: 'seed-production, the seed config: GPU-utilization signals, node scale-down reading every GPU sample',
      scenario: 'seed-production',
      config: undefined,
      hours: 1,
    },
    {
      name: 'seed-production on the multi-signal defaults: latency and TTFT histograms over their own window',
      scenario: 'seed-production',
      config: 'multi-signal.yaml',
      hours: 1,
    },
    {
      name: 'llm-fleet-mixed: MIG slices read GR_ENGINE_ACTIVE, the fallback of GPU_UTIL',
      scenario: 'llm-fleet-mixed',
      config: undefined,
      hours: 1,
    },
    {
      name: 'spot-storm: interrupted nodes leave series that go stale (the newest sample is kept)',
      scenario: 'spot-storm',
      config: undefined,
      hours: 1,
    },
    {name: 'burst: the forecast fits its trend over 30 minutes', scenario: 'burst', config: undefined, hours: 1},
  ])('$name', async ({scenario: name, config: file, hours}) => {
    const scenario = loadScenario(name)
    const config = file === undefined ? scenario.options.config : loadExampleConfig(file)
    const short = await planTexts(scenario.options, config, hours * HOUR, 'required')
    const full = await planTexts(scenario.options, config, hours * HOUR, 'full')
    expect(short.plans.length).toBe(full.plans.length)
    const firstDifference = short.plans.findIndex((p, i) => p !== full.plans[i])
    expect(firstDifference, `first differing tick: ${firstDifference}`).toBe(-1)
    expect(short.log).toBe(full.log)
  })
})

describe("a store's window", () => {
  const store = new TelemetryStore(3600)
  // Every 30 s for 10 minutes: a queue gauge and a histogram bucket; a third series stops at minute 2.
  for (let t = 0; t <= 600; t += 30) {
    store.record('q', 'vllm:num_requests_waiting', {pod: 'a'}, t, t / 30)
    store.record('b', 'vllm:e2e_request_latency_seconds_bucket', {pod: 'a', le: '1'}, t, t)
    if (t <= 120) store.record('old', 'vllm:time_to_first_token_seconds_bucket', {pod: 'a', le: '1'}, t, t)
  }
  const times = (series: Series[], metric: string) => series.find((s) => s.metric === metric)?.samples.map(([t]) => t)

  test.each([
    {
      why: 'without a selection every series keeps the whole window',
      select: undefined,
      expected: {q: [480, 510, 540, 570, 600], b: [480, 510, 540, 570, 600], old: undefined},
    },
    {
      why: 'a metric the selection leaves out is not carried',
      select: (m: string) => (m === 'vllm:num_requests_waiting' ? 600 : undefined),
      expected: {q: [480, 510, 540, 570, 600], b: undefined, old: undefined},
    },
    {
      why: 'a shorter lookback keeps only its own samples',
      select: (m: string) => (m.endsWith('_bucket') ? 60 : 600),
      expected: {q: [480, 510, 540, 570, 600], b: [540, 570, 600], old: undefined},
    },
  ])('$why', ({select, expected}) => {
    const series = store.window(460, 600, select)
    expect(times(series, 'vllm:num_requests_waiting')).toEqual(expected.q)
    expect(times(series, 'vllm:e2e_request_latency_seconds_bucket')).toEqual(expected.b)
    expect(times(series, 'vllm:time_to_first_token_seconds_bucket')).toEqual(expected.old)
  })

  test('a series whose newest sample is older than its short lookback keeps that one sample (its age says stale)', () => {
    const series = store.window(0, 600, (m) => (m.endsWith('_bucket') ? 60 : 600))
    expect(times(series, 'vllm:time_to_first_token_seconds_bucket')).toEqual([120])
    expect(times(series, 'vllm:e2e_request_latency_seconds_bucket')).toEqual([540, 570, 600])
  })

  test('a window handed out earlier is not changed by later samples, trims or compaction (pairs are shared)', () => {
    const local = new TelemetryStore(600)
    for (let t = 0; t <= 600; t += 1) local.record('q', 'm', {pod: 'a'}, t, t)
    const before = local.window(0, 600)
    const copy = structuredClone(before)
    for (let t = 601; t <= 4000; t += 1) {
      local.record('q', 'm', {pod: 'a'}, t, -t)
      if (t % 100 === 0) local.trim(t)
    }
    expect(before).toEqual(copy)
    expect(Object.isFrozen(before[0]?.labels)).toBe(true)
  })
})
