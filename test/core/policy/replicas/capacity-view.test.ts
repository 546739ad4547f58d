/**
 * The rules gpu-scale's default signals add to the replica algorithm, each row naming the rule, the replicas it
 * expects and the reason code that must explain it (bench/decision-quality.ts measured each on public traces):
 *   - a backlog is sized at the batch a replica runs, not at waiting ÷ target (QueueAtBatchCapacity);
 *   - latency while requests wait is sized by that backlog, not by ratio × pods (LatencyFromBacklog);
 *   - a secondary (GPU) signal holds the count only while above its target (SecondaryHold);
 *   - models on the default signals scale down in small steps after a 10-minute window (DEFAULT_SIGNALS_SCALE_DOWN:
 *     ScaleDownLimit, ScaleDownStabilized).
 */
import {describe, expect, test} from 'vitest'

import {DEFAULT_SIGNALS_SCALE_DOWN} from '../../../../src/core/config/default-signals.js'
import {parseConfig} from '../../../../src/core/config/load.js'
import {DEFAULT_BEHAVIOR} from '../../../../src/core/config/normalize.js'
import type {ModelConfig, SignalConfig} from '../../../../src/core/model/config.js'
import {REPLICA_REASON_CODES} from '../../../../src/core/model/reason-codes.js'
import type {Series} from '../../../../src/core/model/snapshot.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {gauge, latencyHistogram, makeInput, makeModel, NOW, perPod, pods, scaleDownRules, signal} from './scenario.js'

const WAITING = 'vllm:num_requests_waiting'
const RUNNING = 'vllm:num_requests_running'
const DRAM = 'DCGM_FI_PROF_DRAM_ACTIVE'
const TTFT = 'vllm:time_to_first_token_seconds_bucket'
const queue = signal({name: 'queue', metric: WAITING, target: 5, windowSeconds: 60, capacityView: true})
const plainQueue = signal({name: 'queue', metric: WAITING, target: 5, windowSeconds: 60})
const ttft = signal({name: 'p95-ttft', metric: TTFT, targetType: 'Value', target: 2, quantile: 0.95})
const dram = signal({name: 'dram', metric: DRAM, source: 'gpu', target: 0.8, secondary: true})
const dcgm = (podName: string, value: number): Series =>
  gauge(DRAM, podName, value, {labels: {gpu: '0', UUID: `GPU-${podName}`, Hostname: 'node-a', container: 'vllm'}})

interface Row {
  name: string
  signals: SignalConfig[]
  series: Series[]
  pods?: number
  model?: Partial<ModelConfig>
  expected: number
  code: string
  /** Raw recommendations recorded by earlier ticks. */
  history?: Array<{at: number; replicas: number}>
  /** A code that must not explain this decision. */
  absent?: string
  message?: RegExp
}

