import {describe, expect, test} from 'vitest'

import type {Change, Plan} from '../../../src/core/model/plan.js'
import {planCluster} from '../../../src/core/planner/plan-cluster.js'
import {scenario, type ScenarioBuilder} from '../../../src/core/sim/scenario.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}
const taint = [{key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule'}]
const toleration = [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}]

/** A model at 2 replicas whose GPU utilization (80% vs a 40% target) asks for 4. */
function busyModel(
  builder: ScenarioBuilder,
  raw: Record<string, unknown> = {},
  runtime: Record<string, unknown> = {},
): ScenarioBuilder {
  return builder.model(
    'chat',
    {gpu: {count: 1}, replicas: {min: 1, max: 4}, signals: [gpuUtil], ...raw},
    {replicas: 2, load: {gpuUtil: 80}, ...runtime},
  )
}

const find = (plan: Plan, id: string): Change | undefined => plan.changes.find((c) => c.id === id)
const codes = (change: Change | undefined) => change?.reasons.map((r) => r.code) ?? []

describe('planCluster: the three layers together', () => {
  test.each([
    {
      name: 'free GPUs host the new replicas: no node change (no scale-up when capacity is free)',
      build: () => busyModel(scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 4})),
      expect: (plan: Plan) => {
        expect(find(plan, 'pod:llm/chat')?.to).toBe(4)
        expect(codes(find(plan, 'pod:llm/chat'))).toContain('ReplicasPlaced')
        expect(plan.changes.filter((c) => c.layer === 'node' && c.action === 'scale-node-group')).toEqual([])
      },
    },
    {
      name: 'no free GPU: the group scales up and the replicas depend on it (nodes before the replicas that need them)',
      build: () =>
        busyModel(
          scenario().nodeGroup(
            'a100',
            {gpu: {model: 'A100-80GB', count: 1}, max: 6, coldStart: {provisioning: '120s', driverInit: '60s'}},
            {nodes: 2},
          ),
        ),
      expect: (plan: Plan) => {
        const node = find(plan, 'node:a100')
        expect(node?.to).toBe(4)
        const pod = find(plan, 'pod:llm/chat')
        expect(pod?.dependsOn).toContain('node:a100')
        // ETA counts the node cold start (180 s) plus the 16 GiB weight load at 1 GiB/s.
        expect(pod?.eta?.seconds).toBe(180 + 16)
        expect(plan.changes.indexOf(node as Change)).toBeLessThan(plan.changes.indexOf(pod as Change))
      },
    },
    {
      name: 'the only group is at max: a blocked change says so instead of pods pending forever',
      build: () => busyModel(scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 2}, {nodes: 2})),
      expect: (plan: Plan) => {
        expect(find(plan, 'pod:llm/chat')).toBeUndefined()
        const blocked = find(plan, 'pod:llm/chat#blocked')
        expect(blocked?.status).toBe('blocked')
        expect(blocked?.reasons[0]?.code).toBe('NoCapacityForReplicas')
        expect(blocked?.reasons[0]?.message).toMatch(/max 2/)
      },
    },
    {
      name: 'a taint the model does not tolerate: blocked, naming the taint',
      build: () =>
        busyModel(
          scenario()
            .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 2}, {nodes: 2})
            .nodeGroup('tainted', {gpu: {model: 'A100-80GB', count: 1}, max: 6, taints: taint}, {nodes: 0}),
        ),
      expect: (plan: Plan) => {
        expect(find(plan, 'pod:llm/chat#blocked')?.reasons[0]?.message).toMatch(
          /max 2 nodes; not eligible: tainted \(TaintNotTolerated\)/,
        )
        const tainted = (
          find(plan, 'pod:llm/chat#blocked')?.details?.groups as Array<{
            group: string
            reasons: Array<{message: string}>
          }>
        ).find((g) => g.group === 'tainted')
        expect(tainted?.reasons[0]?.message).toMatch(/taint nvidia.com\/gpu=present:NoSchedule/)
        expect(plan.changes.some((c) => c.action === 'scale-node-group')).toBe(false)
      },
    },
    {
      name: 'a node still initializing its GPU drivers is capacity arriving: no duplicate scale-up',
      build: () =>
        busyModel(
          scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 2, initializingNodes: 2}),
        ),
      expect: (plan: Plan) => {
        expect(plan.changes.some((c) => c.action === 'scale-node-group')).toBe(false)
        expect(
          find(plan, 'pod:llm/chat')?.reasons.find((r) => r.code === 'ReplicasPlaced')?.evidence.onArrivingCapacity,
        ).toBe(2)
      },
    },
    {
      name: 'a MIG model with no free instance: an idle MIG-capable node is repartitioned before any node is added',
      build: () =>
        scenario()
          .nodeGroup(
            'mig',
            {gpu: {model: 'A100-80GB', count: 2}, max: 4, migConfigs: ['all-1g.10gb', 'all-3g.40gb']},
            {nodes: 1},
          )
          .model(
            'embed',
            {gpu: {migProfile: '3g.40gb'}, replicas: {min: 2, max: 4}, signals: [gpuUtil]},
            {replicas: 2, pending: 2},
          ),
      expect: (plan: Plan) => {
        const gpu = find(plan, 'gpu:mig-01')
        expect(gpu?.status).toBe('planned')
        expect(gpu?.action === 'repartition-gpu' ? gpu.payload.migConfig : undefined).toBe('all-3g.40gb')
        expect(gpu?.steps?.map((s) => s.action)).toEqual([
          'cordon',
          'drain',
          'set-mig-config',
          'wait-mig-config',
          'uncordon',
        ])
        expect(codes(gpu)).toContain('MigProfileNeeded')
        expect(plan.changes.filter((c) => c.action === 'scale-node-group')).toEqual([])
      },
    },
    {
      name: 'a node takes one mig.config per plan: the 3g demand (larger, placed first) gets the idle node, the 1g demand does not rewrite it',
      build: () =>
        scenario()
          .nodeGroup(
            'mig',
            {gpu: {model: 'A100-80GB', count: 2}, max: 1, migConfigs: ['all-disabled', 'all-3g.40gb', 'all-1g.10gb']},
            {nodes: 1},
          )
          .model(
            'embed',
            {gpu: {migProfile: '3g.40gb'}, replicas: {min: 2, max: 4}, signals: [gpuUtil]},
            {replicas: 2, pending: 2},
          )
          .model(
            'tiny',
            {gpu: {migProfile: '1g.10gb'}, replicas: {min: 2, max: 2}, signals: [gpuUtil]},
            {replicas: 2, pending: 2},
          ),
      expect: (plan: Plan) => {
        const gpu = plan.changes.filter((c) => c.action === 'repartition-gpu')
        expect(gpu.map((c) => c.id)).toEqual(['gpu:mig-01'])
        expect(gpu[0]?.action === 'repartition-gpu' ? gpu[0].payload.migConfig : undefined).toBe('all-3g.40gb')
        expect(plan.diagnostics.find((d) => d.code === 'PodsPendingForever')?.target?.name).toBe('tiny')
      },
    },
    {
      name: 'a busy GPU keeps its layout: no repartition, new nodes boot without 3g, so the pending pods are flagged',
      build: () =>
        scenario()
          .nodeGroup(
            'mig',
            {gpu: {model: 'A100-80GB', count: 2}, max: 4, migConfigs: ['all-1g.10gb', 'all-3g.40gb']},
            {nodes: 1},
          )
          .model('tiny', {gpu: {migProfile: '1g.10gb'}, replicas: {min: 1, max: 1}, signals: [gpuUtil]}, {replicas: 1})
          .model(
            'embed',
            {gpu: {migProfile: '3g.40gb'}, replicas: {min: 2, max: 4}, signals: [gpuUtil]},
            {replicas: 2, pending: 2},
          ),
      expect: (plan: Plan) => {
        // GPU 0 serves `tiny` on a 1g slice; all-3g.40gb would rewrite it, so the node cannot be repartitioned.
        expect(plan.changes.filter((c) => c.layer === 'gpu')).toEqual([])
        expect(plan.changes.filter((c) => c.action === 'scale-node-group')).toEqual([])
        expect(plan.diagnostics.find((d) => d.code === 'PodsPendingForever')?.evidence?.unplaced).toBe(2)
        expect(plan.diagnostics.find((d) => d.code === 'MigFragmentation')?.evidence?.profile).toBe('3g.40gb')
      },
    },
    {
      name: 'a busy GPU is drained when its replicas have a place of their profile in the new layout: the plan lists the move',
      build: () =>
        scenario()
          .nodeGroup(
            'mig',
            {gpu: {model: 'A100-80GB', count: 2}, max: 1, migConfigs: ['all-1g.10gb', 'all-balanced']},
            {nodes: 1},
          )
          .model(
            'tiny',
            {gpu: {migProfile: '1g.10gb'}, replicas: {min: 1, max: 1}, signals: [gpuUtil], terminationGrace: '45s'},
            {replicas: 1},
          )
          .model(
            'embed',
            {gpu: {migProfile: '3g.40gb'}, replicas: {min: 2, max: 4}, signals: [gpuUtil]},
            {replicas: 2, pending: 2},
          ),
      expect: (plan: Plan) => {
        const gpu = find(plan, 'gpu:mig-01')
        expect(gpu?.status).toBe('planned')
        expect(gpu?.action === 'repartition-gpu' ? gpu.payload.migConfig : undefined).toBe('all-balanced')
        const moves = gpu?.details?.moves as Array<{pod: string; to: {node: string; profile: string}}>
        expect(moves).toHaveLength(1)
        expect(moves[0]?.to).toMatchObject({node: 'mig-01', profile: '1g.10gb'})
        expect(gpu?.reasons[0]?.evidence.podsDisrupted).toBe(1)
        // Drain waits out tiny's 45 s termination grace before MIG Manager's reconfiguration.
        expect(gpu?.details?.drainSeconds).toBe(45)
        expect(plan.diagnostics.find((d) => d.code === 'PodsPendingForever')).toBeUndefined()
      },
    },
    {
      name: 'a workload owned by another autoscaler is left alone with the reason',
      build: () =>
        busyModel(
          scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 4}),
          {},
          {managedBy: 'keda-hpa-chat'},
        ),
      expect: (plan: Plan) => {
        expect(plan.changes.filter((c) => c.layer === 'pod')).toEqual([])
        expect(plan.skipped.find((s) => s.target.name === 'chat')?.reasons[0]?.code).toBe('ManagedByOtherAutoscaler')
      },
    },
    {
      name: 'the GPU budget caps the scale-up: the rest is blocked with BudgetExceeded',
      build: () =>
        busyModel(
          scenario()
            .settings({budget: {maxGpus: 3}})
            .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 2}),
        ),
      expect: (plan: Plan) => {
        expect(find(plan, 'node:a100')?.to).toBe(3)
        expect(find(plan, 'pod:llm/chat#blocked')?.reasons[0]?.message).toMatch(/GPU budget \(3 GPUs/)
      },
    },
  ])('$name', ({build, expect: check}) => {
    check(planCluster(build().build()))
  })

  test('an idle node is removed, but never below the group min', () => {
    const plan = (min: number) =>
      planCluster(
        scenario()
          .nodeGroup('l4', {gpu: {model: 'L4', count: 1}, max: 4, min, taints: taint}, {nodes: 3})
          .model(
            'asr',
            {gpu: {count: 1}, replicas: {min: 2, max: 4}, tolerations: toleration, signals: [gpuUtil]},
            {replicas: 2, load: {gpuUtil: 40}},
          )
          .build(),
      )
    expect(codes(find(plan(0), 'node:l4-03'))).toEqual(['NodeUnneeded'])
    expect(find(plan(3), 'node:l4-03')).toBeUndefined()
    expect(plan(3).skipped.find((s) => s.target.name === 'l4-03')?.reasons[0]?.code).toBe('GroupAtMin')
  })

  test('the same inputs give byte-identical plans', () => {
    const build = () =>
      busyModel(scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 2})).build()
    expect(JSON.stringify(planCluster(build()))).toBe(JSON.stringify(planCluster(build())))
  })
})

