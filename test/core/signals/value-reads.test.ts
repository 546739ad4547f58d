/**
 * The planner's fast paths must answer exactly what the reference code answers: the bottleneck evidence reads
 * values only (readSignalValue) and must equal the full reading's value; bucket sums in flat arrays must give
 * the quantile computeHistogramQuantile gives on bucket objects, to the bit.
 */
import {describe, expect, test} from 'vitest'

import type {SignalConfig} from '../../../src/core/model/config.js'
import type {Series} from '../../../src/core/model/snapshot.js'
import {
  BucketSums,
  computeHistogramQuantile,
  computeHistogramQuantileOfSums,
} from '../../../src/core/signals/histogram.js'
import {type ReadContext, readSignal, readSignalValue} from '../../../src/core/signals/read-signal.js'
import {sanitizeSeries} from '../../../src/core/signals/sanitize.js'
import {indexTelemetry} from '../../../src/core/signals/telemetry-index.js'

const NOW = 10_000
const NS = 'llm'

function sums(entries: Array<[number, number]>): BucketSums {
  const b = new BucketSums()
  for (const [le, count] of entries) b.add(le, count)
  return b
}

describe('computeHistogramQuantileOfSums equals computeHistogramQuantile', () => {
  test.each([
    {
      why: 'ascending buckets, rank inside a finite bucket',
      q: 0.9,
      buckets: [
        [0.5, 2],
        [1, 7],
        [2, 9],
        [Infinity, 10],
      ],
    },
    {
      why: 'buckets out of order are sorted first',
      q: 0.5,
      buckets: [
        [2, 9],
        [Infinity, 10],
        [0.5, 2],
        [1, 7],
      ],
    },
    {
      why: 'no +Inf bucket: NaN',
      q: 0.5,
      buckets: [
        [0.5, 2],
        [1, 7],
      ],
    },
    {why: 'one bucket: NaN', q: 0.5, buckets: [[Infinity, 3]]},
    {
      why: 'no observation: NaN',
      q: 0.95,
      buckets: [
        [1, 0],
        [Infinity, 0],
      ],
    },
    {
      why: 'counts that dip are forced monotonic',
      q: 0.7,
      buckets: [
        [0.5, 5],
        [1, 3],
        [2, 8],
        [Infinity, 8],
      ],
    },
    {
      why: 'a rank in the +Inf bucket answers the highest finite bound',
      q: 0.99,
      buckets: [
        [1, 1],
        [Infinity, 10],
      ],
    },
    {
      why: 'a first bound at or below zero is answered as is',
      q: 0.1,
      buckets: [
        [0, 4],
        [1, 5],
        [Infinity, 6],
      ],
    },
    {
      why: 'an empty bucket holding the rank answers its bound',
      q: 0.5,
      buckets: [
        [1, 5],
        [2, 5],
        [Infinity, 10],
      ],
    },
    {
      why: 'q below 0',
      q: -0.1,
      buckets: [
        [1, 1],
        [Infinity, 2],
      ],
    },
    {
      why: 'q above 1',
      q: 1.1,
      buckets: [
        [1, 1],
        [Infinity, 2],
      ],
    },
    {
      why: 'fractional rates, as bucket rates are',
      q: 0.95,
      buckets: [
        [0.3, 0.1],
        [0.8, 0.35],
        [Infinity, 0.4],
      ],
    },
  ] as Array<{why: string; q: number; buckets: Array<[number, number]>}>)('$why', ({q, buckets}) => {
    const reference = computeHistogramQuantile(
      q,
      buckets.map(([le, count]) => ({le, count})),
    )
    expect(Object.is(computeHistogramQuantileOfSums(q, sums(buckets)), reference)).toBe(true)
  })
})

