/**
 * The latency model against the published operating points in ../shared/reference/serving-performance-facts.md §5.
 * Each check runs the twin (batching, prefill chunks, KV growth, routing), not just the step formula.
 */
import {describe, expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import {capacityAtSlo as capacityAtTpot} from '../../../src/core/simulate/world.js'
import {fluidCapacity, fluidTokens, operatingPoint} from '../../../src/core/twin/fluid.js'
import {
  resolveServingProfile,
  stepActivity,
  stepSeconds,
  type StepCoefficients,
} from '../../../src/core/twin/latency-model.js'
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

/**
 * NVIDIA NIM (docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance, Llama-3.1-8B-Instruct v1.8.0 on one H100 80G):
 * concurrency → TTFT ms, ITL ms, output tokens/s. OSL is 200: only 200 makes every row obey the closed loop's
 * tokens/s = N·OSL ÷ (TTFT + (OSL − 1)·ITL) (within 0.7% from 100 to 250 clients; 100 or 500 miss by 10–15%). ISL 200
 * is assumed (the page's table heading was not in the stored copy); it is the one that fits the low-concurrency ITL
 * slope (5.19 → 5.91 ms from 25 to 50 clients).
 */
const NIM_ROWS = [
  {concurrency: 100, ttftMs: 119.97, itlMs: 7.57, tokensPerSecond: 12_214.97},
  {concurrency: 150, ttftMs: 346.53, itlMs: 9.81, tokensPerSecond: 12_988.89},
  {concurrency: 200, ttftMs: 465.18, itlMs: 12.65, tokensPerSecond: 13_348.4},
  {concurrency: 250, ttftMs: 605.6, itlMs: 16.14, tokensPerSecond: 12_964.72},
]
const NIM_OSL = 200

/**
 * Sequences NIM's engine held at a row (Little's law: each client spends (OSL − 1)·ITL of its cycle decoding).
 * NIM's TTFT grows from 10 ms at one client to 465 ms at 200 while its engine batch keeps growing, so most of it is
 * a queue ahead of the engine (its front end) that the twin does not model; the twin is run with this many clients.
 */
function nimEngineBatch(row: (typeof NIM_ROWS)[number]): number {
  const decode = (NIM_OSL - 1) * row.itlMs
  return (row.concurrency * decode) / (row.ttftMs + decode)
}

/**
 * NIM runs TensorRT-LLM, not vLLM: its fixed step cost `a` is its own batch-1 ITL (4.6 ms); b, c, d stay vLLM's.
 * Its compute roof e is read off the c = 200 row alone: the step carries the engine batch's decode tokens plus as
 * many prompt tokens (ISL = OSL), so e = ITL ÷ (2 × 168.8) = 37.47 µs a token (≈ 430 TFLOPS of Llama-3.1-8B's
 * 16.06 GFLOP a token: 43% of H100's dense BF16 peak, 22% of its FP8 one). The other rows check it.
 */
const NIM_H100 = {coefficients: {'H100-80GB': {a: 4580, b: 17.25, c: 6.0, d: 0.0391, e: 37.47}}}

/**
 * NIM's benchmark (ISL/OSL 200/200) with `clients` closed-loop clients, measured once per setup and shared by its
 * rows. Lengths spread by 10% (lognormal cv 0.1): with exactly equal lengths a deterministic twin keeps every
 * client in lockstep forever (all prompts prefilled in one step, all finishing together), which no real client
 * fleet does; the spread only breaks the lockstep (cv 0.2 reads within 0.1%).
 */
const nimRuns = new Map<string, ReturnType<typeof measure>>()
function measureNim(clients: number, serving: object = NIM_H100): ReturnType<typeof measure> {
  const key = `${clients} ${JSON.stringify(serving)}`
  let result = nimRuns.get(key)
  if (!result) {
    const spread = {distribution: 'lognormal', cv: 0.1} as const
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}},
      spec: {
        replicas: 1,
        serving,
        load: {
          arrivals: {kind: 'closed', concurrency: Math.round(clients)},
          input: {mean: 200, ...spread},
          output: {mean: NIM_OSL, ...spread},
        },
      },
    })
    result = measure(twin, 300, 900)
    nimRuns.set(key, result)
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
    ...NIM_ROWS.flatMap((row) => [
      {
        name: `NIM Llama-3.1-8B on H100 at concurrency ${row.concurrency} (${nimEngineBatch(row).toFixed(1)} in the engine): inter-token latency ${row.itlMs} ms${row.concurrency === 100 ? ' — at the knee, where the roof binds only on steps carrying a prompt' : ''}`,
        run: () => measureNim(nimEngineBatch(row)).itlMs,
        published: row.itlMs,
      },
      {
        name: `NIM Llama-3.1-8B on H100 at concurrency ${row.concurrency}: ${row.tokensPerSecond} output tokens/s${row.concurrency >= 150 ? ' — the compute-bound plateau' : ''}`,
        run: () => measureNim(nimEngineBatch(row)).tokensPerSecond,
        published: row.tokensPerSecond,
      },
    ]),
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

  test('without the measured roof (e at the physical 16.2 µs a token) the plateau at concurrency 250 is over-predicted by more than 30%: the roof is what bends the curve', () => {
    const row = NIM_ROWS[3] as (typeof NIM_ROWS)[number]
    const {e: _measured, ...fitted} = NIM_H100.coefficients['H100-80GB']
    const value = measureNim(nimEngineBatch(row), {coefficients: {'H100-80GB': fitted}}).tokensPerSecond
    expect(value / row.tokensPerSecond).toBeGreaterThan(1.3)
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
    expect(slice.e / whole.e).toBeCloseTo(compute, 9)
  })

  test('weights that do not fit the memory are refused: such a replica could never start', () => {
    expect(() => resolveServingProfile({paramsB: 70}, 'A100-80GB', {migProfile: '1g.10gb'})).toThrow(/no KV cache/)
  })
})

