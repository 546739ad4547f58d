/**
 * The gpu-scale algorithm, rule by rule: each row names the rule, the replicas it expects and the reason code that
 * must explain it.
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig, ScaleToZeroConfig, SignalConfig} from '../../../../src/core/model/config.js'
import type {PodState, ScaleEvent, Series} from '../../../../src/core/model/snapshot.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {REPLICA_REASON_CODES} from '../../../../src/core/model/reason-codes.js'
import {
  gauge,
  latencyHistogram,
  makeInput,
  makeModel,
  NOW,
  perPod,
  pod,
  pods,
  scaleDownRules,
  scaleUpRules,
  signal,
  workloadGauge,
} from './scenario.js'

const WAITING = 'vllm:num_requests_waiting'
const UTIL = 'DCGM_FI_DEV_GPU_UTIL'
const queue = signal({name: 'queue', metric: WAITING, target: 10})
const util = signal({name: 'gpu-util', metric: UTIL, source: 'gpu', target: 60})
const p95 = signal({
  name: 'p95-latency',
  metric: 'vllm:e2e_request_latency_seconds_bucket',
  targetType: 'Value',
  target: 2.5,
  quantile: 0.95,
})
const gateway = signal({
  name: 'gateway-queue',
  metric: 'gateway_queue_depth',
  source: 'workload',
  target: 5,
  activationThreshold: 0,
})
const zeroConfig: ScaleToZeroConfig = {idleSeconds: 600, keepWarmFactor: 2}

const dcgm = (metric: string, podName: string, value: number | ((t: number) => number)): Series =>
  gauge(metric, podName, value, {labels: {gpu: '0', UUID: `GPU-${podName}`, Hostname: 'node-a', container: 'vllm'}})
const loading = (name: string): PodState => pod(name, {ready: false, startedAt: NOW - 60, readyAt: undefined})
/** A gateway that saw a request burst every `gap` seconds over the last hour, then nothing for `idle` seconds. */
const burstyGateway = (gap: number, idle: number): Series =>
  workloadGauge(
    'gateway_queue_depth',
    (t) => (t < NOW - idle && Math.floor((t - (NOW - 3600)) / 15) % Math.round(gap / 15) === 0 ? 3 : 0),
    {spanSeconds: 3600},
  )

interface Row {
  name: string
  signals?: SignalConfig[]
  pods?: PodState[]
  series: Series[]
  current?: number
  history?: Array<{at: number; replicas: number}>
  events?: ScaleEvent[]
  model?: Partial<ModelConfig>
  expected: number
  code: string
  decidedBy?: string | null
  diagnostic?: string
  message?: RegExp
}