describe('planCluster: scale to zero counts the whole way back', () => {
  // Gateway traffic in bursts: 1 minute busy every 6 minutes, idle for the last 3 minutes. Completed idle gaps
  // are ~5 minutes. Weights load in 30 s; a node takes 4 minutes. Keep-warm factor 2.
  const gateway = (m: number) => (m < 3 ? 0 : Math.floor(m) % 6 === 0 ? 5 : 0)
  const build = (groupMin: number) =>
    scenario()
      .nodeGroup(
        'a100',
        {
          gpu: {model: 'A100-80GB', count: 1},
          max: 4,
          min: groupMin,
          coldStart: {provisioning: '150s', driverInit: '60s', imagePull: '30s'},
        },
        {nodes: 2},
      )
      .model(
        'rare',
        {
          gpu: {count: 1},
          replicas: {min: 0, max: 2},
          weights: {sizeGiB: 30, loadGiBps: 1},
          scaleToZero: {idleTime: '2m', keepWarmFactor: 2},
          signals: [
            {
              name: 'gateway',
              metric: 'gateway_queue_depth',
              source: 'workload',
              target: 5,
              activationThreshold: 0,
              window: '1m',
            },
          ],
        },
        {replicas: 1, load: {gatewayQueue: gateway}},
      )
      .build()

  test('next request (~5 min) sooner than node + weights (270 s) × 2: keep one replica warm, with the reason', () => {
    const plan = planCluster(build(0))
    expect(find(plan, 'pod:llm/rare')).toBeUndefined()
    const kept = plan.skipped.find((s) => s.target.name === 'rare')
    const reason = kept?.reasons.find((r) => r.code === 'KeepWarm')
    expect(reason?.evidence.coldStartSeconds).toBe(270)
  })
})

