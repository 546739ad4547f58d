/**
 * Plans are finite by construction (issue 13 item 2): whatever the telemetry holds (NaN, Infinity, huge or
 * negative samples), no plan carries NaN, Infinity or a negative count, size or ETA. The guard itself is tested
 * on hand-made changes: a broken change is dropped with a PlanInvariantViolated bug diagnostic.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import type {Change, Plan} from '../../../src/core/model/plan.js'
import {guardChanges} from '../../../src/core/planner/finite.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {scenario} from '../../../src/core/sim/scenario.js'

const signals = [
  {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'},
  {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'},
]
const hostile = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1, 0, 1e308),
  fc.double({min: -1e6, max: 1e12, noNaN: true}),
)

/** Every number of the plan, with its path. */
function numbers(value: unknown, path = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]]
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${path}[${i}]`))
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`))
  return []
}

function countFields(plan: Plan): Array<[string, number]> {
  return plan.changes.flatMap((c) => [
    ...numbers({from: c.from, to: c.to}, c.id),
    ...(c.eta ? [[`${c.id}.eta`, c.eta.seconds] as [string, number]] : []),
    ...numbers(c.payload, `${c.id}.payload`).filter(([path]) => !path.endsWith('.delta')),
  ])
}

interface HostileCase {
  util: number
  queue: number
  extra: number
  replicas: number
  nodes: number
  seed: number
}

/** Plans the case and checks that no number of the plan is non-finite, and that no count is negative. */
function expectFinitePlan({util, queue, extra, replicas, nodes, seed}: HostileCase): void {
  const {config, snapshot} = scenario()
    .seeded(seed)
    .history(10, 60)
    .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes})
    .model('chat', {gpu: {count: 1}, replicas: {min: 0, max: 6}, signals}, {replicas, load: {gpuUtil: util, queue}})
    .series({
      metric: 'vllm:num_requests_waiting',
      labels: {namespace: 'llm', pod: 'chat-extra', model_name: 'chat'},
      samples: [
        [snapshot0 - 30, extra],
        [snapshot0, extra],
      ],
    })
    .build()
  const plan = planCluster({config, snapshot})
  expect(numbers(plan).filter(([, v]) => !Number.isFinite(v))).toEqual([])
  expect(countFields(plan).filter(([, v]) => v < 0 || !Number.isInteger(v))).toEqual([])
}

describe('no plan holds NaN, Infinity or a negative count (generated telemetry)', () => {
  test.each([
    {
      // Found by the property below in CI: a snapshot built in process (no file loader, so no sanitizer) carried
      // NaN queue samples into the demand forecast, whose `now` reached the change's details as NaN.
      name: 'NaN queue samples in a snapshot built in process never reach a forecast (the planner sanitizes too)',
      case: {util: 195.6501937007059, queue: Number.NaN, extra: Number.NaN, replicas: 1, nodes: 1, seed: 1},
    },
  ])('$name', ({case: hostileCase}) => expectFinitePlan(hostileCase))

  test('over hostile samples, replica counts and group sizes', () => {
    fc.assert(
      fc.property(
        fc.record({
          util: hostile,
          queue: hostile,
          extra: hostile,
          replicas: fc.integer({min: 0, max: 4}),
          nodes: fc.integer({min: 0, max: 4}),
          seed: fc.integer({min: 1, max: 1000}),
        }),
        expectFinitePlan,
      ),
      {numRuns: 40},
    )
  })
})

const snapshot0 = Date.parse('2026-11-28T12:00:00Z') / 1000

