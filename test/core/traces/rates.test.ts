import {describe, expect, test} from 'vitest'

import {
  bucketRequests,
  demandOf,
  expandRateSeries,
  generateSyntheticRequests,
  iterateRequests,
  mergeRateSeries,
  mergeRequestStreams,
  mergeTraceTables,
  peakDemand,
  RateSeriesBuilder,
  requestAt,
  tableFromRequests,
  type RateSample,
  type TraceRequest,
} from '../../../src/core/traces/index.js'

const req = (t: number, model = 'm', inputTokens = 100, outputTokens = 10): TraceRequest => ({
  t,
  model,
  inputTokens,
  outputTokens,
})
const round = (a: ArrayLike<number>): number[] => Array.from(a, (v) => Number(v.toFixed(6)))

describe('rate series from requests', () => {
  test('counts per bucket become requests and tokens per second', () => {
    const series = bucketRequests([req(0), req(10), req(59.9), req(60, 'm', 200, 20), req(130, 'n')], {
      bucketSeconds: 60,
    })
    expect(series.models).toEqual(['m', 'n'])
    expect(series.buckets).toBe(3)
    expect(round(series.rps[0]!)).toEqual(round([3 / 60, 1 / 60, 0]))
    expect(round(series.rps[1]!)).toEqual(round([0, 0, 1 / 60]))
    expect(round(series.inputTokensPerSecond[0]!)).toEqual(round([300 / 60, 200 / 60, 0]))
    expect(round(demandOf(series, 'm', {kind: 'tokens', inputWeight: 0.5, outputWeight: 1}))).toEqual(
      round([(150 + 30) / 60, (100 + 20) / 60, 0]),
    )
  })

  test.each([
    {
      name: "'first-bucket' anchors bucket 0 at the first request's bucket",
      start: 'first-bucket' as const,
      startSeconds: 1_700_000_040,
      buckets: 2,
    },
    {
      name: 'a fixed start of 0 refuses Unix-clock times instead of allocating 28 million buckets',
      start: 0,
      error: /beyond ten million/,
    },
  ])('$name', ({start, startSeconds, buckets, error}) => {
    const build = () =>
      bucketRequests([req(1_700_000_050), req(1_700_000_110)], {bucketSeconds: 60, startSeconds: start})
    if (error) expect(build).toThrow(error)
    else expect([build().startSeconds, build().buckets]).toEqual([startSeconds, buckets])
  })

  test('grows past its first allocation (a long trace of one request per bucket)', () => {
    const series = bucketRequests(
      Array.from({length: 5000}, (_, i) => req(i * 60 + 1)),
      {bucketSeconds: 60},
    )
    expect(series.buckets).toBe(5000)
    expect(series.rps[0]!.every((v) => Math.abs(v - 1 / 60) < 1e-12)).toBe(true)
  })
})

describe('rate series from rate steps', () => {
  const build = (samples: RateSample[], maxStepSeconds?: number, bucketSeconds = 60): number[][] => {
    const builder = new RateSeriesBuilder({
      bucketSeconds,
      maxStepSeconds,
      tokens: {input: {kind: 'fixed', value: 100}, output: {kind: 'fixed', value: 10}},
    })
    for (const s of samples) builder.addRate(s)
    const series = builder.build()
    return series.rps.map(round)
  }

  test.each([
    {
      name: 'a step holds until the next distinct time',
      samples: [
        {t: 0, model: 'm', rps: 2},
        {t: 120, model: 'm', rps: 4},
      ],
      expected: [[2, 2, 4, 4]],
      reason: 'the last step lasts as long as the one before',
    },
    {
      name: 'rows at one instant add up',
      samples: [
        {t: 0, model: 'm', rps: 1},
        {t: 0, model: 'm', rps: 0.5},
        {t: 60, model: 'm', rps: 1},
      ],
      expected: [[1.5, 1]],
      reason: 'qps.csv writes one row per container',
    },
    {
      name: 'a model missing from a step is idle in it',
      samples: [
        {t: 0, model: 'a', rps: 1},
        {t: 0, model: 'b', rps: 2},
        {t: 60, model: 'a', rps: 1},
      ],
      expected: [
        [1, 1],
        [2, 0],
      ],
      reason: 'each distinct time opens a step for every model',
    },
    {
      name: 'a step across buckets splits in proportion',
      samples: [
        {t: 30, model: 'm', rps: 2},
        {t: 90, model: 'm', rps: 0},
      ],
      expected: [[1, 1]],
      reason: '30 s at 2 rps in each of two 60 s buckets',
    },
    {
      name: 'maxStepSeconds caps a step over a gap',
      samples: [
        {t: 0, model: 'm', rps: 1},
        {t: 240, model: 'm', rps: 1},
      ],
      maxStepSeconds: 60,
      expected: [[1, 0, 0, 0, 1]],
      reason: 'a missing qps sample means no traffic',
    },
  ])('$name ($reason)', ({samples, maxStepSeconds, expected}) => {
    expect(build(samples, maxStepSeconds)).toEqual(expected)
  })

  test('token rates of rate steps come from the mean lengths', () => {
    const builder = new RateSeriesBuilder({
      bucketSeconds: 60,
      tokens: {input: {kind: 'uniform', min: 100, max: 300}, output: {kind: 'fixed', value: 10}},
    })
    builder.addRate({t: 0, model: 'm', rps: 2})
    const series = builder.build()
    expect(round(series.inputTokensPerSecond[0]!)).toEqual([400])
    expect(round(series.outputTokensPerSecond[0]!)).toEqual([20])
  })
})

