import {Ajv} from 'ajv'
import {describe, expect, test} from 'vitest'

import {encodeSnapshot} from '../../../src/core/snapshot/codec.js'
import {SNAPSHOT_SCHEMA} from '../../../src/core/snapshot/schema.js'
import {ITL_BUCKETS, TTFT_BUCKETS, E2E_BUCKETS, Histogram} from '../../../src/core/twin/telemetry.js'
import type {Series} from '../../../src/core/model/snapshot.js'
import {singleModelTwin, START} from './helpers.js'

function latest(series: Series[], metric: string): number[] {
  return series.filter((s) => s.metric === metric).map((s) => (s.samples.at(-1) as [number, number])[1])
}

function mean(series: Series[], metric: string, from: number): number {
  const values = series
    .filter((s) => s.metric === metric)
    .flatMap((s) => s.samples.filter(([t]) => t >= from).map(([, v]) => v))
  return values.reduce((a, b) => a + b, 0) / values.length
}

describe('DCGM fields keep their real semantics', () => {
  test('GPU_UTIL reads ~100% with one request at a time: a kernel runs in every instant of the request', () => {
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}},
      spec: {replicas: 1, load: {arrivals: {kind: 'closed', concurrency: 1}, input: {mean: 100}, output: {mean: 500}}},
    })
    twin.runUntil(START + 900)
    const series = twin.snapshot({historySeconds: 600}).telemetry
    expect(mean(series, 'DCGM_FI_DEV_GPU_UTIL', START + 300)).toBeGreaterThanOrEqual(99)
    // One sequence is deeply memory bound: the weights stream every step while the SMs mostly wait.
    expect(mean(series, 'DCGM_FI_PROF_DRAM_ACTIVE', START + 300)).toBeGreaterThan(0.7)
    expect(mean(series, 'DCGM_FI_PROF_SM_ACTIVE', START + 300)).toBeLessThan(0.4)
  })

  test.each([
    {
      name: 'a MIG slice reports GR_ENGINE_ACTIVE (0–1) and no GPU_UTIL, which DCGM does not support on MIG',
      gpu: {migProfile: '3g.40gb'},
      boot: 'all-3g.40gb',
      present: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
      absent: 'DCGM_FI_DEV_GPU_UTIL',
    },
    {
      name: 'a whole GPU reports GPU_UTIL in percent',
      gpu: {count: 1},
      boot: 'all-disabled',
      present: 'DCGM_FI_DEV_GPU_UTIL',
      absent: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
    },
  ])('$name', ({gpu, boot, present, absent}) => {
    const twin = singleModelTwin({
      gpu: 'A100-80GB',
      group: {migConfigs: [boot]},
      model: {gpu},
      twin: {initialNodes: {pool: 1}},
      spec: {replicas: 1, load: {arrivals: {kind: 'poisson', rate: 1}, input: {mean: 300}, output: {mean: 100}}},
    })
    twin.runUntil(START + 900)
    const series = twin.snapshot().telemetry
    expect(series.some((s) => s.metric === present)).toBe(true)
    expect(series.some((s) => s.metric === absent)).toBe(false)
    if ('migProfile' in gpu)
      expect(series.find((s) => s.metric === present)?.labels).toMatchObject({GPU_I_PROFILE: '3g.40gb', GPU_I_ID: '0'})
  })

  test('a memory-bandwidth-bound model (long generations over big contexts) shows high DRAM activity at modest SM activity', () => {
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}},
      spec: {
        replicas: 1,
        load: {arrivals: {kind: 'closed', concurrency: 128}, input: {mean: 1000}, output: {mean: 1000}},
      },
    })
    twin.runUntil(START + 900)
    const series = twin.snapshot({historySeconds: 600}).telemetry
    expect(mean(series, 'DCGM_FI_PROF_DRAM_ACTIVE', START + 300)).toBeGreaterThan(0.6)
    expect(mean(series, 'DCGM_FI_PROF_SM_ACTIVE', START + 300)).toBeLessThan(0.6)
  })

  test("weights stream over PCIe while a replica loads, and the framebuffer fills to vLLM's preallocation once ready", () => {
    const twin = singleModelTwin({
      model: {weights: {sizeGiB: 16, loadGiBps: 0.1}},
      twin: {initialNodes: {pool: 1}},
      spec: {replicas: 1},
    })
    twin.runUntil(START + 90)
    expect(latest(twin.snapshot().telemetry, 'DCGM_FI_PROF_PCIE_RX_BYTES')[0]).toBeCloseTo(0.1 * 2 ** 30, -3)
    twin.runUntil(START + 400)
    expect(latest(twin.snapshot().telemetry, 'DCGM_FI_DEV_FB_USED')[0]).toBeCloseTo(81559 * 0.9, -1)
  })
})

