/**
 * The latency model against the published operating points in ../shared/reference/serving-performance-facts.md §5.
 * Each check runs the twin (batching, prefill chunks, KV growth, routing), not just the step formula.
 */
import {describe, expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import {resolveServingProfile} from '../../../src/core/twin/latency-model.js'
import {AZURE_CONV_TOKENS, sampleTokens, type TraceRequest} from '../../../src/core/twin/load.js'
import {singleModelTwin, START} from './helpers.js'

/** Output tokens per second and mean inter-token latency of the only replica between `from` and `to` (seconds). */
function measure(
  twin: ReturnType<typeof singleModelTwin>,
  from: number,
  to: number,
): {tokensPerSecond: number; itlMs: number; requestsPerSecond: number} {
  twin.runUntil(START + from)
  const pod = twin.podPhases('llama')[0]?.name as string
  const r0 = twin.replicaOf(pod)?.replica
  const before = {
    tokens: r0?.generationTokens ?? 0,
    itlSum: r0?.itl.sum ?? 0,
    itlCount: r0?.itl.count ?? 0,
    done: r0?.succeeded ?? 0,
  }
  twin.runUntil(START + to)
  const r = twin.replicaOf(pod)?.replica
  if (!r) throw new Error('no replica')
  const seconds = to - from
  return {
    tokensPerSecond: (r.generationTokens - before.tokens) / seconds,
    itlMs: ((r.itl.sum - before.itlSum) / (r.itl.count - before.itlCount)) * 1000,
    requestsPerSecond: (r.succeeded - before.done) / seconds,
  }
}

/** NVIDIA NIM runs TensorRT-LLM, not vLLM: its fixed step cost `a` is its own batch-1 ITL (4.6 ms); b, c, d stay. */
const NIM_H100 = {coefficients: {'H100-80GB': {a: 4580, b: 17.25, c: 6.0, d: 0.0391}}}

/** NIM's benchmark setup (ISL/OSL 200/200 assumed) at one concurrency, measured once and shared by its rows. */
const nimRuns = new Map<number, ReturnType<typeof measure>>()
function measureNim(concurrency: number): ReturnType<typeof measure> {
  let result = nimRuns.get(concurrency)
  if (!result) {
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}},
      spec: {
        replicas: 1,
        serving: NIM_H100,
        load: {arrivals: {kind: 'closed', concurrency}, input: {mean: 200}, output: {mean: 200}},
      },
    })
    result = measure(twin, 300, 900)
    nimRuns.set(concurrency, result)
  }
  return result
}

describe('published operating points, within 15%', () => {
  test.each([
    {
      name: "Vidur: Llama-3-8B on one A100-80GB serves Azure conv at 6.45 QPS — the twin's capacity at batch 48 (the middle of the reference's batch 32–64 range)",
      run: () => {
        const twin = singleModelTwin({
          gpu: 'A100-80GB',
          twin: {initialNodes: {pool: 1}},
          spec: {
            replicas: 1,
            serving: {maxNumSeqs: 48},
            load: {arrivals: {kind: 'closed', concurrency: 96}, ...AZURE_CONV_TOKENS},
          },
        })
        return measure(twin, 300, 1500).requestsPerSecond
      },
      published: 6.45,
    },
    {
      name: 'NIM Llama-3.1-8B on H100: inter-token latency 7.6 ms at concurrency 100 (ISL/OSL 200/200 assumed)',
      run: () => measureNim(100).itlMs,
      published: 7.6,
    },
    {
      name: 'NIM Llama-3.1-8B on H100: 12.2k output tokens/s at concurrency 100',
      run: () => measureNim(100).tokensPerSecond,
      published: 12_200,
    },
    {
      name: 'vLLM CI: Llama-3.1-8B TP1 on H200, 200 ShareGPT prompts at once, 22.6 req/s (ShareGPT-like lognormal lengths, 220 in / 200 out assumed; mean of 5 seeds)',
      run: () => {
        const rates: number[] = []
        for (let seed = 1; seed <= 5; seed++) {
          const prng = createPrng(seed)
          const trace: TraceRequest[] = Array.from({length: 200}, () => ({
            t: 120,
            model: 'llama',
            inputTokens: sampleTokens({mean: 220, distribution: 'lognormal', cv: 1.2}, prng),
            outputTokens: sampleTokens({mean: 200, distribution: 'lognormal', cv: 1.2, max: 4096}, prng),
          }))
          const twin = singleModelTwin({gpu: 'H200-141GB', twin: {initialNodes: {pool: 1}, trace}, spec: {replicas: 1}})
          twin.runUntil(START + 1200)
          rates.push(200 / (Math.max(...twin.requests.done) - START - 120))
        }
        return rates.reduce((a, b) => a + b, 0) / rates.length
      },
      published: 22.6,
    },
  ])('$name', ({run, published}) => {
    const value = run()
    expect(
      Math.abs(value - published) / published,
      `twin ${value.toFixed(3)} vs published ${published}`,
    ).toBeLessThanOrEqual(0.15)
  })

  test("NIM's 13.3k tokens/s plateau at concurrency 200 is over-predicted by at most 35% (+30% today): a linear step model has no compute-bound knee (a known limit)", () => {
    const value = measureNim(200).tokensPerSecond
    expect(value).toBeGreaterThan(13_300)
    expect(value / 13_300).toBeLessThan(1.35)
  })
})

describe('memory and MIG shares', () => {
  test.each([
    {
      name: 'Llama-3.1-8B on H100-80GB holds ≈ 467k KV tokens (BLIS: 29,205 blocks × 16)',
      gpu: 'H100-80GB',
      options: {},
      expected: 467_280,
      tolerance: 0.02,
    },
    {
      name: "on a 3g.40gb slice: the slice's 39 GiB × 0.9 minus 15 GiB of weights",
      gpu: 'A100-80GB',
      options: {migProfile: '3g.40gb'},
      expected: Math.floor(((40192 / 1024) * 0.9 - 14.96) * 8192),
      tolerance: 0.001,
    },
  ])('KV capacity: $name', ({gpu, options, expected, tolerance}) => {
    const profile = resolveServingProfile({}, gpu, options)
    expect(Math.abs(profile.kvCapacityTokens - expected) / expected).toBeLessThanOrEqual(tolerance)
  })

  test.each([
    {name: '3g.40gb: 4 of 8 memory slices and 3 of 7 compute slices', profile: '3g.40gb', memory: 2, compute: 7 / 3},
    {name: '1g.10gb: 1 of 8 memory slices and 1 of 7 compute slices', profile: '1g.10gb', memory: 8, compute: 7},
  ])('a MIG slice gets its share of bandwidth and compute: $name', ({profile, memory, compute}) => {
    const whole = resolveServingProfile({weightsGiB: 2}, 'A100-80GB').coefficients
    const slice = resolveServingProfile({weightsGiB: 2}, 'A100-80GB', {migProfile: profile}).coefficients
    expect(slice.a / whole.a).toBeCloseTo(memory, 9)
    expect(slice.d / whole.d).toBeCloseTo(memory, 9)
    expect(slice.b / whole.b).toBeCloseTo(compute, 9)
    expect(slice.c / whole.c).toBeCloseTo(compute, 9)
  })

  test('weights that do not fit the memory are refused: such a replica could never start', () => {
    expect(() => resolveServingProfile({paramsB: 70}, 'A100-80GB', {migProfile: '1g.10gb'})).toThrow(/no KV cache/)
  })
})
