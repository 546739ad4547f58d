/**
 * The quantile sketch behind percentiles of very long runs (src/core/twin/quantile-sketch.ts): against the exact
 * nearest-rank percentiles on a table of distributions, within its stated 1% relative error; merging and the order
 * of values change nothing; and the switch-over from exact to sketch happens at the limit per model, for every
 * collection of the run at once.
 */
import {describe, expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import {
  APPROX_PERCENTILES,
  LatencySamples,
  PercentileBudget,
  percentilesOf,
  QuantileSketch,
  SKETCH_RELATIVE_ACCURACY,
} from '../../../src/core/twin/quantile-sketch.js'
import {percentiles} from '../../../src/core/twin/summary.js'

const N = 20_000
const QUANTILES = [0, 0.001, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1]

/** Exact nearest rank: the ⌈q·n⌉-th smallest value, as the summary computes it. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number
}

function normal(prng: ReturnType<typeof createPrng>): number {
  return Math.sqrt(-2 * Math.log(1 - prng.next())) * Math.cos(2 * Math.PI * prng.next())
}

const DISTRIBUTIONS: Array<{name: string; why: string; draw: (seed: number) => number[]}> = [
  {
    name: 'uniform 50 ms–5 s',
    why: 'a flat spread: every bucket over two decades holds values',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () => 0.05 + prng.next() * 4.95)
    },
  },
  {
    name: 'lognormal (median 0.5 s, σ 1)',
    why: 'the shape of TTFT and end-to-end latency: a long right tail, which is where p99 sits',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () => 0.5 * Math.exp(normal(prng)))
    },
  },
  {
    name: 'bimodal (90% near 0.2 s, 10% near 8 s)',
    why: 'a queue that forms in bursts: p95 and p99 fall in the far mode, p50 in the near one',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () =>
        prng.next() < 0.9 ? 0.2 * Math.exp(0.1 * normal(prng)) : 8 * Math.exp(0.2 * normal(prng)),
      )
    },
  },
  {
    name: 'a single value',
    why: 'every request took the same time: the read is clamped to the min and max seen, so it is exact',
    draw: () => Array.from({length: 1000}, () => 1.234),
  },
  {
    name: 'ties on three values',
    why: 'discrete latencies (fixed steps): many equal values, ranks landing inside a run of ties',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () => prng.pick([0.1, 0.5, 2]))
    },
  },
  {
    name: 'a third zeros, the rest lognormal',
    why: 'TPOT of one-token answers is 0: zeros have their own bucket and read back as 0',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () => (prng.next() < 1 / 3 ? 0 : 0.03 * Math.exp(0.5 * normal(prng))))
    },
  },
  {
    name: 'log-uniform 1 µs–10⁴ s',
    why: 'ten decades: the buckets grow at both ends as values come',
    draw: (seed) => {
      const prng = createPrng(seed)
      return Array.from({length: N}, () => 1e-6 * 10 ** (10 * prng.next()))
    },
  },
  {
    name: 'one value',
    why: 'n = 1: every quantile is that value',
    draw: () => [0.42],
  },
]

describe('the sketch against exact percentiles', () => {
  test.each(DISTRIBUTIONS)('$name: every quantile within 1% of the exact one ($why)', ({draw}) => {
    const values = draw(7)
    const sketch = new QuantileSketch()
    for (const v of values) sketch.add(v)
    const sorted = Float64Array.from(values).sort()
    expect(sketch.count).toBe(values.length)
    for (const q of QUANTILES) {
      const exact = exactQuantile(sorted, q)
      const approx = sketch.quantile(q)
      // Relative error α on the value (an absolute 1 ns for zeros, which count as zero).
      expect(Math.abs(approx - exact), `q=${q}: ${approx} vs ${exact}`).toBeLessThanOrEqual(
        SKETCH_RELATIVE_ACCURACY * exact * (1 + 1e-9) + 1e-9,
      )
    }
  })

  test.each([
    {name: 'a single value', exact: true, why: 'min = max, the clamp returns it'},
    {name: 'one value', exact: true, why: 'n = 1'},
  ])('$name reads back exactly ($why)', ({name}) => {
    const values = (DISTRIBUTIONS.find((d) => d.name === name) as (typeof DISTRIBUTIONS)[number]).draw(1)
    const sketch = new QuantileSketch()
    for (const v of values) sketch.add(v)
    expect(sketch.percentiles()).toEqual(percentiles(values))
  })

  test('an empty sketch has no percentiles (NaN, as the exact path), and NaN values are not counted', () => {
    const sketch = new QuantileSketch()
    sketch.add(NaN)
    expect(sketch.count).toBe(0)
    expect(sketch.percentiles()).toEqual({p50: NaN, p95: NaN, p99: NaN})
  })

  test('a sketch stays a few hundred buckets however many values it holds: memory follows the range, not the count', () => {
    const prng = createPrng(3)
    const sketch = new QuantileSketch()
    for (let i = 0; i < 200_000; i++) sketch.add(0.5 * Math.exp(normal(prng)))
    // ln(max/min) ÷ ln γ buckets for the range used, plus the growth margin: far below one per value.
    expect(sketch.buckets).toBeLessThan(2000)
    expect(sketch.count).toBe(200_000)
  })
})

describe('merging and order change nothing', () => {
  test('a merge of two sketches reads as one sketch of all the values (the fleet from its models)', () => {
    const prng = createPrng(11)
    const a = new QuantileSketch()
    const b = new QuantileSketch()
    const both = new QuantileSketch()
    for (let i = 0; i < 5000; i++) {
      const v = 0.3 * Math.exp(normal(prng))
      const w = 4 * Math.exp(0.3 * normal(prng))
      a.add(v)
      b.add(w)
      both.add(v)
      both.add(w)
    }
    a.merge(b)
    for (const q of QUANTILES) expect(a.quantile(q)).toBe(both.quantile(q))
  })

  test('values in another order give the same sketch (it only counts), so when a run switches does not matter', () => {
    const values = (DISTRIBUTIONS[1] as (typeof DISTRIBUTIONS)[number]).draw(5)
    const forward = new QuantileSketch()
    const backward = new QuantileSketch()
    for (const v of values) forward.add(v)
    for (const v of [...values].reverse()) backward.add(v)
    for (const q of QUANTILES) expect(backward.quantile(q)).toBe(forward.quantile(q))
  })
})

describe('the switch from exact to sketch, per model, for the whole run at once', () => {
  test.each([
    {
      counts: {a: 3},
      approx: false,
      why: 'at the limit (3) a model is still exact: the limit is inclusive',
    },
    {
      counts: {a: 4},
      approx: true,
      why: 'one request past the limit turns the run into sketches',
    },
    {
      counts: {a: 3, b: 3, c: 3},
      approx: false,
      why: 'the limit is per model: 9 requests over three models at 3 each stay exact',
    },
    {
      counts: {a: 1, b: 4},
      approx: true,
      why: 'one model past the limit switches every collection, the other model’s too',
    },
  ])('limit 3, requests $counts: approximate $approx ($why)', ({counts, approx}) => {
    const budget = new PercentileBudget(3)
    const early = budget.samples()
    const values = [0.5, 0.25, 1, 2, 0.75, 4, 3, 0.1]
    for (const v of values) early.add(v)
    for (const [model, n] of Object.entries(counts)) for (let i = 0; i < n; i++) budget.count(model)
    const late = budget.samples()
    late.add(1)
    expect(budget.approximate).toBe(approx)
    expect(early.approximate).toBe(approx)
    expect(late.approximate).toBe(approx)
    // Values added before the switch are in the sketch: nothing is lost, only accuracy changes.
    expect(early.length).toBe(values.length)
    const exact = percentiles(values)
    const read = early.percentiles()
    if (!approx) expect(read).toEqual(exact)
    for (const key of ['p50', 'p95', 'p99'] as const)
      expect(Math.abs(read[key] - exact[key])).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * exact[key] * (1 + 1e-9))
  })

  test('a limit of 0 sketches from the first request', () => {
    const budget = new PercentileBudget(0)
    budget.count('a')
    expect(budget.approximate).toBe(true)
    expect(budget.samples().approximate).toBe(true)
  })

  test('percentiles over several collections: exact over their union while all are exact, merged sketches after', () => {
    const a = new LatencySamples()
    const b = new LatencySamples()
    for (const v of [1, 2, 3]) a.add(v)
    for (const v of [10, 20]) b.add(v)
    expect(percentilesOf([a, b])).toEqual(percentiles([1, 2, 3, 10, 20]))
    b.toSketch()
    const mixed = percentilesOf([a, b])
    expect(mixed.p50).toBeCloseTo(3, 1)
    expect(Math.abs(mixed.p99 - 20)).toBeLessThanOrEqual(0.2)
  })

  test('the label the report uses says how approximate', () => {
    expect(APPROX_PERCENTILES).toBe(`approx ±${SKETCH_RELATIVE_ACCURACY * 100}%`)
  })
})