describe('peak, merge and expansion', () => {
  test('the peak is the busiest model in its busiest bucket', () => {
    const series = bucketRequests([req(0, 'a'), req(1, 'b'), req(2, 'b'), req(61, 'a'), req(62, 'a'), req(63, 'a')], {
      bucketSeconds: 60,
    })
    expect(peakDemand(series)).toEqual({model: 'a', bucket: 1, demand: 3 / 60})
  })

  test('merging series adds per model and keeps the longer length', () => {
    const a = bucketRequests([req(0, 'x'), req(70, 'y')])
    const b = bucketRequests([req(5, 'x'), req(130, 'x')])
    const merged = mergeRateSeries([a, b])
    expect(merged.models).toEqual(['x', 'y'])
    expect(round(merged.rps[0]!)).toEqual(round([2 / 60, 0, 1 / 60]))
    expect(round(merged.rps[1]!)).toEqual(round([0, 1 / 60, 0]))
  })

  test("expansion draws a Poisson process with each bucket's rate, reproducibly and in order", () => {
    const builder = new RateSeriesBuilder({bucketSeconds: 60})
    builder.addRate({t: 0, model: 'a', rps: 5})
    builder.addRate({t: 0, model: 'b', rps: 1})
    builder.addRate({t: 600, model: 'a', rps: 0})
    const series = builder.build(1200)
    const requests = [...expandRateSeries(series, {seed: 3})]
    const count = (model: string, from: number, to: number): number =>
      requests.filter((r) => r.model === model && r.t >= from && r.t < to).length
    // 3000 expected for a (σ ≈ 55), 600 for b (σ ≈ 24): 4σ bounds.
    expect(Math.abs(count('a', 0, 600) - 3000)).toBeLessThan(220)
    expect(Math.abs(count('b', 0, 600) - 600)).toBeLessThan(100)
    expect(count('a', 600, 1200) + count('b', 600, 1200)).toBe(0)
    expect(requests.every((r, i) => i === 0 || r.t >= requests[i - 1]!.t)).toBe(true)
    expect([...expandRateSeries(series, {seed: 3})]).toEqual(requests)
  })
})

describe('request tables', () => {
  test('round-trip requests through typed arrays', () => {
    const requests = [
      ...generateSyntheticRequests({
        seed: 1,
        pattern: 'poisson',
        durationSeconds: 300,
        models: [
          {name: 'a', meanRps: 3},
          {name: 'b', meanRps: 1},
        ],
      }),
    ]
    const table = tableFromRequests(requests)
    expect(table.length).toBe(requests.length)
    expect(table.models).toEqual(['a', 'b'].filter((m) => requests.some((r) => r.model === m)))
    expect([...iterateRequests(table)]).toEqual(requests)
    expect(requestAt(table, 5)).toEqual(requests[5])
  })

  test('refuse requests out of time order', () => {
    expect(() => tableFromRequests([req(2), req(1)])).toThrow(/time order/)
  })

  test('several traces merge by time, stably', () => {
    const a = tableFromRequests([req(0, 'a'), req(2, 'a'), req(4, 'a')])
    const b = tableFromRequests([req(1, 'b'), req(2, 'b')])
    const merged = [...iterateRequests(mergeTraceTables([a, b]))].map((r) => `${r.t}${r.model}`)
    expect(merged).toEqual(['0a', '1b', '2a', '2b', '4a'])
    const streamed = [...mergeRequestStreams([iterateRequests(a), iterateRequests(b)])].map((r) => `${r.t}${r.model}`)
    expect(streamed).toEqual(merged)
  })
})
