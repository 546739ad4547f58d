import {describe, expect, test} from 'vitest'

import type {NodeGroupConfig} from '../../../../src/core/model/config.js'
import type {NodeGroupState, NodeState} from '../../../../src/core/model/snapshot.js'
import {assessGroupHealth, computeBackoffSeconds} from '../../../../src/core/policy/nodes/backoff.js'
import {estimateColdStart} from '../../../../src/core/scheduling/cold-start.js'
import {forecastDemand} from '../../../../src/core/policy/nodes/forecast.js'
import {fitTrend} from '../../../../src/core/signals/window.js'
import {indexTelemetry} from '../../../../src/core/signals/telemetry-index.js'
import {scenario} from '../../../../src/core/sim/scenario.js'

const NOW = 1_000_000

function group(raw: Partial<NodeGroupConfig> = {}): NodeGroupConfig {
  return {
    name: 'g',
    gpu: {model: 'A100-80GB', count: 1},
    capacityType: 'on-demand',
    min: 0,
    max: 4,
    labels: {},
    taints: [],
    hourlyCost: 1,
    coldStart: {provisioningSeconds: 120, driverInitSeconds: 60, imagePullSeconds: 30},
    migConfigs: [],
    priority: 0,
    maxNodeProvisionSeconds: 900,
    ...raw,
  }
}

function stuckNode(ageSeconds: number): NodeState {
  return {
    name: 'g-01',
    group: 'g',
    labels: {},
    taints: [],
    ready: true,
    cordoned: false,
    createdAt: NOW - ageSeconds,
    gpusAllocatable: false,
    capacityType: 'on-demand',
    gpus: [],
  }
}

describe('computeBackoffSeconds: CA 5 min initial, doubling, 30 min max', () => {
  test.each([
    {failures: 0, seconds: 0},
    {failures: 1, seconds: 300},
    {failures: 2, seconds: 600},
    {failures: 3, seconds: 1200},
    {failures: 4, seconds: 1800},
    {failures: 9, seconds: 1800},
  ])('$failures consecutive failure(s) → $seconds s', ({failures, seconds}) => {
    expect(computeBackoffSeconds(failures)).toBe(seconds)
  })
})

describe('assessGroupHealth: backoff and the spot capacity cache', () => {
  const failures = (...list: Array<[number, NodeGroupState['failures'][number]['reason']]>) =>
    list.map(([ago, reason]) => ({at: NOW - ago, reason}))
  test.each([
    {name: 'no failures: available', cfg: {}, failures: [], nodes: [], available: true, code: undefined},
    {
      name: 'a timeout 2 min ago: GroupBackedOff (5 min)',
      cfg: {},
      failures: failures([120, 'timeout']),
      nodes: [],
      available: false,
      code: 'GroupBackedOff',
    },
    {
      name: 'a timeout 6 min ago: backoff over, available',
      cfg: {},
      failures: failures([360, 'timeout']),
      nodes: [],
      available: true,
      code: undefined,
    },
    {
      name: 'three quota failures, last 15 min ago: 20 min backoff still on',
      cfg: {},
      failures: failures([1500, 'quota'], [1200, 'quota'], [900, 'quota']),
      nodes: [],
      available: false,
      code: 'GroupBackedOff',
    },
    {
      name: 'a failure 4 h ago: reset after 3 h, available',
      cfg: {},
      failures: failures([4 * 3600, 'timeout']),
      nodes: [],
      available: true,
      code: undefined,
    },
    {
      name: 'spot capacity error 1 min ago: SpotCapacityUnavailable (3 min cache)',
      cfg: {capacityType: 'spot' as const},
      failures: failures([60, 'capacity']),
      nodes: [],
      available: false,
      code: 'SpotCapacityUnavailable',
    },
    {
      name: 'spot capacity error 4 min ago: cache expired, available',
      cfg: {capacityType: 'spot' as const},
      failures: failures([240, 'capacity']),
      nodes: [],
      available: true,
      code: undefined,
    },
    {
      name: 'a node without allocatable GPUs for 16 min: NodeProvisionTimeout, backed off',
      cfg: {},
      failures: [],
      nodes: [stuckNode(960)],
      available: false,
      code: 'NodeProvisionTimeout',
    },
    {
      name: 'a node initializing for 2 min: still arriving, available',
      cfg: {},
      failures: [],
      nodes: [stuckNode(120)],
      available: true,
      code: undefined,
    },
    {
      name: 'per-group maxNodeProvisionSeconds (5 min): a 6-min-old node times out',
      cfg: {maxNodeProvisionSeconds: 300},
      failures: [],
      nodes: [stuckNode(360)],
      available: false,
      code: 'NodeProvisionTimeout',
    },
  ])('$name', ({cfg, failures: list, nodes, available, code}) => {
    const health = assessGroupHealth(group(cfg), {name: 'g', targetSize: 1, failures: list}, nodes, NOW)
    expect(health.available).toBe(available)
    expect(health.reasons[0]?.code).toBe(code)
    if (code === 'NodeProvisionTimeout') expect(health.reasons.map((r) => r.code)).toContain('GroupBackedOff')
  })
})