const US = 1e-6
/** H100 vLLM's fitted step with NIM's roof, in seconds: the knee is where e·(X + Y) overtakes the fitted step. */
const ROOFED: StepCoefficients = {a: 5752.7 * US, b: 17.25 * US, c: 6 * US, d: 0.0391 * US, e: 37.47 * US}

describe('the step rule: max(a + b·X + c·Y + d·K, e·(X + Y))', () => {
  test.each([
    {
      name: 'one sequence decoding: the weight read a dominates, the fitted step holds',
      X: 0,
      Y: 1,
      K: 1000,
      expected: 5752.7 + 6 + 39.1,
    },
    {
      name: 'a 2,048-token prompt alone under a 37.47 µs roof: the roof (76.7 ms) over the fitted 41 ms',
      X: 2048,
      Y: 0,
      K: 0,
      expected: 2048 * 37.47,
    },
    {
      name: '100 decodes of 300-token context: below the knee (6.9 ms fitted against 3.7 ms of compute)',
      X: 0,
      Y: 100,
      K: 30_000,
      expected: 5752.7 + 600 + 1173,
    },
    {
      name: '200 decodes plus a 200-token prompt, 300-token contexts: past the knee, the roof (15 ms) over the fitted 12.7 ms',
      X: 200,
      Y: 200,
      K: 60_000,
      expected: 400 * 37.47,
    },
  ])('$name', ({X, Y, K, expected}) => {
    expect(stepSeconds(ROOFED, X, Y, K) / US).toBeCloseTo(expected, 6)
  })

  test.each([
    {name: 'H100-80GB: 2 × 8.03 GFLOP ÷ 989 TFLOPS dense BF16', gpu: 'H100-80GB', spec: {}, options: {}, e: 16.239},
    {name: 'A100-80GB: ÷ 312 TFLOPS', gpu: 'A100-80GB', spec: {}, options: {}, e: 51.474},
    {
      name: 'computeEfficiency 0.5 (half the peak sustained) doubles it',
      gpu: 'H100-80GB',
      spec: {computeEfficiency: 0.5},
      options: {},
      e: 32.477,
    },
    {
      name: 'a coefficient e given for the GPU wins over the efficiency',
      gpu: 'H100-80GB',
      spec: {computeEfficiency: 0.5, coefficients: {'H100-80GB': {a: 4580, b: 17.25, c: 6, d: 0.0391, e: 37.47}}},
      options: {},
      e: 37.47,
    },
    {
      name: 'coefficients without e keep the physical roof',
      gpu: 'H100-80GB',
      spec: {coefficients: {'H100-80GB': {a: 4580, b: 17.25, c: 6, d: 0.0391}}},
      options: {},
      e: 16.239,
    },
    {
      name: 'a 16B model does twice the FLOPs a token',
      gpu: 'H100-80GB',
      spec: {paramsB: 16.06},
      options: {},
      e: 32.477,
    },
    {name: 'tensor parallel over 2 GPUs splits them', gpu: 'H100-80GB', spec: {}, options: {gpus: 2}, e: 8.119},
  ])('the compute roof e: $name', ({gpu, spec, options, e}) => {
    expect(resolveServingProfile(spec, gpu, options).coefficients.e / US).toBeCloseTo(e, 2)
  })

  test.each([
    {name: 'H100-80GB', gpu: 'H100-80GB'},
    {name: 'A100-80GB', gpu: 'A100-80GB'},
    {name: 'H200-141GB (scaled from H100)', gpu: 'H200-141GB'},
    {name: 'L4-24GB (scaled from H100)', gpu: 'L4-24GB'},
  ])(
    'the default vLLM profile on $name stays under its physical roof in its own limits: a full prefill chunk, or max_num_seqs decodes of 300-token context, keep the fitted step (bit for bit)',
    ({gpu}) => {
      const profile = resolveServingProfile({}, gpu)
      const k = profile.coefficients
      const Y = profile.maxNumSeqs
      const chunk = profile.maxBatchedTokens
      expect(stepSeconds(k, chunk, 0, 0)).toBe(k.b * chunk + k.a)
      expect(stepSeconds(k, 0, Y, Y * 300)).toBe(k.c * Y + (k.a + k.d * Y * 300))
    },
  )

  test.each([
    {name: 'below the knee (50 decodes): the fitted split, nothing added', X: 0, Y: 50, K: 15_000, added: 0},
    {
      name: 'past the knee (200 decodes and a 200-token prompt): the 3.4 ms the roof adds are SM-busy time',
      X: 200,
      Y: 200,
      K: 60_000,
      added: 400 * 37.47 * US - (4580 + 17.25 * 200 + 6 * 200 + 0.0391 * 60_000) * US,
    },
  ])('DCGM activity of a step, $name', ({X, Y, K, added}) => {
    const profile = resolveServingProfile(NIM_H100, 'H100-80GB')
    const k = profile.coefficients
    const activity = stepActivity(profile, X, Y, K)
    const compute = k.b * X + k.c * Y
    const memory = k.a + k.d * K
    expect(activity.step).toBeCloseTo(compute + memory + added, 12)
    expect(activity.sm).toBeCloseTo(compute + memory * profile.memoryPhaseSmActivity + added, 12)
  })

  test('the fluid twin and capacity at SLO use the same roof: at 200/200 tokens both top out at 1 ÷ (e × 400 tokens) = 66.7 req/s (13.3k tokens/s), the plateau NIM publishes', () => {
    const profile = resolveServingProfile(NIM_H100, 'H100-80GB')
    const roofRate = 1 / (profile.coefficients.e * 400)
    const tokens = fluidTokens({input: {mean: 200}, output: {mean: 200}})
    expect(fluidCapacity(profile, tokens)).toBeCloseTo(roofRate, 9)
    const saturated = operatingPoint(profile, tokens, 2 * roofRate)
    expect(saturated.saturated).toBe(true)
    // Little's law at the batch limit: the step stretches until the batch's tokens fit the roof.
    expect(saturated.stepSeconds).toBeCloseTo(saturated.concurrency / (roofRate * 200), 9)
    // A TPOT target loose enough for any batch: capacity at SLO is the roof's rate too.
    expect(capacityAtTpot(profile, {input: 200, output: 200}, 10)).toBeCloseTo(roofRate, 9)
    // And the per-request twin saturated (NIM's concurrency-250 run) serves within 2% of it: the steps carrying a
    // prompt sit on the roof, the decode-only ones are still the fitted step (a little longer).
    const perRequest = measureNim(nimEngineBatch(NIM_ROWS[3] as (typeof NIM_ROWS)[number])).tokensPerSecond
    expect(Math.abs(perRequest / (roofRate * 200) - 1)).toBeLessThan(0.02)
  })
})