describe('BucketSums', () => {
  test.each([
    {
      why: 'a repeated bound adds to its first entry (two engines in one pod)',
      adds: [
        [1, 2],
        [Infinity, 3],
        [1, 4],
        [Infinity, 5],
      ],
      les: [1, Infinity],
      values: [6, 8],
    },
    {
      why: 'bounds keep the order first seen, whatever order later pods give',
      adds: [
        [2, 1],
        [1, 1],
        [1, 1],
        [2, 1],
        [Infinity, 1],
      ],
      les: [2, 1, Infinity],
      values: [2, 2, 1],
    },
  ] as Array<{why: string; adds: Array<[number, number]>; les: number[]; values: number[]}>)(
    '$why',
    ({adds, les, values}) => {
      const b = sums(adds)
      expect(b.les).toEqual(les)
      expect(b.sums).toEqual(values)
      const total = new BucketSums()
      total.addAll(b)
      total.addAll(b)
      expect(total.sums).toEqual(values.map((v) => 2 * v))
    },
  )
})

function series(
  metric: string,
  pod: string,
  values: (t: number) => number,
  extra: Record<string, string> = {},
): Series {
  const samples: Array<[number, number]> = []
  for (let t = NOW - 600; t <= NOW; t += 30) samples.push([t, values(t)])
  return {metric, labels: {namespace: NS, pod, ...extra}, samples}
}

/** A pod's latency histogram: counters growing by `perScrape` observations split over the bounds. */
function histogram(metric: string, pod: string, split: Array<[string, number]>, perScrape = 10): Series[] {
  let cumulative = 0
  return split.map(([le, share]) => {
    cumulative += share
    const c = cumulative
    return series(metric, pod, (t) => Math.round(((t - (NOW - 600)) / 30) * perScrape * c), {le})
  })
}