describe('guardChanges: nothing is planned for a target with a broken change, nor for what depends on it', () => {
  const node: Change = {
    id: 'node:a100',
    layer: 'node',
    action: 'scale-node-group',
    target: {kind: 'NodeGroup', name: 'a100'},
    from: 2,
    to: Number.NaN,
    status: 'planned',
    eta: {seconds: 180, at: '2026-11-28T12:03:00Z'},
    dependsOn: [],
    reasons: [{code: 'UnschedulableReplicas', message: 'replicas fit no free GPU', evidence: {}}],
    preconditions: [{resource: {kind: 'NodeGroup', name: 'a100'}, path: 'status.targetSize', equals: 2}],
    payload: {group: 'a100', from: 2, to: Number.NaN, delta: Number.NaN},
  }
  const replicas: Change = {
    id: 'pod:llm/chat',
    layer: 'pod',
    action: 'scale-replicas',
    target: {kind: 'Deployment', namespace: 'llm', name: 'chat'},
    from: 2,
    to: 4,
    status: 'planned',
    eta: {seconds: 200, at: '2026-11-28T12:03:20Z'},
    dependsOn: ['node:a100'],
    reasons: [{code: 'ReplicasPlaced', message: '2 new replicas', evidence: {}}],
    preconditions: [{resource: {kind: 'Deployment', namespace: 'llm', name: 'chat'}, path: 'spec.replicas', equals: 2}],
    payload: {workload: {kind: 'Deployment', namespace: 'llm', name: 'chat'}, from: 2, to: 4},
  }
  test('a NaN node-group size drops the node change and the replicas waiting for it (PlanInvariantViolated, dependsOn)', () => {
    const result = guardChanges([node, replicas])
    expect(result.changes).toEqual([])
    expect(result.diagnostics.map((d) => [d.code, d.evidence?.field])).toEqual([
      ['PlanInvariantViolated', 'to'],
      ['PlanInvariantViolated', 'dependsOn'],
    ])
  })
})

describe('guardChanges: a change with a non-finite or negative number is not planned', () => {
  const base: Change = {
    id: 'pod:llm/chat',
    layer: 'pod',
    action: 'scale-replicas',
    target: {kind: 'Deployment', namespace: 'llm', name: 'chat'},
    from: 2,
    to: 4,
    status: 'planned',
    eta: {seconds: 30, at: '2026-11-28T12:00:30Z'},
    dependsOn: [],
    reasons: [{code: 'ScaleUpSignal', message: 'queue above target', evidence: {value: 9}}],
    preconditions: [{resource: {kind: 'Deployment', namespace: 'llm', name: 'chat'}, path: 'spec.replicas', equals: 2}],
    payload: {workload: {kind: 'Deployment', namespace: 'llm', name: 'chat'}, from: 2, to: 4},
  }
  test.each([
    {name: 'a sound change passes (no diagnostic)', change: base, kept: true, field: undefined},
    {
      name: 'to: NaN is dropped (PlanInvariantViolated, to)',
      change: {...base, to: Number.NaN},
      kept: false,
      field: 'to',
    },
    {
      name: 'a negative payload count is dropped (PlanInvariantViolated, payload.to)',
      change: {...base, payload: {...base.payload, to: -1}},
      kept: false,
      field: 'payload.to',
    },
    {
      name: 'an infinite ETA is dropped (PlanInvariantViolated, eta.seconds)',
      change: {...base, eta: {seconds: Number.POSITIVE_INFINITY, at: ''}},
      kept: false,
      field: 'eta.seconds',
    },
    {
      name: 'NaN evidence is dropped (PlanInvariantViolated, evidence)',
      change: {...base, reasons: [{...base.reasons[0], evidence: {value: Number.NaN}}]} as Change,
      kept: false,
      field: 'reasons.ScaleUpSignal.evidence.value',
    },
    {
      name: 'negative evidence is allowed (a falling slope)',
      change: {...base, reasons: [{...base.reasons[0], evidence: {slopePerMinute: -0.5}}]} as Change,
      kept: true,
      field: undefined,
    },
  ])('$name', ({change, kept, field}) => {
    const result = guardChanges([change])
    expect(result.changes.length).toBe(kept ? 1 : 0)
    expect(result.diagnostics.map((d) => [d.code, d.evidence?.field])).toEqual(
      kept ? [] : [['PlanInvariantViolated', field]],
    )
  })
})