describe("the replica's jumped decode runs follow the step rule step by step", () => {
  test.each([
    {
      name: 'under the physical roof: every step is the fitted one, growing with the KV read',
      e: undefined,
    },
    {
      name: 'roof-bound throughout (e = 200 µs: 20 ms a step against at most 13 ms fitted)',
      e: 200,
    },
    {
      name: 'roof-bound, then fitted once the KV read outgrows 12 ms (e = 120 µs): the run is cut where they cross',
      e: 120,
    },
  ])('100 sequences of 10 + 2,000 tokens, $name', ({e}) => {
    const coefficients = {a: 4580, b: 17.25, c: 6, d: 0.0391, ...(e === undefined ? {} : {e})}
    const trace: TraceRequest[] = Array.from({length: 100}, () => ({
      t: 600,
      model: 'llama',
      inputTokens: 10,
      outputTokens: 2000,
    }))
    const twin = singleModelTwin({
      twin: {initialNodes: {pool: 1}, trace},
      spec: {replicas: 1, serving: {coefficients: {'H100-80GB': coefficients}}},
    })
    twin.runUntil(START + 700)
    const log = twin.requests
    expect(log.length).toBe(100)
    const k = resolveServingProfile({coefficients: {'H100-80GB': coefficients}}, 'H100-80GB').coefficients
    // The first arrival finds the engine idle and is prefilled alone; the other 99 are prefilled together in the
    // next step, beside its first decode. From then on step j decodes all 100 (the first one token ahead: KV
    // 100 × (10 + j) + 1), until the first finishes a step before the rest, whose last step decodes 99.
    let expected = 0
    for (let j = 0; j < 1998; j++) expected += stepSeconds(k, 0, 100, 100 * (10 + j) + 1)
    expected += stepSeconds(k, 0, 99, 99 * (10 + 1998))
    const first = log.done.indexOf(Math.min(...log.done))
    for (let i = 0; i < log.length; i++) {
      if (i === first) continue
      const decoding = (log.done[i] as number) - (log.arrival[i] as number) - (log.ttft[i] as number)
      // 1e-7 of ≈ 25 s is a few µs: the float precision of absolute timestamps, far under one step (5–20 ms).
      expect(Math.abs(decoding - expected) / expected).toBeLessThan(1e-7)
    }
  })
})
