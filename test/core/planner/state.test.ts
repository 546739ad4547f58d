/**
 * Controller state in and out: a tick's `plan.state`, passed with the next snapshot, makes two ticks behave like
 * one HPA controller across syncs (the stabilization window remembers the first tick's recommendation; the
 * scale-up cooldown remembers its scale event). Without the state each tick starts from nothing.
 */
import {Ajv} from 'ajv'
import {describe, expect, test} from 'vitest'

import type {Plan} from '../../../src/core/model/plan.js'
import type {ClusterSnapshot} from '../../../src/core/model/snapshot.js'
import {CONTROLLER_STATE_SCHEMA} from '../../../src/core/plan/state-schema.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {scenario} from '../../../src/core/sim/scenario.js'
import {decodeSnapshot, encodeSnapshot} from '../../../src/core/snapshot/codec.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}

/** One model on a roomy group, at `at`, with `replicas` serving at `util`% GPU utilization. */
function tick(at: string, replicas: number, util: number, behavior: Record<string, unknown> = {}) {
  return scenario()
    .at(at)
    .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 8, min: 6}, {nodes: 6})
    .model(
      'chat',
      {gpu: {count: 1}, replicas: {min: 1, max: 6}, signals: [gpuUtil], ...behavior},
      {replicas, load: {gpuUtil: util}},
    )
    .build()
}

const replicaChange = (plan: Plan) => plan.changes.find((c) => c.action === 'scale-replicas' && c.status === 'planned')
const reasonCodes = (plan: Plan) => [...plan.changes, ...plan.skipped].flatMap((c) => c.reasons.map((r) => r.code))

describe("two ticks fed each other's state behave like HPA across syncs", () => {
  const first = tick('2026-11-28T12:00:00Z', 2, 80)
  const plan1 = planCluster(first)

  test('tick 1 scales 2 → 4 and its state records the recommendation, the scale event and nothing else', () => {
    expect(replicaChange(plan1)?.to).toBe(4)
    expect(plan1.state.models['llm/Deployment/chat']).toEqual({
      recommendations: [{at: first.snapshot.capturedAt, replicas: 4}],
      scaleEvents: [{at: first.snapshot.capturedAt, from: 2, to: 4}],
    })
    expect(plan1.state.changes).toEqual([
      {id: 'pod:llm/chat', action: 'scale-replicas', since: first.snapshot.capturedAt, status: 'pending'},
    ])
  })

  test.each([
    {
      name: "with tick 1's state: the 5 min scale-down stabilization window holds 4 (ScaleDownStabilized)",
      carry: true,
      expectedTo: undefined,
      code: 'ScaleDownStabilized',
    },
    {
      name: 'without it: the load drop scales down at once (ScaleDownSignal)',
      carry: false,
      expectedTo: 1,
      code: 'ScaleDownSignal',
    },
  ])('tick 2, one minute later at low load, $name', ({carry, expectedTo, code}) => {
    const second = tick('2026-11-28T12:01:00Z', 4, 10)
    const snapshot: ClusterSnapshot = carry ? {...second.snapshot, state: plan1.state} : second.snapshot
    const plan2 = planCluster({config: second.config, snapshot})
    expect(replicaChange(plan2)?.to).toBe(expectedTo)
    expect(reasonCodes(plan2)).toContain(code)
  })

  test("the state carries the window forward: tick 2 keeps tick 1's recommendation and adds its own", () => {
    const second = tick('2026-11-28T12:01:00Z', 4, 10)
    const plan2 = planCluster({config: second.config, snapshot: {...second.snapshot, state: plan1.state}})
    expect(plan2.state.models['llm/Deployment/chat']?.recommendations).toEqual([
      {at: first.snapshot.capturedAt, replicas: 4},
      {at: second.snapshot.capturedAt, replicas: 1},
    ])
  })

  test("a scale-up cooldown counts from tick 1's scale event (Cooldown)", () => {
    const behavior = {behavior: {scaleUp: {cooldown: '5m'}}}
    const one = planCluster(tick('2026-11-28T12:00:00Z', 2, 80, behavior))
    const later = tick('2026-11-28T12:01:00Z', 4, 80, behavior)
    expect(reasonCodes(planCluster({config: later.config, snapshot: {...later.snapshot, state: one.state}}))).toContain(
      'Cooldown',
    )
    expect(reasonCodes(planCluster(later))).not.toContain('Cooldown')
  })

  test('a state of another format version is ignored, never guessed at', () => {
    const second = tick('2026-11-28T12:01:00Z', 4, 10)
    const foreign = {...plan1.state, formatVersion: 99} as unknown as ClusterSnapshot['state']
    expect(
      replicaChange(planCluster({config: second.config, snapshot: {...second.snapshot, state: foreign}}))?.to,
    ).toBe(1)
  })

  test('the state validates against schemas/controller-state.schema.json and survives the snapshot file codec', () => {
    const validate = new Ajv({strict: false, allErrors: true}).compile(CONTROLLER_STATE_SCHEMA)
    expect(validate(plan1.state), JSON.stringify(validate.errors)).toBe(true)
    const withState = {...first.snapshot, state: plan1.state}
    expect(decodeSnapshot(JSON.parse(JSON.stringify(encodeSnapshot(withState)))).state).toEqual(plan1.state)
  })

  test('a group scaled up records lastScaleUpAt; the next tick keeps it (scale-down delay after add)', () => {
    const busy = scenario()
      .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 2})
      .model(
        'chat',
        {gpu: {count: 1}, replicas: {min: 1, max: 4}, signals: [gpuUtil]},
        {replicas: 2, load: {gpuUtil: 80}},
      )
      .build()
    const plan = planCluster(busy)
    expect(plan.changes.some((c) => c.action === 'scale-node-group')).toBe(true)
    expect(plan.state.nodeGroups.a100?.lastScaleUpAt).toBe(busy.snapshot.capturedAt)
  })
})
