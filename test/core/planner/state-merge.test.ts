/**
 * The persisted state's history merged into the snapshot's: one entry per (instant, value), in time order, the
 * snapshot's own entry first when both hold it. The merge skips its key-building and sort when the history is
 * already strictly in time order (every tick of a loop); either way the answer must be the same.
 */
import {describe, expect, test} from 'vitest'

import type {ClusterSnapshot, WorkloadState} from '../../../src/core/model/snapshot.js'
import {emptyControllerState} from '../../../src/core/model/state.js'
import {withControllerState} from '../../../src/core/planner/controller-state.js'

type Recommendation = WorkloadState['recommendations'][number]
type ScaleEvent = WorkloadState['scaleEvents'][number]

function merged(
  own: {recommendations: Recommendation[]; scaleEvents: ScaleEvent[]},
  remembered: {recommendations: Recommendation[]; scaleEvents: ScaleEvent[]},
): {recommendations: Recommendation[]; scaleEvents: ScaleEvent[]} {
  const workload: WorkloadState = {
    kind: 'Deployment',
    namespace: 'llm',
    name: 'chat',
    specReplicas: 2,
    readyReplicas: 2,
    ...own,
  }
  const state = emptyControllerState(1000)
  state.models['llm/Deployment/chat'] = remembered
  const snapshot = {capturedAt: 1000, workloads: [workload], nodeGroups: [], state} as unknown as ClusterSnapshot
  const out = withControllerState(snapshot).workloads[0] as WorkloadState
  return {recommendations: out.recommendations, scaleEvents: out.scaleEvents}
}

describe('withControllerState merges history', () => {
  test.each([
    {
      why: 'a loop tick: only the state holds history, strictly in time order — kept whole',
      own: {recommendations: [], scaleEvents: []},
      remembered: {
        recommendations: [
          {at: 900, replicas: 2},
          {at: 930, replicas: 3},
        ],
        scaleEvents: [{at: 930, from: 2, to: 3}],
      },
      expected: {
        recommendations: [
          {at: 900, replicas: 2},
          {at: 930, replicas: 3},
        ],
        scaleEvents: [{at: 930, from: 2, to: 3}],
      },
    },
    {
      why: 'both hold the same entries: each once, sorted by time',
      own: {recommendations: [{at: 930, replicas: 3}], scaleEvents: [{at: 930, from: 2, to: 3}]},
      remembered: {
        recommendations: [
          {at: 900, replicas: 2},
          {at: 930, replicas: 3},
        ],
        scaleEvents: [{at: 930, from: 2, to: 3}],
      },
      expected: {
        recommendations: [
          {at: 900, replicas: 2},
          {at: 930, replicas: 3},
        ],
        scaleEvents: [{at: 930, from: 2, to: 3}],
      },
    },
    {
      why: 'two values at one instant are both kept (distinct keys), in their order',
      own: {recommendations: [{at: 900, replicas: 4}], scaleEvents: []},
      remembered: {recommendations: [{at: 900, replicas: 2}], scaleEvents: []},
      expected: {
        recommendations: [
          {at: 900, replicas: 4},
          {at: 900, replicas: 2},
        ],
        scaleEvents: [],
      },
    },
    {
      why: 'a state written out of order (by hand) is deduplicated and sorted',
      own: {recommendations: [], scaleEvents: []},
      remembered: {
        recommendations: [
          {at: 960, replicas: 1},
          {at: 900, replicas: 2},
          {at: 960, replicas: 1},
        ],
        scaleEvents: [
          {at: 960, from: 3, to: 1},
          {at: 930, from: 2, to: 3},
        ],
      },
      expected: {
        recommendations: [
          {at: 900, replicas: 2},
          {at: 960, replicas: 1},
        ],
        scaleEvents: [
          {at: 930, from: 2, to: 3},
          {at: 960, from: 3, to: 1},
        ],
      },
    },
  ])('$why', ({own, remembered, expected}) => {
    expect(merged(own, remembered)).toEqual(expected)
  })
})
