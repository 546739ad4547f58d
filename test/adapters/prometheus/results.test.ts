/** The rules for turning a Prometheus range answer into snapshot series (src/adapters/prometheus/results.ts). */
import {describe, expect, test} from 'vitest'

import type {RawMatrix} from '../../../src/adapters/prometheus/client.js'
import {seriesFromMatrix} from '../../../src/adapters/prometheus/results.js'

const at = 1_000
const ctx = {at, staleAfterSeconds: 120}
const pod = (name: string, extra: Record<string, string> = {}) => ({
  __name__: 'vllm:num_requests_waiting',
  namespace: 'llm',
  pod: name,
  job: 'vllm',
  instance: '10.0.0.1:8000',
  ...extra,
})

describe('seriesFromMatrix', () => {
  test.each([
    {
      rule: '1. empty: no series and TelemetryEmpty, never a zero',
      metric: 'vllm:num_requests_waiting',
      matrix: [] as RawMatrix,
      series: [],
      codes: ['TelemetryEmpty'],
    },
    {
      rule: '2. labels: __name__ dropped, the series named by the metric asked for',
      metric: 'vllm:num_requests_waiting',
      matrix: [
        {
          metric: pod('a'),
          values: [
            [990, '3'],
            [1000, '4'],
          ],
        },
      ] as RawMatrix,
      series: [
        {
          metric: 'vllm:num_requests_waiting',
          labels: {instance: '10.0.0.1:8000', job: 'vllm', namespace: 'llm', pod: 'a'},
          samples: [
            [990, 3],
            [1000, 4],
          ],
        },
      ],
      codes: [],
    },
    {
      rule: "2. labels: exported_pod/exported_namespace are the exporter's pod again (honor_labels off, facts §8)",
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      matrix: [
        {
          metric: {
            pod: 'dcgm-exporter-x',
            namespace: 'gpu-operator',
            exported_pod: 'a',
            exported_namespace: 'llm',
            gpu: '0',
          },
          values: [[1000, '50']],
        },
      ] as RawMatrix,
      series: [{metric: 'DCGM_FI_DEV_GPU_UTIL', labels: {gpu: '0', namespace: 'llm', pod: 'a'}, samples: [[1000, 50]]}],
      codes: [],
    },
    {
      rule: '3. duplicates: one pod scraped by two jobs; both dropped, which is right cannot be known',
      metric: 'vllm:num_requests_waiting',
      matrix: [
        {metric: pod('a'), values: [[1000, '4']]},
        {metric: pod('a', {job: 'vllm-2', instance: '10.0.0.2:8000'}), values: [[1000, '9']]},
        {metric: pod('b'), values: [[1000, '1']]},
      ] as RawMatrix,
      series: [
        {
          metric: 'vllm:num_requests_waiting',
          labels: {instance: '10.0.0.1:8000', job: 'vllm', namespace: 'llm', pod: 'b'},
          samples: [[1000, 1]],
        },
      ],
      codes: ['DuplicateSeries'],
    },
    {
      rule: '4. NaN and ±Inf (strings from Prometheus) are gaps, dropped and counted',
      metric: 'vllm:num_requests_waiting',
      matrix: [
        {
          metric: pod('a'),
          values: [
            [980, 'NaN'],
            [990, '+Inf'],
            [995, '-Inf'],
            [1000, '2'],
          ],
        },
      ] as RawMatrix,
      series: [
        {
          metric: 'vllm:num_requests_waiting',
          labels: {instance: '10.0.0.1:8000', job: 'vllm', namespace: 'llm', pod: 'a'},
          samples: [[1000, 2]],
        },
      ],
      codes: ['NonFiniteSamples'],
    },
    {
      rule: '4. a series of NaN only disappears (the planner sees it missing)',
      metric: 'vllm:num_requests_waiting',
      matrix: [{metric: pod('a'), values: [[1000, 'NaN']]}] as RawMatrix,
      series: [],
      codes: ['NonFiniteSamples'],
    },
    {
      rule: '5. impossible: utilization over 100 %, negative, stamped after the capture instant',
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      matrix: [
        {
          metric: {gpu: '0', pod: 'a'},
          values: [
            [980, '130'],
            [990, '-1'],
            [1000, '40'],
            [1010, '41'],
          ],
        },
      ] as RawMatrix,
      series: [{metric: 'DCGM_FI_DEV_GPU_UTIL', labels: {gpu: '0', pod: 'a'}, samples: [[1000, 40]]}],
      codes: ['ImpossibleSamples'],
    },
    {
      rule: '6. stale: kept (the planner refuses to scale down on it) and named',
      metric: 'vllm:num_requests_waiting',
      matrix: [
        {
          metric: pod('a'),
          values: [
            [700, '4'],
            [800, '4'],
          ],
        },
      ] as RawMatrix,
      series: [
        {
          metric: 'vllm:num_requests_waiting',
          labels: {instance: '10.0.0.1:8000', job: 'vllm', namespace: 'llm', pod: 'a'},
          samples: [
            [700, 4],
            [800, 4],
          ],
        },
      ],
      codes: ['StaleTelemetry'],
    },
  ])('$rule', ({metric, matrix, series, codes}) => {
    const result = seriesFromMatrix(metric, metric, matrix, ctx)
    expect(result.series).toEqual(series)
    expect(result.diagnostics.map((d) => d.code)).toEqual(codes)
  })
})
