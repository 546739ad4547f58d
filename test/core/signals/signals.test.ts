/** Signal readers: Prometheus-exact histogram quantiles, window aggregation, index lookups and fallbacks. */
import {describe, expect, test} from 'vitest'

import {classifyBottleneck, type BottleneckEvidence} from '../../../src/core/signals/bottleneck.js'
import {computeHistogramQuantile} from '../../../src/core/signals/histogram.js'
import {readSignal} from '../../../src/core/signals/read-signal.js'
import {indexTelemetry, seriesForWorkload} from '../../../src/core/signals/telemetry-index.js'
import {aggregateSamples, computeCounterRate} from '../../../src/core/signals/window.js'
import {gauge, latencyHistogram, NOW, NS, signal, workloadGauge} from '../policy/replicas/scenario.js'

describe('computeHistogramQuantile (promql bucketQuantile)', () => {
  const buckets = [
    {le: 0.5, count: 10},
    {le: 1, count: 20},
    {le: 2, count: 40},
    {le: Infinity, count: 40},
  ]
  test.each([
    {name: 'interpolates inside the bucket holding the rank', q: 0.5, expected: 1},
    {name: 'first bucket interpolates from 0', q: 0.1, expected: 0.2},
    {name: 'p95 in the (1,2] bucket', q: 0.95, expected: 1.9},
    {name: 'rank in +Inf answers the highest finite bound', q: 1, expected: 2},
  ])('$name', ({q, expected}) => {
    expect(computeHistogramQuantile(q, buckets)).toBeCloseTo(expected, 9)
  })
  test('no observations → NaN (no latency, not zero)', () => {
    expect(
      computeHistogramQuantile(0.95, [
        {le: 1, count: 0},
        {le: Infinity, count: 0},
      ]),
    ).toBeNaN()
  })
  test('missing +Inf bucket → NaN', () => {
    expect(computeHistogramQuantile(0.95, [{le: 1, count: 3}])).toBeNaN()
  })
  test('non-monotonic counts are forced monotonic', () => {
    expect(
      computeHistogramQuantile(0.875, [
        {le: 1, count: 4},
        {le: 2, count: 10},
        {le: 3, count: 9},
        {le: 4, count: 12},
        {le: Infinity, count: 12},
      ]),
    ).toBeCloseTo(3.25, 9)
  })
})

describe('window aggregation', () => {
  const samples: Array<[number, number]> = [
    [0, 1],
    [15, 2],
    [30, 3],
    [45, 10],
  ]
  test.each([
    {aggregation: 'avg' as const, expected: 4},
    {aggregation: 'max' as const, expected: 10},
    {aggregation: 'last' as const, expected: 10},
    {aggregation: 'p50' as const, expected: 2},
  ])('$aggregation', ({aggregation, expected}) => {
    expect(aggregateSamples(samples, aggregation, 60)).toBe(expected)
  })
  test('ewma weights recent samples more than the mean does', () => {
    const v = aggregateSamples(samples, 'ewma', 60) as number
    expect(v).toBeGreaterThan(4)
    expect(v).toBeLessThan(10)
  })
  test('counter rate handles a reset', () => {
    expect(
      computeCounterRate([
        [0, 10],
        [10, 20],
        [20, 5],
      ]),
    ).toBeCloseTo(15 / 20, 9)
  })
})