const rows: Row[] = [
  {
    name: 'a backlog counts at the batch replicas run: (900 running + 600 waiting) ÷ 300 per replica, not 600 ÷ 5',
    signals: [queue],
    series: [...perPod(WAITING, [200, 200, 200]), ...perPod(RUNNING, [300, 300, 300])],
    model: {replicas: {min: 1, max: 64}},
    expected: 5,
    code: 'QueueAtBatchCapacity',
    message: /600 waiting \+ 900 running at 300 per serving replica need 5 replicas, not 120/,
  },
  {
    name: 'small batches: waiting ÷ target asks for fewer, so it stands (24 ÷ 5 = 5, at batch 2: 15)',
    signals: [queue],
    series: [...perPod(WAITING, [8, 8, 8]), ...perPod(RUNNING, [2, 2, 2])],
    expected: 5,
    code: 'ScaleUpSignal',
    absent: 'QueueAtBatchCapacity',
  },
  {
    name: 'no running-requests telemetry: nothing to measure against, waiting ÷ target stands',
    signals: [queue],
    series: perPod(WAITING, [8, 8, 8]),
    expected: 5,
    code: 'ScaleUpSignal',
    absent: 'QueueAtBatchCapacity',
  },
  {
    name: 'a batch under one request per replica measures nothing: waiting ÷ target stands',
    signals: [queue],
    series: [...perPod(WAITING, [8, 8, 8]), ...perPod(RUNNING, [0.5, 0.5, 0.5])],
    expected: 5,
    code: 'ScaleUpSignal',
    absent: 'QueueAtBatchCapacity',
  },
  {
    name: 'a queue signal the user wrote keeps HPA semantics (no capacity view): 600 ÷ 5 capped by the rate limit',
    signals: [plainQueue],
    series: [...perPod(WAITING, [200, 200, 200]), ...perPod(RUNNING, [300, 300, 300])],
    model: {replicas: {min: 1, max: 64}},
    expected: 7,
    code: 'ScaleUpLimit',
    absent: 'QueueAtBatchCapacity',
  },
  {
    name: 'TTFT of 20 s while requests wait is the backlog: capped at the backlog’s 5, not 20 ÷ 2 × 3 pods',
    signals: [queue, ttft],
    series: [
      ...perPod(WAITING, [200, 200, 200]),
      ...perPod(RUNNING, [300, 300, 300]),
      ...['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram(TTFT, p, 20)),
    ],
    model: {replicas: {min: 1, max: 64}},
    expected: 5,
    code: 'LatencyFromBacklog',
  },
  {
    name: 'TTFT above its SLO with no backlog still scales on ratio × pods (the capacity view is not involved)',
    signals: [queue, ttft],
    series: [
      ...perPod(WAITING, [0, 0, 0]),
      ...perPod(RUNNING, [300, 300, 300]),
      ...['p0', 'p1', 'p2'].flatMap((p) => latencyHistogram(TTFT, p, 2.5)),
    ],
    expected: 4,
    code: 'ScaleUpSignal',
    absent: 'LatencyFromBacklog',
  },
  {
    name: 'DRAM above its target holds the count the queue would lower',
    signals: [queue, dram],
    series: [...perPod(WAITING, [0, 0, 0]), ...['p0', 'p1', 'p2'].map((p) => dcgm(p, 0.9))],
    expected: 3,
    code: 'SecondaryHold',
  },
  {
    name: 'DRAM below its target holds nothing: it is not proportional to load (weights are read every step)',
    signals: [queue, dram],
    series: [...perPod(WAITING, [0, 0, 0]), ...['p0', 'p1', 'p2'].map((p) => dcgm(p, 0.7))],
    expected: 1,
    code: 'ScaleDownSignal',
    absent: 'SecondaryHold',
  },
  {
    name: 'DRAM at twice its target still never adds a replica',
    signals: [queue, dram],
    series: [...perPod(WAITING, [0, 0, 0]), ...['p0', 'p1', 'p2'].map((p) => dcgm(p, 1.6))],
    expected: 3,
    code: 'SecondaryHold',
  },
  {
    name: 'default-signal models scale down by 10% a minute: 20 idle replicas go to 18, not 1',
    signals: [queue],
    series: perPod(WAITING, Array<number>(20).fill(0)),
    pods: 20,
    model: {
      replicas: {min: 1, max: 64},
      behavior: {scaleUp: DEFAULT_BEHAVIOR.scaleUp, scaleDown: DEFAULT_SIGNALS_SCALE_DOWN},
    },
    expected: 18,
    code: 'ScaleDownLimit',
  },
  {
    name: 'default-signal models under 10 replicas still shrink, by one a minute (10% of 5 rounds to nothing)',
    signals: [queue],
    series: perPod(WAITING, [0, 0, 0, 0, 0]),
    pods: 5,
    model: {behavior: {scaleUp: DEFAULT_BEHAVIOR.scaleUp, scaleDown: DEFAULT_SIGNALS_SCALE_DOWN}},
    expected: 4,
    code: 'ScaleDownLimit',
  },
  {
    name: 'default-signal models keep the highest recommendation of 10 minutes: one 8 minutes old holds 5',
    signals: [queue],
    series: perPod(WAITING, [0, 0, 0, 0, 0]),
    pods: 5,
    history: [{at: NOW - 480, replicas: 5}],
    model: {behavior: {scaleUp: DEFAULT_BEHAVIOR.scaleUp, scaleDown: DEFAULT_SIGNALS_SCALE_DOWN}},
    expected: 5,
    code: 'ScaleDownStabilized',
  },
  {
    name: 'HPA’s 5-minute window (signals the user wrote) has let the same 8-minute-old recommendation go',
    signals: [queue],
    series: perPod(WAITING, [0, 0, 0, 0, 0]),
    pods: 5,
    history: [{at: NOW - 480, replicas: 5}],
    model: {behavior: {scaleUp: DEFAULT_BEHAVIOR.scaleUp, scaleDown: scaleDownRules()}},
    expected: 1,
    code: 'ScaleDownSignal',
  },
]

describe('the default signals’ replica rules', () => {
  test.each(rows)('$name → $expected ($code)', (row) => {
    const model = makeModel({signals: row.signals, ...row.model})
    const podList = pods(row.pods ?? 3)
    const input = makeInput({
      model,
      pods: podList,
      series: row.series,
      workload: {specReplicas: podList.length, recommendations: row.history ?? []},
    })
    const decision = recommendReplicas(input)
    expect(decision.desired).toBe(row.expected)
    const codes = decision.reasons.map((r) => r.code)
    expect(codes).toContain(row.code)
    if (row.absent) expect(codes).not.toContain(row.absent)
    if (row.message) expect(decision.reasons.map((r) => r.message).join('\n')).toMatch(row.message)
    for (const code of codes) expect(Object.keys(REPLICA_REASON_CODES)).toContain(code)
  })
})

describe('which scale-down pace a model gets', () => {
  const file = (model: Record<string, unknown>): ModelConfig => {
    const raw = {
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ScalingPolicy',
      metadata: {name: 'pace'},
      nodeGroups: [{name: 'a', gpu: {model: 'H100-80GB', count: 1}, min: 0, max: 4}],
      models: [{name: 'm', replicas: {min: 1, max: 8}, gpu: {count: 1}, ...model}],
    }
    const {config, problems} = parseConfig(JSON.stringify(raw), '<test>')
    if (!config) throw new Error(problems.map((p) => p.message).join('; '))
    return config.models[0]!
  }
  test.each([
    {
      reason: 'signals: default gets the small steps',
      model: {signals: 'default'},
      policies: DEFAULT_SIGNALS_SCALE_DOWN.policies,
    },
    {
      reason: 'no signals on a model that scales: defaults, so small steps',
      model: {},
      policies: DEFAULT_SIGNALS_SCALE_DOWN.policies,
    },
    {
      reason: 'signals the user wrote keep HPA’s default pace (what an HPA user expects)',
      model: {signals: [{name: 'q', metric: WAITING, target: 5}]},
      policies: DEFAULT_BEHAVIOR.scaleDown.policies,
    },
    {
      reason: 'a scale-down the user wrote wins over the defaults’ pace',
      model: {signals: 'default', behavior: {scaleDown: {policies: [{type: 'Pods', value: 3, period: '30s'}]}}},
      policies: [{type: 'Pods', value: 3, periodSeconds: 30}],
    },
  ])('$reason', ({model, policies}) => {
    expect(file(model).behavior.scaleDown.policies).toEqual(policies)
  })
})