describe('planCluster: spot interruption', () => {
  // Two spot nodes, both serving; spot-01 has the 2-minute interruption notice. Nothing else is free.
  test.each([
    {name: "load steady: the interrupted node's pod gets a replacement node now", load: 40, pod: undefined},
    {
      name: 'scaling down to 1 at the same time: the survivor may be the displaced pod, so its node is still planned',
      load: 5,
      pod: 1,
    },
  ])('$name', ({load, pod}) => {
    const plan = planCluster(
      scenario()
        .nodeGroup(
          'spot',
          {gpu: {model: 'A100-80GB', count: 1}, max: 6, capacityType: 'spot'},
          {nodes: 2, interrupted: 1},
        )
        .model(
          'chat',
          {gpu: {count: 1}, replicas: {min: 1, max: 4}, signals: [gpuUtil]},
          {replicas: 2, load: {gpuUtil: load}},
        )
        .build(),
    )
    expect(find(plan, 'pod:llm/chat')?.to).toBe(pod)
    expect(find(plan, 'node:spot')?.to).toBe(3)
    expect(codes(find(plan, 'node:spot'))).toContain('SpotInterruption')
  })
})

test('nodes of a group the policy does not name are used but never scaled, and the plan says so', () => {
  const {config, snapshot} = busyModel(
    scenario().nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 6}, {nodes: 2}),
  ).build()
  const extra = {
    ...(snapshot.nodes[0] as (typeof snapshot.nodes)[number]),
    name: 'legacy-01',
    group: 'legacy',
    gpus: snapshot.nodes[0]?.gpus.map((g) => ({...g, pods: []})) ?? [],
  }
  const plan = planCluster({config, snapshot: {...snapshot, nodes: [...snapshot.nodes, extra]}})
  expect(plan.diagnostics.find((d) => d.code === 'UnmanagedNodeGroup')?.target?.name).toBe('legacy')
  // The free legacy GPU hosts one of the two new replicas; only one new a100 node is needed.
  expect(find(plan, 'node:a100')?.to).toBe(3)
  expect(plan.changes.some((c) => c.target.name === 'legacy-01')).toBe(false)
})

