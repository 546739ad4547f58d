/**
 * Who gets the last GPU is decided by the documented placement priority (src/core/planner/demand.ts), never by
 * model names: critical first, existing demand (Pending or displaced pods) before new replicas, larger GPU requests
 * first, name last. The two cases of issue 8 run under both namings; the property tests check that permuting the
 * models, or renaming them while keeping their relative order, changes nothing in the plan but the names.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import type {PolicyConfig} from '../../../src/core/model/config.js'
import type {Change, Plan} from '../../../src/core/model/plan.js'
import type {ClusterSnapshot} from '../../../src/core/model/snapshot.js'
import {compareDemand, type Demand} from '../../../src/core/planner/demand.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {criticalVersusBatch, pendingVersusNew} from '../../../src/core/sim/example-scenarios.js'
import {scenario} from '../../../src/core/sim/scenario.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}

const oneFreeGpu = (critical: string, batch: string) => criticalVersusBatch(critical, batch).build()
const oneMoreNode = (withPending: string, withQueue: string) => pendingVersusNew(withPending, withQueue).build()

const change = (plan: Plan, id: string): Change | undefined => plan.changes.find((c) => c.id === id)
const codes = (c: Change | undefined) => c?.reasons.map((r) => r.code) ?? []

describe('the issue 8 cases: the same winner under any naming', () => {
  test.each([
    {name: 'critical named first (a-critical, m-batch)', critical: 'a-critical', batch: 'm-batch'},
    {name: 'critical named last (z-critical, m-batch)', critical: 'z-critical', batch: 'm-batch'},
  ])(
    'one free GPU, $name: the critical model gets it (ReplicasPlaced), the batch model is blocked (NoCapacityForReplicas)',
    ({critical, batch}) => {
      const plan = planCluster(oneFreeGpu(critical, batch))
      const winner = change(plan, `pod:llm/${critical}`)
      expect(winner?.status).toBe('planned')
      expect(winner?.to).toBe(2)
      expect(codes(winner)).toContain('ReplicasPlaced')
      expect(change(plan, `pod:llm/${batch}`)).toBeUndefined()
      expect(change(plan, `pod:llm/${batch}#blocked`)?.reasons[0]?.code).toBe('NoCapacityForReplicas')
    },
  )

  test.each([
    {name: 'pending model named first (a-pending, z-queue)', pending: 'a-pending', queued: 'z-queue'},
    {name: 'pending model named last (z-pending, a-queue)', pending: 'z-pending', queued: 'a-queue'},
  ])(
    'budget for one node, $name: the Pending pod gets the node (UnschedulableReplicas), the new replica is blocked (NoCapacityForReplicas, BudgetExceeded)',
    ({pending, queued}) => {
      const plan = planCluster(oneMoreNode(pending, queued))
      const node = change(plan, 'node:a100')
      expect(node?.to).toBe(3)
      expect(node?.reasons[0]?.code).toBe('UnschedulableReplicas')
      expect(node?.reasons[0]?.evidence.model).toBe(pending)
      expect(plan.diagnostics.filter((d) => d.code === 'PodsPendingForever')).toEqual([])
      expect(plan.diagnostics.filter((d) => d.code === 'PredictiveScaleUp')).toEqual([])
      const blocked = change(plan, `pod:llm/${queued}#blocked`)
      expect(blocked?.reasons[0]?.code).toBe('NoCapacityForReplicas')
      expect(blocked?.reasons[0]?.message).toMatch(/GPU budget/)
    },
  )
})

describe('compareDemand: the documented placement priority', () => {
  const model = (name: string, fields: {critical?: boolean; count?: number} = {}) =>
    ({
      name,
      critical: fields.critical ?? false,
      gpu: {kind: 'whole' as const, count: fields.count ?? 1},
    }) as unknown as Demand['model']
  test.each([
    {
      name: 'critical before batch, whatever the names',
      a: {model: model('z', {critical: true}), kind: 'new'},
      b: {model: model('a'), kind: 'existing'},
    },
    {
      name: 'existing demand before new replicas',
      a: {model: model('z'), kind: 'existing'},
      b: {model: model('a'), kind: 'new'},
    },
    {
      name: 'larger GPU requests first',
      a: {model: model('z', {count: 4}), kind: 'new'},
      b: {model: model('a', {count: 1}), kind: 'new'},
    },
    {name: 'the name breaks a tie, last', a: {model: model('a'), kind: 'new'}, b: {model: model('b'), kind: 'new'}},
  ] as Array<{name: string; a: Omit<Demand, 'count'>; b: Omit<Demand, 'count'>}>)('$name', ({a, b}) => {
    expect(compareDemand({...a, count: 1}, {...b, count: 1})).toBeLessThan(0)
    expect(compareDemand({...b, count: 1}, {...a, count: 1})).toBeGreaterThan(0)
  })
})

/** A small generated fleet: enough contention (few nodes, budgets) that the placement order matters. */
const fleetArbitrary = fc.record({
  seed: fc.integer({min: 1, max: 1_000_000}),
  nodes: fc.integer({min: 0, max: 4}),
  max: fc.integer({min: 1, max: 6}),
  gpusPerNode: fc.constantFrom(1, 2, 4),
  maxGpus: fc.option(fc.integer({min: 2, max: 12}), {nil: undefined}),
  models: fc.array(
    fc.record({
      count: fc.constantFrom(1, 1, 2),
      critical: fc.boolean(),
      replicas: fc.integer({min: 1, max: 3}),
      pending: fc.integer({min: 0, max: 1}),
      util: fc.constantFrom(20, 40, 80, 95),
    }),
    {minLength: 1, maxLength: 4},
  ),
})