describe('readSignal', () => {
  const ctx = (series: Parameters<typeof indexTelemetry>[0], podNames = ['p0', 'p1']) => ({
    telemetry: indexTelemetry(series),
    namespace: NS,
    workloadNames: ['llama-8b'],
    podNames,
    now: NOW,
    staleAfterSeconds: 120,
  })
  test('p95 from bucket rates summed by le across pods', () => {
    const series = [
      ...latencyHistogram('vllm:e2e_request_latency_seconds_bucket', 'p0', 0.9),
      ...latencyHistogram('vllm:e2e_request_latency_seconds_bucket', 'p1', 0.9),
    ]
    const r = readSignal(
      signal({metric: 'vllm:e2e_request_latency_seconds', quantile: 0.95, targetType: 'Value'}),
      ctx(series),
    )
    expect(r.metricRead).toBe('vllm:e2e_request_latency_seconds_bucket')
    expect(r.value).toBeCloseTo(0.8 + 0.2 * 0.95, 6)
  })
  test('GPU util falls back to GR_ENGINE_ACTIVE × 100 on MIG slices', () => {
    const r = readSignal(
      signal({metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu'}),
      ctx(
        [gauge('DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'p0', 0.42, {labels: {GPU_I_PROFILE: '3g.40gb', GPU_I_ID: '1'}})],
        ['p0'],
      ),
    )
    expect(r.value).toBeCloseTo(42, 9)
    expect(r.notes.join()).toMatch(/MIG/)
  })
  test('old vLLM KV-cache name is read when the new one is absent', () => {
    const r = readSignal(
      signal({metric: 'vllm:kv_cache_usage_perc'}),
      ctx([gauge('vllm:gpu_cache_usage_perc', 'p0', 0.7)], ['p0']),
    )
    expect(r.value).toBeCloseTo(0.7, 9)
  })
  test('NaN samples are dropped, not read as zero', () => {
    const r = readSignal(signal({metric: 'q'}), ctx([gauge('q', 'p0', (t) => (t === NOW ? Number.NaN : 6))], ['p0']))
    expect(r.value).toBe(6)
  })
  test('stale and missing are told apart', () => {
    const r = readSignal(signal({metric: 'q'}), ctx([gauge('q', 'p0', 6, {ageSeconds: 600})]))
    expect(r.status).toBe('stale')
    expect(r.podsStale).toEqual(['p0'])
    expect(r.podsMissing).toEqual(['p1'])
  })
  test('workload series are found by workload name, then model name, never both', () => {
    const index = indexTelemetry([
      workloadGauge('gw', 3),
      {metric: 'gw', labels: {namespace: NS, model: 'llama-8b'}, samples: [[NOW, 100]]},
    ])
    expect(seriesForWorkload(index, 'gw', NS, ['llama-8b'])).toHaveLength(2)
    const r = readSignal(signal({metric: 'gw', source: 'workload', targetType: 'Value'}), ctx([workloadGauge('gw', 3)]))
    expect(r.value).toBe(3)
  })
})

describe('classifyBottleneck', () => {
  test.each<{name: string; e: BottleneckEvidence; kind: string}>([
    {
      name: 'DRAM busy, util low',
      e: {gpuUtilPercent: 20, dramActive: 0.85, queuePerPod: 5},
      kind: 'memory-bandwidth-bound',
    },
    {name: 'SMs saturated', e: {gpuUtilPercent: 95, smActive: 0.9, dramActive: 0.3}, kind: 'compute-bound'},
    {
      name: 'PCIe busy, GPU quiet',
      e: {gpuUtilPercent: 25, pcieBytesPerSecond: 14e9, dramActive: 0.1},
      kind: 'pcie-bound',
    },
    {
      name: 'GPU idle, queue growing',
      e: {gpuUtilPercent: 10, dramActive: 0.1, queuePerPod: 4, queueGrowthPerMinute: 2},
      kind: 'cpu-bound',
    },
    {
      name: 'KV cache full and requests wait',
      e: {gpuUtilPercent: 60, kvCacheUsage: 0.97, queuePerPod: 3},
      kind: 'kv-cache-bound',
    },
    {name: 'GPU idle, nothing waits', e: {gpuUtilPercent: 8, dramActive: 0.05, queuePerPod: 0}, kind: 'underutilized'},
    {name: 'busy but fine', e: {gpuUtilPercent: 60, dramActive: 0.3, queuePerPod: 0.2}, kind: 'healthy'},
    {name: 'no telemetry', e: {}, kind: 'unknown'},
  ])('$name → $kind', ({e, kind}) => {
    expect(classifyBottleneck(e, {p95LatencySeconds: 2}).kind).toBe(kind)
  })
})