const E2E = 'vllm:e2e_request_latency_seconds_bucket'
const telemetry = indexTelemetry([
  ...histogram(E2E, 'p0', [
    ['0.5', 0.5],
    ['1', 0.3],
    ['+Inf', 0.2],
  ]),
  ...histogram(E2E, 'p1', [
    ['1', 0.6],
    ['0.5', 0.3],
    ['+Inf', 0.1],
  ]),
  // p2 finished no request in the window: idle, left out of the sum.
  ...histogram(
    E2E,
    'p2',
    [
      ['0.5', 0.5],
      ['+Inf', 0.5],
    ],
    0,
  ),
  series('DCGM_FI_PROF_SM_ACTIVE', 'p0', (t) => 0.3 + (t % 90) / 900, {gpu: '0'}),
  series('DCGM_FI_PROF_SM_ACTIVE', 'p0', () => 0.5, {gpu: '1'}),
  series('DCGM_FI_PROF_SM_ACTIVE', 'p1', (t) => (t === NOW ? Number.NaN : 0.7), {gpu: '0'}),
  series('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'p2', () => 0.25, {GPU_I_PROFILE: '3g.40gb'}),
  series('DCGM_FI_DEV_GPU_UTIL', 'p0', (t) => 40 + (t % 60) / 3),
  series('vllm:num_requests_waiting', 'p0', (t) => (t / 30) % 5),
  // Two engines in one pod, the second stamping every sample twice: summed per timestamp.
  series('vllm:num_requests_waiting', 'p1', (t) => (t / 30) % 3, {engine: 'a'}),
  {
    metric: 'vllm:num_requests_waiting',
    labels: {namespace: NS, pod: 'p1', engine: 'b'},
    samples: [
      [NOW - 60, 1],
      [NOW - 60, 2],
      [NOW, 4],
    ],
  },
  // Stale: its newest sample is 10 minutes old.
  {metric: 'vllm:num_requests_running', labels: {namespace: NS, pod: 'p2'}, samples: [[NOW - 600, 3]]},
  series('vllm:num_requests_running', 'p0', () => 2),
  {metric: 'gateway_queue_depth', labels: {namespace: NS, workload: 'llama'}, samples: [[NOW, 7]]},
])

function context(podNames: string[], withLoad: boolean): ReadContext {
  return {
    telemetry,
    namespace: NS,
    workloadNames: ['llama'],
    podNames,
    now: NOW,
    staleAfterSeconds: 120,
    ...(withLoad ? {replicasAt: (t: number) => (t < NOW - 90 ? 2 : 3)} : {}),
  }
}

function signal(metric: string, extra: Partial<SignalConfig> = {}): SignalConfig {
  return {
    name: metric,
    metric,
    source: 'pod',
    targetType: 'AverageValue',
    target: 1,
    windowSeconds: 180,
    aggregation: 'avg',
    ...extra,
  }
}

describe('readSignalValue equals readSignal(...).value', () => {
  test.each([
    {why: 'p95 of bucket rates summed across pods, an idle pod left out', s: signal(E2E, {quantile: 0.95})},
    {
      why: 'a histogram named without _bucket is read from its buckets',
      s: signal('vllm:e2e_request_latency_seconds', {quantile: 0.5}),
    },
    {
      why: 'a level averaged over a pod’s GPUs, a NaN newest sample skipped',
      s: signal('DCGM_FI_PROF_SM_ACTIVE', {source: 'gpu'}),
    },
    {
      why: 'GPU util falls back to GR_ENGINE_ACTIVE × 100 for a MIG pod',
      s: signal('DCGM_FI_DEV_GPU_UTIL', {source: 'gpu'}),
    },
    {
      why: 'an amount read as the workload’s load, duplicate timestamps summed',
      s: signal('vllm:num_requests_waiting'),
      load: true,
    },
    {
      why: 'an amount summed over pods without a replica history',
      s: signal('vllm:num_requests_waiting', {aggregation: 'max'}),
    },
    {why: 'a stale pod leaves the others to decide', s: signal('vllm:num_requests_running'), load: true},
    {why: 'a metric nobody exports is null', s: signal('DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', {source: 'gpu'})},
    {why: 'a workload series', s: signal('gateway_queue_depth', {source: 'workload'})},
  ] as Array<{why: string; s: SignalConfig; load?: boolean}>)('$why', ({s, load}) => {
    const ctx = context(['p0', 'p1', 'p2'], load === true)
    expect(Object.is(readSignalValue(s, ctx), readSignal(s, ctx).value)).toBe(true)
  })

  test('a value read once is remembered, and a full reading already made is reused', () => {
    const podNames = ['p0', 'p1']
    const memo = {telemetry, podNames, readings: new Map()}
    const ctx = {...context(podNames, true), memo}
    const s = signal('vllm:num_requests_waiting')
    const value = readSignalValue(s, ctx)
    expect(memo.readings.size).toBe(0) // a value is never handed out as a full reading
    expect(readSignalValue(s, ctx)).toBe(value)
    const full = readSignal(s, ctx)
    expect(full.value).toBe(value)
    expect(memo.readings.size).toBe(1)
  })
})

describe('sanitizeSeries', () => {
  test.each([
    {
      why: 'every sample possible: the same object back, no copy',
      samples: [
        [1, 2],
        [2, 3],
      ],
      same: true,
    },
    {
      why: 'a sample stamped after capturedAt goes the slow way (and is kept within a scrape)',
      samples: [
        [1, 2],
        [31, 3],
      ],
      same: true,
    },
    {
      why: 'a negative sample is dropped',
      samples: [
        [1, 2],
        [2, -1],
      ],
      same: false,
    },
    {
      why: 'an infinite sample is dropped',
      samples: [
        [1, 2],
        [2, Infinity],
      ],
      same: false,
    },
  ] as Array<{why: string; samples: Array<[number, number]>; same: boolean}>)('$why', ({samples, same}) => {
    const s: Series = {metric: 'vllm:num_requests_waiting', labels: {}, samples}
    expect(sanitizeSeries(s, 30) === s).toBe(same)
  })
})