type Fleet = typeof fleetArbitrary extends fc.Arbitrary<infer T> ? T : never

function buildFleet(fleet: Fleet): {config: PolicyConfig; snapshot: ClusterSnapshot} {
  const b = scenario().seeded(fleet.seed).history(10, 60)
  if (fleet.maxGpus !== undefined) b.settings({budget: {maxGpus: fleet.maxGpus}})
  b.nodeGroup(
    'pool',
    {gpu: {model: 'A100-80GB', count: fleet.gpusPerNode}, max: Math.max(fleet.max, fleet.nodes)},
    {nodes: fleet.nodes},
  )
  b.nodeGroup('spot', {gpu: {model: 'A100-80GB', count: fleet.gpusPerNode}, max: 2, capacityType: 'spot'}, {nodes: 1})
  fleet.models.forEach((m, i) => {
    b.model(
      `w${i}`,
      {
        gpu: {count: Math.min(m.count, fleet.gpusPerNode)},
        critical: m.critical,
        replicas: {min: 1, max: 4},
        signals: [gpuUtil],
      },
      {replicas: m.replicas, pending: Math.min(m.pending, m.replicas), load: {gpuUtil: m.util}},
    )
  })
  return b.build()
}

/** Model names appear in messages and evidence only: map them back to compare plans. */
function renameModels(config: PolicyConfig, names: Map<string, string>): PolicyConfig {
  return {...config, models: config.models.map((m) => ({...m, name: names.get(m.name) ?? m.name}))}
}

function replaceAll(text: string, names: Map<string, string>): string {
  let out = text
  for (const [from, to] of names)
    out = out
      .split(`"${from}"`)
      .join(`"${to}"`)
      .split(` ${from} `)
      .join(` ${to} `)
      .split(` ${from}:`)
      .join(` ${to}:`)
      .split(` ${from};`)
      .join(` ${to};`)
      .split(` ${from},`)
      .join(` ${to},`)
  return out
}

describe('the plan does not depend on model order or names (property)', () => {
  test('permuting the models in the config changes nothing', () => {
    fc.assert(
      fc.property(fleetArbitrary, fc.integer({min: 0, max: 1000}), (fleet, shuffleSeed) => {
        const {config, snapshot} = buildFleet(fleet)
        const permuted = {
          ...config,
          models: [...config.models].sort(
            (a, b) =>
              ((a.name.charCodeAt(1) * 7919 + shuffleSeed) % 13) - ((b.name.charCodeAt(1) * 7919 + shuffleSeed) % 13),
          ),
        }
        expect(JSON.stringify(planCluster({config: permuted, snapshot}))).toBe(
          JSON.stringify(planCluster({config, snapshot})),
        )
      }),
      {numRuns: 25},
    )
  })

  test('renaming the models (keeping their relative order) changes nothing but the names', () => {
    fc.assert(
      fc.property(fleetArbitrary, (fleet) => {
        const {config, snapshot} = buildFleet(fleet)
        // Order-preserving: the documented tie-break (name last) must see the same order.
        const names = new Map(config.models.map((m, i) => [m.name, `renamed-model-${String.fromCharCode(97 + i)}x`]))
        const renamed = planCluster({config: renameModels(config, names), snapshot})
        const back = new Map([...names].map(([a, b]) => [b, a]))
        expect(replaceAll(JSON.stringify(renamed), back)).toBe(JSON.stringify(planCluster({config, snapshot})))
      }),
      {numRuns: 25},
    )
  })
})
