/**
 * What the node layer reads from a forecast (forecast-need.ts): per signal the smaller of the forecast's level and
 * the pod layer's count grown by the signal's relative rise; the largest over signals, never below the pod layer's
 * count, within the model's max.
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig} from '../../../../src/core/model/config.js'
import type {DemandForecast, SignalForecast} from '../../../../src/core/policy/nodes/forecast.js'
import {readForecastNeed} from '../../../../src/core/policy/nodes/forecast-need.js'

/** Only the fields readForecastNeed reads: the max and the scale-up tolerance (10%). */
const model = {
  name: 'chat',
  replicas: {min: 1, max: 64},
  behavior: {scaleUp: {tolerance: 0.1}},
} as unknown as ModelConfig

const signal = (name: string, target: number, now: number, projected: number): SignalForecast => ({
  signal: name,
  metric: name,
  target,
  now,
  projected,
  slopePerMinute: projected > now ? 1 : projected < now ? -1 : 0,
  replicasNow: Math.ceil(now / target),
  replicas: Math.ceil(projected / target),
  pods: 1,
  method: 'trend',
})
const forecast = (...signals: SignalForecast[]): DemandForecast => ({
  model: 'chat',
  leadSeconds: 180,
  replicas: Math.max(...signals.map((s) => s.replicas)),
  decidedBy: signals[0]?.signal ?? null,
  signals,
})

describe('readForecastNeed', () => {
  test.each([
    {
      name: 'the level, when the replicas have slack below target: 2 replicas with queue 6 → 6.5 (target 4) need 2, not 3',
      replicas: 2,
      forecast: forecast(signal('queue', 4, 6, 6.5)),
      want: {replicas: 2, growth: 0, decidedBy: null},
    },
    {
      name: 'a flat KV level the pod layer does not follow (17.1 over 26 replicas, target 0.3 → 57): no growth, no warming',
      replicas: 26,
      forecast: forecast(signal('kv', 0.3, 17.1, 17.1)),
      want: {replicas: 26, growth: 0, decidedBy: null},
    },
    {
      name: 'a queue backlog drained by 18 replicas (452 → 520, target 5 → 104): the count grows like the backlog, 18 → 21',
      replicas: 18,
      forecast: forecast(signal('queue', 5, 452, 520)),
      want: {replicas: 21, growth: 3, decidedBy: 'queue'},
    },
    {
      name: 'a rise from an empty queue (0 → 10, target 5): no level to scale, the forecast’s own sizing, 1 → 2',
      replicas: 1,
      forecast: forecast(signal('queue', 5, 0, 10)),
      want: {replicas: 2, growth: 1, decidedBy: 'queue'},
    },
    {
      name: 'a falling forecast never asks for fewer than the pod layer runs',
      replicas: 10,
      forecast: forecast(signal('kv', 0.3, 3, 1.5)),
      want: {replicas: 10, growth: 0, decidedBy: null},
    },
    {
      name: 'the largest need over signals wins (KV 12 → 14 over 10 replicas at target: 12; queue: 11)',
      replicas: 10,
      forecast: forecast(signal('queue', 4, 40, 44), signal('kv', 0.3, 3, 3.5)),
      want: {replicas: 12, growth: 2, decidedBy: 'kv'},
    },
    {
      name: 'the model’s max caps the need',
      replicas: 60,
      forecast: forecast(signal('queue', 5, 300, 400)),
      want: {replicas: 64, growth: 4, decidedBy: 'queue'},
    },
  ])('$name', ({replicas, forecast: f, want}) => {
    expect(readForecastNeed(model, f, replicas)).toEqual(want)
  })

  test.each([
    {
      name: 'padRising: a rising projection counts with the 10% scale-up tolerance (queue 8 → 8.4 over 2 replicas: 3 with it, 3 without)',
      forecast: forecast(signal('queue', 4, 7.6, 8.4)),
      replicas: 2,
      want: [3, 3],
    },
    {
      name: 'padRising: just under a whole replica (7.6 → 7.9, target 4: 2) the band reaches the next (8.69: 3), so scale-down keeps the node warming would ask for next tick',
      forecast: forecast(signal('queue', 4, 7.6, 7.9)),
      replicas: 2,
      want: [2, 3],
    },
    {
      name: 'padRising adds nothing to a flat forecast: a steady fleet keeps no spare node',
      forecast: forecast(signal('queue', 4, 7.9, 7.9)),
      replicas: 2,
      want: [2, 2],
    },
  ])('$name', ({forecast: f, replicas, want}) => {
    expect([
      readForecastNeed(model, f, replicas).replicas,
      readForecastNeed(model, f, replicas, {padRising: true}).replicas,
    ]).toEqual(want)
  })
})
