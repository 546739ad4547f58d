import {describe, expect, test} from 'vitest'

import {bucketRequests, generateSyntheticRequests, type SyntheticTraceSpec} from '../../../src/core/traces/index.js'

const models = [
  {name: 'llama', meanRps: 4},
  {name: 'mistral', meanRps: 1},
]

describe('synthetic traces', () => {
  test.each<{pattern: SyntheticTraceSpec['pattern']; duration: number; reason: string}>([
    {pattern: 'poisson', duration: 3600, reason: 'constant rate'},
    {pattern: 'bursty', duration: 72 * 3600, reason: 'the base rate is set so bursts keep the long-run mean'},
    {pattern: 'diurnal', duration: 86_400, reason: 'a cosine over one period averages to the mean'},
  ])("$pattern keeps each model's mean rate ($reason)", ({pattern, duration}) => {
    // Bursty traffic averages slowly (one burst cycle is 12 min on average): 72 hours at a tenth of the rate.
    const scaled = pattern === 'bursty' ? models.map((m) => ({...m, meanRps: m.meanRps / 10})) : models
    const requests = [...generateSyntheticRequests({seed: 5, pattern, durationSeconds: duration, models: scaled})]
    for (const m of scaled) {
      const rate = requests.filter((r) => r.model === m.name).length / duration
      expect(Math.abs(rate / m.meanRps - 1)).toBeLessThan(pattern === 'bursty' ? 0.1 : 0.05)
    }
    expect(requests.every((r, i) => i === 0 || r.t >= requests[i - 1]!.t)).toBe(true)
    expect(requests.every((r) => r.t >= 0 && r.t < duration && r.inputTokens >= 1 && r.outputTokens >= 1)).toBe(true)
  })

  test.each([
    {pattern: 'poisson' as const, minPeakToMean: 1, maxPeakToMean: 1.6, reason: 'per-minute Poisson noise only'},
    {pattern: 'bursty' as const, minPeakToMean: 2.2, maxPeakToMean: 5, reason: 'bursts at 4 × the base rate'},
    {pattern: 'diurnal' as const, minPeakToMean: 1.45, maxPeakToMean: 1.9, reason: 'the day peaks at 1.6 × the mean'},
  ])('$pattern has the shape it says ($reason)', ({pattern, minPeakToMean, maxPeakToMean}) => {
    const duration = pattern === 'diurnal' ? 86_400 : 6 * 3600
    const series = bucketRequests(
      generateSyntheticRequests({seed: 9, pattern, durationSeconds: duration, models: [{name: 'm', meanRps: 5}]}),
      {bucketSeconds: pattern === 'diurnal' ? 600 : 60},
    )
    const rps = Array.from(series.rps[0]!)
    const ratio = Math.max(...rps) / (rps.reduce((s, v) => s + v, 0) / rps.length)
    expect(ratio).toBeGreaterThanOrEqual(minPeakToMean)
    expect(ratio).toBeLessThanOrEqual(maxPeakToMean)
  })

  test('the same seed gives the same trace; another seed does not', () => {
    const spec: SyntheticTraceSpec = {seed: 42, pattern: 'bursty', durationSeconds: 600, models}
    expect([...generateSyntheticRequests(spec)]).toEqual([...generateSyntheticRequests(spec)])
    expect([...generateSyntheticRequests({...spec, seed: 43})]).not.toEqual([...generateSyntheticRequests(spec)])
  })

  test("adding a model leaves the others' traffic unchanged (one random stream per model)", () => {
    const one = [
      ...generateSyntheticRequests({seed: 7, pattern: 'poisson', durationSeconds: 300, models: [models[0]!]}),
    ]
    const two = [...generateSyntheticRequests({seed: 7, pattern: 'poisson', durationSeconds: 300, models})]
    expect(two.filter((r) => r.model === 'llama')).toEqual(one)
  })
})
