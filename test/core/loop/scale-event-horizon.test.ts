/**
 * A loop tick's snapshot carries only the scale events a decision can read (closed-loop.ts,
 * scaleEventHorizonSeconds): the horizon must reach past every window that reads events, and the twin must hand
 * out exactly the events after it. That the plans stay the same is held by snapshot-telemetry.test.ts, which
 * plans with every event beside the loop's short snapshots.
 */
import {describe, expect, test} from 'vitest'

import {loopHistorySeconds, scaleEventHorizonSeconds} from '../../../src/core/loop/closed-loop.js'
import {Twin} from '../../../src/core/twin/index.js'
import {policy, queueFleet} from './helpers.js'

const pool = [{name: 'pool', gpu: {model: 'H100-80GB', count: 1}, max: 4}]

describe('how far back scale events are carried', () => {
  test.each([
    {
      why: "the telemetry history (signal windows, the forecast's trend): a load read at a sample undoes the events after it",
      behavior: {},
      covers: 1860,
    },
    {
      why: 'a scale-down cooldown longer than the history: the last event inside it holds the count',
      behavior: {scaleDown: {cooldown: '2h'}},
      covers: 7200,
    },
    {
      why: 'a rate period longer than the history: the events of the period limit the step',
      behavior: {scaleUp: {policies: [{type: 'Pods', value: 1, period: '3h'}]}},
      covers: 10_800,
    },
  ])('$why', ({behavior, covers}) => {
    const config = policy(pool, [{name: 'llama', gpu: {count: 1}, behavior}], {loopInterval: '30s'})
    const history = loopHistorySeconds(config, 30)
    const horizon = scaleEventHorizonSeconds(config, history, 30)
    expect(horizon).toBeGreaterThanOrEqual(Math.max(history, covers))
  })
})

describe("the twin's snapshot carries the events after an instant", () => {
  const twin = new Twin(queueFleet({arrivals: {kind: 'none'}, initialNodes: 4}))
  // Scale at 0, 60, 120 and 180 s after the start.
  for (const replicas of [2, 3, 2, 1]) {
    twin.scaleWorkload('llama', replicas)
    twin.runUntil(twin.now + 60)
  }
  const start = twin.now - 240
  test.each([
    {why: 'no instant: every event of the run', after: undefined, expected: [0, 60, 120, 180]},
    {why: 'events strictly after the instant', after: start + 60, expected: [120, 180]},
    {why: 'an instant before the first keeps them all', after: start - 1, expected: [0, 60, 120, 180]},
    {why: 'an instant after the last keeps none', after: start + 180, expected: []},
  ])('$why', ({after, expected}) => {
    const snapshot = twin.snapshot({telemetry: false, ...(after !== undefined ? {scaleEventsAfter: after} : {})})
    expect(snapshot.workloads[0]?.scaleEvents.map((e) => e.at - start)).toEqual(expected)
  })
})
