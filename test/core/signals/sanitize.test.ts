import {describe, expect, test} from 'vitest'

import type {Series} from '../../../src/core/model/snapshot.js'
import {
  boundsOfMetric,
  describeDroppedSamples,
  sanitizeSeries,
  sanitizeTelemetry,
} from '../../../src/core/signals/sanitize.js'

const NOW = 1_764_331_200
const series = (metric: string, values: Array<[number, number]>): Series => ({
  metric,
  labels: {pod: 'p-0', namespace: 'llm'},
  samples: values,
})
const every15s = (values: number[]): Array<[number, number]> =>
  values.map((v, i) => [NOW - 15 * (values.length - 1 - i), v])

describe('sanitizeSeries drops what cannot be a measurement', () => {
  test.each([
    {
      name: 'NaN: DCGM before its first profiling interval',
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      samples: every15s([50, NaN, 60]),
      kept: 2,
      dropped: {nonFinite: 1},
    },
    {
      name: '+Inf and -Inf: a rate over a counter reset',
      metric: 'vllm:num_requests_waiting',
      samples: every15s([Infinity, 3, -Infinity]),
      kept: 1,
      dropped: {nonFinite: 2},
    },
    {
      name: 'a negative queue: a wrapped counter or a bad recording rule',
      metric: 'vllm:num_requests_waiting',
      samples: every15s([-3, 4]),
      kept: 1,
      dropped: {negative: 1},
    },
    {
      name: 'utilization above 100 %',
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      samples: every15s([1e6, 40]),
      kept: 1,
      dropped: {outOfRange: 1},
    },
    {
      name: 'a ratio above 1: DRAM activity exported as percent',
      metric: 'DCGM_FI_PROF_DRAM_ACTIVE',
      samples: every15s([85, 0.85]),
      kept: 1,
      dropped: {outOfRange: 1},
    },
    {
      name: 'vLLM KV-cache usage is a fraction despite its name',
      metric: 'vllm:kv_cache_usage_perc',
      samples: every15s([0.9, 90]),
      kept: 1,
      dropped: {outOfRange: 1},
    },
    {
      name: 'a sample more than one scrape interval after capturedAt: a clock ahead',
      metric: 'DCGM_FI_DEV_GPU_UTIL',
      samples: [...every15s([40, 41]), [NOW + 16, 42], [NOW + 3600, 43]] as Array<[number, number]>,
      kept: 3,
      dropped: {future: 1},
    },
    {
      name: 'a custom metric may be negative: only non-finite values go',
      metric: 'my_signed_delta',
      samples: every15s([-5, NaN, 5]),
      kept: 2,
      dropped: {nonFinite: 1},
    },
  ])('$name', ({metric, samples, kept, dropped}) => {
    const out = sanitizeSeries(series(metric, samples), NOW)
    expect(out.samples.length).toBe(kept)
    expect(out.dropped).toMatchObject(dropped)
  })

  test('a clean series comes back as the same object: no copy of a large fleet’s telemetry', () => {
    const clean = series('DCGM_FI_DEV_GPU_UTIL', every15s([10, 20, 30]))
    expect(sanitizeSeries(clean, NOW)).toBe(clean)
    expect(sanitizeTelemetry([clean], NOW).affected).toEqual([])
  })

  test.each([
    {metric: 'DCGM_FI_DEV_GPU_UTIL', describe: '0–100 %'},
    {metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', describe: '0–1'},
    {metric: 'DCGM_FI_DEV_FB_USED', describe: '≥ 0'},
    {metric: 'vllm:e2e_request_latency_seconds_bucket', describe: '≥ 0'},
    {metric: 'tgi_queue_size', describe: '≥ 0'},
    {metric: 'my_custom_metric', describe: 'any finite number'},
  ])('bounds of $metric: $describe', ({metric, describe}) => {
    expect(boundsOfMetric(metric).describe).toBe(describe)
  })

  test('the diagnostic names the series as PromQL would and counts what was dropped, by why', () => {
    const out = sanitizeTelemetry([series('DCGM_FI_DEV_GPU_UTIL', every15s([NaN, -1, 200, 50]))], NOW)
    const [diagnostic] = describeDroppedSamples(out.series)
    expect(diagnostic?.message).toBe(
      'dropped 3 impossible samples of DCGM_FI_DEV_GPU_UTIL{namespace="llm",pod="p-0"} (1 NaN or infinite, 1 negative, 1 outside 0–100 %); signals read from it never scale down while a dropped sample is in their window',
    )
    expect(diagnostic?.evidence).toMatchObject({dropped: 3, kept: 1})
  })
})