describe('planCluster: whole GPU or slice for a model sized by memory', () => {
  test.each([
    {
      name: 'a 16 GiB model that is not bandwidth bound takes the smallest slice with the memory: 1g.20gb (2 memory slices)',
      memoryGiB: 16,
      dram: 0.3,
      util: 90,
      share: '1g.20gb',
    },
    {
      name: 'a memory-bandwidth-bound model needs half the memory slices, so at least a 3g',
      memoryGiB: 16,
      dram: 0.9,
      util: 20,
      share: '3g.40gb',
    },
    {name: '70 GiB needs the whole GPU', memoryGiB: 70, dram: 0.3, util: 90, share: 'whole'},
  ])('$name', ({memoryGiB, dram, util, share}) => {
    const plan = planCluster(
      scenario()
        .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 4}, {nodes: 2})
        .model(
          'svc',
          {
            gpu: {memoryGiB},
            replicas: {min: 1, max: 2},
            signals: [gpuUtil, {name: 'queue', metric: 'vllm:num_requests_waiting', target: 4}],
          },
          {replicas: 1, load: {gpuUtil: util, dramActive: dram, smActive: util / 100, queue: 6, running: 8}},
        )
        .build(),
    )
    const recommendation = plan.diagnostics.find((d) => d.code === 'GpuShareRecommendation')
    expect(recommendation?.evidence?.share).toBe(share)
    expect(recommendation?.evidence?.gpu).toBe('A100-80GB')
  })
})

test('a PodDisruptionBudget that forbids the drain blocks the repartition, and the plan says why', () => {
  const built = scenario()
    .nodeGroup(
      'mig',
      {gpu: {model: 'A100-80GB', count: 2}, max: 1, migConfigs: ['all-1g.10gb', 'all-balanced']},
      {nodes: 1},
    )
    .model('tiny', {gpu: {migProfile: '1g.10gb'}, replicas: {min: 1, max: 1}, signals: [gpuUtil]}, {replicas: 1})
    .model(
      'embed',
      {gpu: {migProfile: '3g.40gb'}, replicas: {min: 2, max: 4}, signals: [gpuUtil]},
      {replicas: 2, pending: 2},
    )
    .build()
  const pdbs = [{namespace: 'llm', name: 'tiny', workload: 'Deployment/tiny', maxUnavailable: 0}]
  const plan = planCluster({config: built.config, snapshot: {...built.snapshot, pdbs}})
  const gpu = find(plan, 'gpu:mig-01')
  expect(gpu?.status).toBe('blocked')
  expect(codes(gpu)).toContain('PdbBlocksDrain')
  expect(plan.diagnostics.find((d) => d.code === 'PodsPendingForever')?.evidence?.unplaced).toBe(2)
})