const rows: Row[] = [
  {
    name: 'a queue above target scales up: ceil(Σ waiting / target)',
    series: perPod(WAITING, [15, 15, 15]),
    expected: 5,
    code: 'ScaleUpSignal',
    decidedBy: 'queue',
  },
  {
    name: 'inside the tolerance band nothing changes',
    series: perPod(WAITING, [10.5, 10.5, 10.5]),
    expected: 3,
    code: 'WithinTolerance',
    decidedBy: null,
  },
  {
    name: 'a big jump is capped by the scale-up rate policy',
    series: perPod(WAITING, [40, 40, 40]),
    model: {replicas: {min: 1, max: 20}},
    expected: 7,
    code: 'ScaleUpLimit',
  },
  {
    name: 'replicas.max caps the count',
    series: perPod(WAITING, [15, 15, 15]),
    model: {replicas: {min: 1, max: 4}},
    expected: 4,
    code: 'TooManyReplicas',
  },
  {
    name: 'a recent higher recommendation holds a scale-down',
    series: perPod(WAITING, [2, 2, 2]),
    history: [{at: NOW - 60, replicas: 3}],
    expected: 3,
    code: 'ScaleDownStabilized',
  },
  {
    name: 'after the scale-down window the count drops',
    series: perPod(WAITING, [2, 2, 2]),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 1,
    code: 'ScaleDownSignal',
  },
  {
    name: 'replicas.min floors a scale-down',
    series: perPod(WAITING, [2, 2, 2]),
    model: {replicas: {min: 2, max: 10}},
    expected: 2,
    code: 'TooFewReplicas',
  },
  {
    name: 'a cooldown after the last scale event blocks the move',
    series: perPod(WAITING, [15, 15, 15]),
    events: [{at: NOW - 60, from: 2, to: 3}],
    model: {behavior: {scaleUp: scaleUpRules({cooldownSeconds: 300}), scaleDown: scaleDownRules()}},
    expected: 3,
    code: 'Cooldown',
  },
  {
    name: 'the highest of several proposals wins and is named',
    signals: [queue, p95],
    series: [
      ...perPod(WAITING, [15, 15, 15]),
      ...['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram('vllm:e2e_request_latency_seconds_bucket', p, 4)),
    ],
    expected: 6,
    code: 'ScaleUpSignal',
    decidedBy: 'p95-latency',
  },
  {
    name: 'a missing signal never lets another scale down',
    signals: [queue, p95],
    series: perPod(WAITING, [2, 2, 2]),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'MissingTelemetry',
    diagnostic: 'MissingTelemetry',
  },
  {
    name: 'a latency signal in whose window no request finished abstains: idle is not missing, the queue scales down',
    signals: [queue, p95],
    series: [
      ...perPod(WAITING, [2, 2, 2]),
      ...['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram('vllm:e2e_request_latency_seconds_bucket', p, 4, 0)),
    ],
    history: [{at: NOW - 400, replicas: 3}],
    expected: 1,
    code: 'ScaleDownSignal',
  },
  {
    name: 'when every signal is an idle latency histogram, replicas hold (NoRecentRequests)',
    signals: [p95],
    series: ['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram('vllm:e2e_request_latency_seconds_bucket', p, 4, 0)),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'NoRecentRequests',
  },
  {
    name: 'an idle latency histogram on some pods and none on another is missing there: no scale-down',
    signals: [queue, p95],
    series: [
      ...perPod(WAITING, [2, 2, 2]),
      ...['p0', 'p1'].flatMap((p) => latencyHistogram('vllm:e2e_request_latency_seconds_bucket', p, 4, 0)),
    ],
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'MissingTelemetry',
    diagnostic: 'MissingTelemetry',
  },
  {
    name: 'a stale signal never scales down',
    series: perPod(WAITING, [2, 2, 2], {ageSeconds: 400}),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'StaleTelemetry',
    diagnostic: 'StaleTelemetry',
  },
  {
    name: 'valid signals still scale up while another is missing',
    signals: [queue, p95],
    series: perPod(WAITING, [15, 15, 15]),
    expected: 5,
    code: 'ScaleUpSignal',
    diagnostic: 'MissingTelemetry',
  },
  {
    name: 'a serving pod without samples blocks a scale-down',
    series: perPod(WAITING, [2, 2]),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'PartialTelemetry',
    diagnostic: 'PartialTelemetry',
  },
  {
    name: 'a serving pod without samples counts as zero on the way up',
    series: perPod(WAITING, [25, 25]),
    expected: 5,
    code: 'ScaleUpSignal',
    diagnostic: 'PartialTelemetry',
  },
  {
    name: 'loading pods are capacity arriving, not idle',
    pods: [pod('p0'), pod('p1'), loading('p2'), loading('p3')],
    series: perPod(WAITING, [2, 2]),
    history: [{at: NOW - 400, replicas: 4}],
    expected: 4,
    code: 'CapacityArriving',
  },
  {
    name: 'pending pods are not counted twice',
    pods: [
      pod('p0'),
      pod('p1'),
      pod('p2', {phase: 'Pending', ready: false, node: undefined}),
      pod('p3', {phase: 'Pending', ready: false, node: undefined}),
    ],
    series: perPod(WAITING, [15, 15]),
    expected: 4,
    code: 'CapacityArriving',
  },
  {
    name: 'a pod unready past its grace is neither capacity nor arriving',
    pods: [pod('p0'), pod('p1'), pod('p2', {ready: false})],
    series: perPod(WAITING, [15, 15]),
    expected: 3,
    code: 'WithinTolerance',
    diagnostic: 'UnhealthyPod',
  },
  {
    name: 'GPU util is read from GR_ENGINE_ACTIVE on MIG slices',
    signals: [util],
    series: ['p0', 'p1', 'p2'].map((p) => dcgm('DCGM_FI_PROF_GR_ENGINE_ACTIVE', p, 0.9)),
    expected: 5,
    code: 'ScaleUpSignal',
    diagnostic: 'MetricFallback',
  },
  {
    name: 'low GPU util with DRAM saturated is unreliable; latency decides',
    signals: [util, p95],
    series: [
      ...['p0', 'p1', 'p2'].flatMap((p) => [
        dcgm(UTIL, p, 20),
        dcgm('DCGM_FI_PROF_DRAM_ACTIVE', p, 0.85),
        gauge(WAITING, p, (t) => 2 + (t - (NOW - 300)) / 30),
      ]),
      ...['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram('vllm:e2e_request_latency_seconds_bucket', p, 4)),
    ],
    expected: 6,
    code: 'UnreliableSignal',
    decidedBy: 'p95-latency',
    message: /GPU util 20% but DRAM active 85%.*memory-bandwidth bound; scaling on p95-latency/,
  },
  {
    name: 'an unreliable utilization signal alone never scales down',
    signals: [util],
    series: ['p0', 'p1', 'p2'].flatMap((p) => [dcgm(UTIL, p, 20), dcgm('DCGM_FI_PROF_DRAM_ACTIVE', p, 0.85)]),
    history: [{at: NOW - 400, replicas: 3}],
    expected: 3,
    code: 'UnreliableSignal',
    message: /holding replicas/,
  },
  {
    name: 'an activation signal above its threshold wakes a model from zero',
    signals: [gateway],
    pods: [],
    current: 0,
    model: {replicas: {min: 0, max: 10}, scaleToZero: zeroConfig},
    series: [workloadGauge('gateway_queue_depth', 12)],
    expected: 3,
    code: 'Activation',
  },
  {
    name: 'at zero with nothing above the threshold the model stays at zero',
    signals: [gateway],
    pods: [],
    current: 0,
    model: {replicas: {min: 0, max: 10}, scaleToZero: zeroConfig},
    series: [workloadGauge('gateway_queue_depth', 0)],
    expected: 0,
    code: 'BelowActivationThreshold',
  },
  {
    name: 'idle for the whole idle period scales to zero',
    signals: [gateway],
    pods: pods(1),
    model: {replicas: {min: 0, max: 10}, scaleToZero: zeroConfig},
    series: [workloadGauge('gateway_queue_depth', 0, {spanSeconds: 900})],
    expected: 0,
    code: 'ScaleToZeroIdle',
  },
  {
    name: 'idle for less than the idle period keeps one replica',
    signals: [gateway],
    pods: pods(1),
    model: {replicas: {min: 0, max: 10}, scaleToZero: zeroConfig},
    series: [workloadGauge('gateway_queue_depth', (t) => (t < NOW - 300 ? 4 : 0), {spanSeconds: 900})],
    expected: 1,
    code: 'ScaleToZeroIdle',
    message: /idle for 300s of the 600s/,
  },
  {
    name: 'keep warm when requests return sooner than a cold start',
    signals: [gateway],
    pods: pods(1),
    model: {replicas: {min: 0, max: 10}, scaleToZero: {idleSeconds: 60, keepWarmFactor: 2}},
    series: [burstyGateway(90, 120)],
    expected: 1,
    code: 'KeepWarm',
    message: /cold start 120s × 2/,
  },
  {
    name: 'long gaps between requests allow zero',
    signals: [gateway],
    pods: pods(1),
    model: {replicas: {min: 0, max: 10}, scaleToZero: {idleSeconds: 60, keepWarmFactor: 2}},
    series: [burstyGateway(600, 120)],
    expected: 0,
    code: 'ScaleToZeroIdle',
  },
  {
    name: 'missing activation data never scales to zero',
    signals: [gateway],
    pods: pods(1),
    model: {replicas: {min: 0, max: 10}, scaleToZero: zeroConfig},
    series: [],
    expected: 1,
    code: 'MissingTelemetry',
  },
]

describe('gpu-scale algorithm', () => {
  test.each(rows)('$name → $expected ($code)', (row) => {
    const model = makeModel({signals: row.signals ?? [queue], ...row.model})
    const podList = row.pods ?? pods(3)
    const input = makeInput({
      model,
      pods: podList,
      series: row.series,
      workload: {
        specReplicas: row.current ?? podList.length,
        scaleEvents: row.events ?? [],
        recommendations: row.history ?? [],
      },
    })
    const decision = recommendReplicas(input)
    expect(decision.desired).toBe(row.expected)
    const codes = decision.reasons.map((r) => r.code)
    expect(codes).toContain(row.code)
    if (row.decidedBy !== undefined) expect(decision.decidedBy).toBe(row.decidedBy)
    if (row.diagnostic) expect(decision.diagnostics.map((d) => d.code)).toContain(row.diagnostic)
    if (row.message) expect(decision.reasons.map((r) => r.message).join('\n')).toMatch(row.message)
    // Every code used is documented for the plan schema.
    for (const code of [...codes, ...decision.diagnostics.map((d) => d.code)])
      expect(Object.keys(REPLICA_REASON_CODES)).toContain(code)
  })

  test('every proposal shows value, target, window and status', () => {
    const model = makeModel({signals: [queue, p95]})
    const decision = recommendReplicas(makeInput({model, series: perPod(WAITING, [15, 15, 15])}))
    expect(decision.proposals).toEqual([
      expect.objectContaining({
        signal: 'queue',
        metric: WAITING,
        value: 15,
        target: 10,
        windowSeconds: 180,
        aggregation: 'avg',
        replicas: 5,
        status: 'ok',
      }),
      expect.objectContaining({
        signal: 'p95-latency',
        value: null,
        target: 2.5,
        aggregation: 'p95',
        replicas: null,
        status: 'missing',
      }),
    ])
  })

  test('the decision carries the raw recommendation to record', () => {
    const decision = recommendReplicas(makeInput({series: perPod(WAITING, [2, 2, 2])}))
    expect(decision.recommendation).toEqual({at: NOW, replicas: 1})
  })
})