describe('vLLM metrics', () => {
  test.each([
    {metric: 'vllm:time_to_first_token_seconds_bucket', buckets: TTFT_BUCKETS},
    {metric: 'vllm:inter_token_latency_seconds_bucket', buckets: ITL_BUCKETS},
    {metric: 'vllm:e2e_request_latency_seconds_bucket', buckets: E2E_BUCKETS},
  ])("$metric uses vLLM's bucket boundaries plus +Inf, cumulative", ({metric, buckets}) => {
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}},
      spec: {replicas: 1, load: {arrivals: {kind: 'poisson', rate: 3}, input: {mean: 500}, output: {mean: 100}}},
    })
    twin.runUntil(START + 600)
    const series = twin.snapshot().telemetry.filter((s) => s.metric === metric)
    expect(series.map((s) => s.labels.le)).toEqual([...buckets.map(String), '+Inf'])
    const last = series.map((s) => (s.samples.at(-1) as [number, number])[1])
    expect(last).toEqual([...last].sort((a, b) => a - b))
    expect(last.at(-1)).toBeGreaterThan(0)
  })

  test('KV-cache usage is a 0–1 fraction and waiting/running count requests', () => {
    const twin = singleModelTwin({
      gpu: 'A100-80GB',
      twin: {initialNodes: {pool: 1}},
      spec: {
        replicas: 1,
        serving: {maxNumSeqs: 32},
        load: {arrivals: {kind: 'closed', concurrency: 50}, input: {mean: 1000}, output: {mean: 200}},
      },
    })
    twin.runUntil(START + 600)
    const series = twin.snapshot().telemetry
    const kv = latest(series, 'vllm:kv_cache_usage_perc')[0] as number
    expect(kv).toBeGreaterThan(0)
    expect(kv).toBeLessThanOrEqual(1)
    expect(latest(series, 'vllm:num_requests_running')[0]).toBe(32)
    expect(latest(series, 'vllm:num_requests_waiting')[0]).toBe(18)
  })

  test('Histogram.observeLinear counts a decode run step by step, without the loop', () => {
    const fast = new Histogram(ITL_BUCKETS)
    const slow = new Histogram(ITL_BUCKETS)
    fast.observeLinear(0.006, 0.0007, 500, 3)
    for (let k = 0; k < 500; k++) slow.observe(0.006 + 0.0007 * k, 3)
    expect([...fast.counts]).toEqual([...slow.counts])
    expect(fast.sum).toBeCloseTo(slow.sum, 9)
  })
})

describe('snapshots of the twin', () => {
  test("a snapshot mid-run is a valid ClusterSnapshot file, with the twin's nodes, pods, workloads and series", () => {
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 2}},
      spec: {replicas: 2, load: {arrivals: {kind: 'poisson', rate: 2}, input: {mean: 500}, output: {mean: 100}}},
    })
    twin.runUntil(START + 35 * 60)
    const snapshot = twin.snapshot({historySeconds: 1800})
    expect(snapshot.capturedAt).toBe(START + 2100)
    expect(snapshot.workloads[0]).toMatchObject({name: 'llama', specReplicas: 2, readyReplicas: 2})
    expect(snapshot.nodes.map((n) => n.gpus[0]?.pods.length)).toEqual([1, 1])
    expect(Math.min(...snapshot.telemetry.flatMap((s) => s.samples.map(([t]) => t)))).toBeGreaterThanOrEqual(
      START + 300,
    )
    const validate = new Ajv({strict: false, allErrors: true}).compile(SNAPSHOT_SCHEMA)
    expect(validate(encodeSnapshot(snapshot)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true)
  })
})
