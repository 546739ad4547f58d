import {describe, expect, test} from 'vitest'

import {estimateCapacity, fitStepLaw, MIN_POINTS} from '../../../../src/core/policy/replicas/capacity-at-slo.js'
import {indexTelemetry} from '../../../../src/core/signals/telemetry-index.js'
import {A, BMAX, OUT, stepLawSeries, W} from './step-law-series.js'

/** The true capacity of that replica: the batch limit (λ = Bmax ÷ (Ō·a + Bmax·w)) or the TPOT limit, the lower. */
const atBatch = BMAX / (OUT * A + BMAX * W)
const atTpot = (tpot: number) => (1 - A / tpot) / W

const varied = [8, 10, 12, 15, 18, 20, 22, 24, 20, 16, 14, 12]
const flat = Array.from({length: 12}, () => 20)

describe('capacity at SLO, learned from the replicas telemetry', () => {
  test.each([
    {
      name: 'a load that moves: the fit finds the batch-limited capacity and the last minute is the demand',
      pods: ['p1', 'p2'],
      rates: varied,
      tpot: 0.1,
      want: {status: 'ok', capacity: atBatch, limitedBy: 'batch', demand: 2 * 12},
    },
    {
      name: 'a tight TPOT SLO binds before the batch does',
      pods: ['p1'],
      rates: varied,
      tpot: 0.02,
      want: {status: 'ok', capacity: atTpot(0.02), limitedBy: 'tpot', demand: 12},
    },
    {
      name: 'a flat load carries no line: no capacity, and the reason says why',
      pods: ['p1'],
      rates: flat,
      tpot: 0.1,
      want: {status: 'unfit', why: /barely moved/},
    },
    {
      name: 'too few intervals carry no line',
      pods: ['p1'],
      rates: varied.slice(0, MIN_POINTS - 2),
      tpot: 0.1,
      want: {status: 'unfit', why: /need 6/},
    },
  ])('$name', ({pods, rates, tpot, want}) => {
    const telemetry = indexTelemetry(pods.flatMap((p) => stepLawSeries(p, rates)))
    const now = rates.length * 30
    const got = estimateCapacity({telemetry, namespace: 'llm', pods, now, fitWindowSeconds: 1800, tpotSeconds: tpot})
    expect(got.status).toBe(want.status)
    if (got.status === 'ok' && want.status === 'ok') {
      expect(got.capacity).toBeCloseTo(want.capacity as number, 1)
      expect(got.limitedBy).toBe(want.limitedBy)
      expect(got.demand).toBeCloseTo(want.demand as number, 6)
      expect(got.stepSeconds).toBeCloseTo(A, 6)
      expect(got.workSeconds).toBeCloseTo(W, 6)
    } else if (got.status === 'unfit' && want.status === 'unfit') expect(got.why).toMatch(want.why as RegExp)
  })

  test.each([
    {
      name: 'a growing queue is load the replicas did not take: its growth and its drain within a minute are added',
      waiting: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 120, 180],
      arriving: 0,
      // growth 120 over 60 s = 2 req/s, backlog 180 ÷ 60 s = 3 req/s
      extra: 5,
    },
    {
      name: 'while replicas arrive, the growth their capacity will absorb is not asked for again (only the drain)',
      waiting: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 60, 120, 180],
      arriving: 1,
      extra: 3,
    },
  ])('$name', ({waiting, arriving, extra}) => {
    const telemetry = indexTelemetry(stepLawSeries('p1', varied, {waiting}))
    const now = varied.length * 30
    const got = estimateCapacity({telemetry, namespace: 'llm', pods: ['p1'], now, fitWindowSeconds: 1800, arriving})
    expect(got.status).toBe('ok')
    if (got.status === 'ok') expect(got.demand).toBeCloseTo(12 + extra, 6)
  })

  test.each([
    {name: 'a rising line fits', points: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((x) => ({x, y: A + W * x})), ok: true},
    {
      name: 'a falling line is not the step law (slope ≤ 0)',
      points: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((x) => ({x, y: 0.03 - 0.02 * x})),
      ok: false,
    },
    {
      name: 'points with no relation to load (R² below 0.5) carry no line',
      points: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((x, i) => ({x, y: i % 2 === 0 ? 0.01 : 0.02})),
      ok: false,
    },
  ])('$name', ({points, ok}) => {
    expect('a' in fitStepLaw(points)).toBe(ok)
  })
})
