/**
 * How the capacity-at-SLO signal and the guards beside it decide together (gpu-scale's defaults), each row naming
 * the rule, the replicas it expects and the reason code (or diagnostic) that must explain it. The pods' telemetry
 * follows the step law of ./step-law-series.ts: a replica serves about 28 requests/s at SLO, sized to 80% of it.
 */
import {describe, expect, test} from 'vitest'

import type {SignalConfig} from '../../../../src/core/model/config.js'
import {REPLICA_REASON_CODES} from '../../../../src/core/model/reason-codes.js'
import type {Series} from '../../../../src/core/model/snapshot.js'
import {forecastDemand} from '../../../../src/core/policy/nodes/forecast.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {indexTelemetry} from '../../../../src/core/signals/telemetry-index.js'
import {gauge, latencyHistogram, makeInput, makeModel, NOW, pods, signal} from './scenario.js'
import {stepLawSeries} from './step-law-series.js'

const TTFT = 'vllm:time_to_first_token_seconds_bucket'
const capacity = signal({
  name: 'capacity-at-slo',
  metric: 'vllm:request_success_total',
  targetType: 'Value',
  target: 0.8,
  windowSeconds: 1800,
  capacityAtSlo: true,
})
const queue = signal({
  name: 'queue',
  metric: 'vllm:num_requests_waiting',
  target: 5,
  windowSeconds: 60,
  capacityView: true,
})
const ttft = signal({name: 'p95-ttft', metric: TTFT, targetType: 'Value', target: 2, quantile: 0.95})
const kv = signal({
  name: 'kv-cache',
  metric: 'vllm:kv_cache_usage_perc',
  target: 0.3,
  windowSeconds: 60,
  guardTarget: 0.8,
})
const SIGNALS = [capacity, queue, ttft, kv]

/** Per-interval request rates per pod (30 s apart, ending now). */
const falling = [8, 10, 12, 15, 18, 20, 22, 24, 20, 16, 14, 12]
const rising = [8, 10, 12, 15, 18, 20, 22, 24, 24, 22, 22, 24]
const flat = (rate: number) => Array.from({length: 12}, () => rate)
const fleet = (rates: number[], waiting?: number[], ttftSeconds = 0.5): Series[] =>
  ['p0', 'p1', 'p2'].flatMap((p) => [
    ...stepLawSeries(p, rates, {end: NOW, ...(waiting ? {waiting} : {})}),
    ...latencyHistogram(TTFT, p, ttftSeconds),
  ])

interface Row {
  name: string
  series: Series[]
  signals?: SignalConfig[]
  expected: number
  code: string
  diagnostic?: string
  absent?: string
  note?: RegExp
}

const rows: Row[] = [
  {
    name: 'sized by the load: 3 pods at 13 req/s against ~28 per replica at SLO, at 80% = 2 replicas',
    series: fleet(falling),
    expected: 2,
    code: 'ScaleDownSignal',
    note: /req\/s per replica at SLO \(batch-limited/,
  },
  {
    name: 'down, each replica may keep at most 72% (0.8 less the 10% tolerance): a need of 1.5 replicas keeps 3, not 2',
    series: fleet([8, 10, 12, 15, 18, 20, 22, 24, 20, 16, 14, 14.1]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'p95 TTFT above the SLO with nothing waiting neither adds nor holds: the burst has drained',
    series: fleet(falling, undefined, 2.5),
    expected: 2,
    code: 'LatencyWithoutBacklog',
  },
  {
    name: 'a growing backlog is part of the demand (growth + drain), and latency in it asks for no more than that',
    series: fleet(rising, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25, 50], 20),
    expected: 4,
    code: 'BacklogAtSloCapacity',
  },
  {
    name: 'a load that never moved has no capacity: the sizer holds the count, it never cuts on the guards alone',
    series: fleet(flat(20)),
    expected: 3,
    code: 'WithinTolerance',
    diagnostic: 'CapacityUnknown',
  },
  {
    name: 'no capacity and a backlog: the sizer only holds, the queue adds at the batch replicas run',
    series: fleet(flat(20), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 45, 60]),
    expected: 6,
    code: 'QueueAtBatchCapacity',
    absent: 'BacklogAtSloCapacity',
  },
  {
    name: 'without a capacity the KV cache sizes at its own target (0.3): 3 × ~0.68 ÷ 0.3 adds replicas',
    series: fleet(flat(27)),
    expected: 7,
    code: 'ScaleUpSignal',
    diagnostic: 'CapacityUnknown',
  },
  {
    name: 'a signal set with no capacity signal keeps ratio × pods on latency (user-written signals keep HPA semantics)',
    signals: [queue, ttft],
    series: fleet(falling, undefined, 2.5),
    expected: 4,
    code: 'ScaleUpSignal',
    absent: 'LatencyWithoutBacklog',
  },
]

describe('capacity at SLO sizes, the guards guard', () => {
  test.each(rows)('$name → $expected ($code)', (row) => {
    const model = makeModel({signals: row.signals ?? SIGNALS, replicas: {min: 1, max: 64}})
    const input = makeInput({model, pods: pods(3), series: row.series, settings: {slo: {tpotSeconds: 0.1}}})
    const decision = recommendReplicas(input)
    expect(decision.desired).toBe(row.expected)
    const codes = decision.reasons.map((r) => r.code)
    expect(codes).toContain(row.code)
    if (row.absent) expect(codes).not.toContain(row.absent)
    if (row.diagnostic) expect(decision.diagnostics.map((d) => d.code)).toContain(row.diagnostic)
    if (row.note) expect(decision.proposals.map((p) => p.note ?? '').join('\n')).toMatch(row.note)
    for (const code of codes) expect(Object.keys(REPLICA_REASON_CODES)).toContain(code)
  })

  test('the KV cache is a guard at 0.8 while the capacity is known, and its note says so', () => {
    const model = makeModel({signals: SIGNALS, replicas: {min: 1, max: 64}})
    const decision = recommendReplicas(makeInput({model, pods: pods(3), series: fleet(falling)}))
    const kvProposal = decision.proposals.find((p) => p.signal === 'kv-cache')
    expect(kvProposal?.target).toBe(0.8)
    expect(kvProposal?.note).toMatch(/saturation guard while capacity-at-slo sizes: target 0.8, not 0.3/)
  })

  test.each([
    {
      reason: 'the node forecast projects a guard signal at its guard target: 3 × 0.4 ÷ 0.8 = 2',
      signals: [kv],
      want: 2,
    },
    {
      reason: 'a signal without a guard target at its own target: 3 × 0.4 ÷ 0.3 = 4',
      signals: [{...kv, guardTarget: undefined}],
      want: 4,
    },
  ])('$reason', ({signals, want}) => {
    const model = makeModel({signals: signals as SignalConfig[], replicas: {min: 1, max: 64}})
    const series = ['p0', 'p1', 'p2'].map((p) => gauge('vllm:kv_cache_usage_perc', p, 0.4, {spanSeconds: 1800}))
    expect(forecastDemand(model, pods(3), indexTelemetry(series), NOW, 180).replicas).toBe(want)
  })
})