describe('estimateColdStart: node parts plus weight load', () => {
  const base = scenario()
    .nodeGroup('a', {gpu: {model: 'A100-80GB', count: 1}, max: 1})
    .model(
      'm',
      {
        gpu: {count: 1},
        signals: [{name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'}],
      },
      {replicas: 0},
    )
    .build().config.models[0]
  const model = (weights: {sizeGiB: number; loadGiBps?: number; loadSeconds?: number}) =>
    base ? {...base, weights} : undefined
  test.each([
    {name: 'size ÷ throughput: 16 GiB at 0.5 GiB/s = 32 s', weights: {sizeGiB: 16, loadGiBps: 0.5}, total: 242},
    {name: 'measured loadSeconds wins', weights: {sizeGiB: 16, loadGiBps: 0.5, loadSeconds: 90}, total: 300},
  ])('$name', ({weights, total}) => {
    const m = model(weights)
    if (!m) throw new Error('no model')
    expect(estimateColdStart(group(), m).totalSeconds).toBe(total)
  })
})

describe('forecast', () => {
  test('fitTrend recovers an exact line', () => {
    const samples: Array<[number, number]> = [
      [0, 1],
      [60, 3],
      [120, 5],
    ]
    expect(fitTrend(samples, 180)).toEqual({value: 7, slope: 2 / 60})
    expect(fitTrend([[0, 1]], 60)).toBeUndefined()
  })

  const queue = {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'}
  const build = (profile: number | ((m: number) => number), historyMinutes = 60, replicas = 2) =>
    scenario()
      .history(historyMinutes, 60)
      .nodeGroup('a', {gpu: {model: 'A100-80GB', count: 1}, max: 8}, {nodes: 4})
      .model('m', {gpu: {count: 1}, replicas: {min: 1, max: 20}, signals: [queue]}, {replicas, load: {queue: profile}})
      .build()
  test.each([
    {
      name: 'rising queue (1/min per pod): 15 replicas now, 18 at +5 min',
      profile: (m: number) => 30 - m,
      lead: 300,
      history: 60,
      replicas: 2,
      expected: 18,
      method: 'trend',
    },
    {
      name: 'pods started 3 min ago ramping 0 → 30 as load moves onto them: their level counts (about 60 in all, 16 replicas), the ramp is not projected',
      profile: (m: number) => 30 - 10 * m,
      lead: 300,
      history: 3,
      replicas: 2,
      expected: 16,
      method: 'trend',
    },
    {
      name: 'flat queue: the forecast equals now',
      profile: 8,
      lead: 300,
      history: 60,
      replicas: 2,
      expected: 4,
      method: 'trend',
    },
    {
      name: 'falling queue: never below the model min',
      profile: (m: number) => m * 0.5,
      lead: 600,
      history: 60,
      replicas: 2,
      expected: 1,
      method: 'trend',
    },
    {
      name: 'daily seasonality: yesterday rose 10/pod over the next 10 min, today is flat',
      profile: (m: number) => (m > 1430 && m <= 1440 ? 4 + (1440 - m) : m > 1430 - 30 && m <= 1430 ? 14 : 4),
      lead: 600,
      history: 1500,
      replicas: 1,
      expected: 4,
      method: 'trend+seasonal',
    },
    {
      name: 'daily seasonality, phase-shifted: yesterday rose 15 min earlier (already high a day before now), today is still flat: the rise still counts (issue 9: a node warmed for it was removed before it)',
      profile: (m: number) => (m > 1455 ? 4 : m > 1400 ? 14 : 4),
      lead: 600,
      history: 1500,
      replicas: 1,
      expected: 4,
      method: 'trend+seasonal',
    },
    {
      name: 'daily seasonality, a spike inside the window: yesterday rose 10/pod 20 min before now − 24 h and fell back by then, today is flat: the peak counts (needed within the horizon is needed)',
      profile: (m: number) => (m > 1440 && m <= 1460 ? 14 : 4),
      lead: 600,
      history: 1500,
      replicas: 1,
      expected: 4,
      method: 'trend+seasonal',
    },
    {
      name: 'daily seasonality, today rising with yesterday: the part of the daily rise today already made is not counted twice (trend only, 17.3 → 5 replicas, not 24 → 6)',
      profile: (m: number) =>
        m >= 1440 && m <= 1470 ? 4 + (1470 - m) / 3 : m > 1400 && m < 1440 ? 14 : m <= 30 ? 4 + (30 - m) / 3 : 4,
      lead: 600,
      history: 1500,
      replicas: 1,
      expected: 5,
      method: 'trend+seasonal',
    },
  ])('$name', ({profile, lead, history, replicas, expected, method}) => {
    const {config, snapshot} = build(profile, history, replicas)
    const model = config.models[0]
    if (!model) throw new Error('no model')
    const forecast = forecastDemand(model, snapshot.pods, indexTelemetry(snapshot.telemetry), snapshot.capturedAt, lead)
    expect(forecast.replicas).toBe(expected)
    expect(forecast.signals[0]?.method).toBe(method)
  })

  test('no telemetry: no forecast (missing data never forecasts growth)', () => {
    const {config, snapshot} = scenario()
      .nodeGroup('a', {gpu: {model: 'A100-80GB', count: 1}, max: 8}, {nodes: 4})
      .model('m', {gpu: {count: 1}, signals: [queue]}, {replicas: 2})
      .build()
    const model = config.models[0]
    if (!model) throw new Error('no model')
    expect(
      forecastDemand(model, snapshot.pods, indexTelemetry(snapshot.telemetry), snapshot.capturedAt, 300).replicas,
    ).toBeNull()
  })
})
