import {describe, expect, test} from 'vitest'

import type {Change, Plan} from '../../../../src/core/model/plan.js'
import type {ClusterSnapshot, PodState} from '../../../../src/core/model/snapshot.js'
import type {PolicyConfig} from '../../../../src/core/model/config.js'
import {planCluster} from '../../../../src/core/planner/plan-cluster.js'
import {scenario, type ScenarioBuilder} from '../../../../src/core/sim/scenario.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}
const queue = {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'}
const a100 = (raw: Record<string, unknown> = {}) => ({gpu: {model: 'A100-80GB', count: 1}, max: 6, ...raw})
const quad = (raw: Record<string, unknown> = {}) => ({gpu: {model: 'A100-80GB', count: 4}, max: 6, ...raw})

/** A model at 2 replicas whose GPU utilization (80% vs a 40% target) asks for 4. */
const busy = (b: ScenarioBuilder, raw: Record<string, unknown> = {}) =>
  b.model(
    'chat',
    {gpu: {count: 1}, replicas: {min: 1, max: 4}, signals: [gpuUtil], ...raw},
    {replicas: 2, load: {gpuUtil: 80}},
  )
/** A model exactly at target: the pod layer leaves it alone. */
const steady = (b: ScenarioBuilder, replicas: number, runtime: Record<string, unknown> = {}) =>
  b.model(
    'chat',
    {gpu: {count: 1}, replicas: {min: 1, max: 8}, signals: [gpuUtil], terminationGrace: '120s'},
    {replicas, load: {gpuUtil: 40}, ...runtime},
  )

const find = (plan: Plan, id: string): Change | undefined => plan.changes.find((c) => c.id === id)
const codes = (change: Change | undefined) => change?.reasons.map((r) => r.code) ?? []
const keptCodes = (plan: Plan, node: string) =>
  plan.skipped.find((s) => s.target.name === node)?.reasons.map((r) => r.code) ?? []

type Built = {config: PolicyConfig; snapshot: ClusterSnapshot}

/** Moves the `index`-th pod of the snapshot to another node (its GPUs follow), to spread pods as a test needs. */
function movePod(built: Built, index: number, to: string): Built {
  const pod = built.snapshot.pods[index] as PodState
  const key = `${pod.namespace}/${pod.name}`
  const from = built.snapshot.nodes.find((n) => n.name === pod.node)
  const target = built.snapshot.nodes.find((n) => n.name === to)
  const gpu = from?.gpus.find((g) => g.pods.includes(key))
  const free = target?.gpus.find((g) => g.pods.length === 0)
  if (!gpu || !free) throw new Error('cannot move pod')
  gpu.pods = gpu.pods.filter((p) => p !== key)
  free.pods.push(key)
  pod.node = to
  // Its DCGM series move with it: dcgm-exporter labels a GPU's samples with the pod on it and the node it is on.
  for (const series of built.snapshot.telemetry)
    if (series.labels.pod === pod.name && series.labels.Hostname !== undefined) series.labels.Hostname = to
  return built
}

const DCGM_UTIL = 'DCGM_FI_DEV_GPU_UTIL'

/** Prometheus or the exporter answered nothing: the snapshot has no GPU utilization at all. */
function withoutDcgm(built: Built): Built {
  built.snapshot.telemetry = built.snapshot.telemetry.filter((s) => s.metric !== DCGM_UTIL)
  return built
}

/** DCGM utilization stopped `secondsAgo` before the capture (a scrape that has been failing since). */
function dcgmUntil(built: Built, secondsAgo: number): Built {
  const cutoff = built.snapshot.capturedAt - secondsAgo
  for (const s of built.snapshot.telemetry)
    if (s.metric === DCGM_UTIL) s.samples = s.samples.filter(([t]) => t <= cutoff)
  return built
}

/** DCGM utilization missing for `seconds` ending 60 s before the capture: the exporter was down for a while. */
function dcgmGap(built: Built, seconds: number): Built {
  const end = built.snapshot.capturedAt - 60
  for (const s of built.snapshot.telemetry)
    if (s.metric === DCGM_UTIL) s.samples = s.samples.filter(([t]) => t <= end - seconds || t > end)
  return built
}

function addCpuPod(built: Built, node: string): Built {
  built.snapshot.pods.push({
    name: 'log-shipper',
    namespace: 'ops',
    workload: {kind: 'Deployment', name: 'log-shipper'},
    phase: 'Running',
    node,
    ready: true,
    deleting: false,
    createdAt: built.snapshot.capturedAt - 7200,
    daemon: false,
  })
  return built
}

describe('node scale-up: simulated scheduling and the expander chain', () => {
  test.each([
    {
      name: 'spot-first: the spot group is chosen (ExpanderChose) and on-demand recorded as ranked below',
      build: () =>
        busy(
          scenario()
            .settings({expanders: ['spot-first', 'least-waste']})
            .nodeGroup('od', a100(), {nodes: 2})
            .nodeGroup('spot', a100({capacityType: 'spot'})),
        ).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:spot')?.to).toBe(2)
        expect(find(plan, 'node:od')).toBeUndefined()
        const groups = find(plan, 'node:spot')?.details?.groups as Array<{
          group: string
          reasons: Array<{code: string}>
        }>
        expect(groups.find((g) => g.group === 'od')?.reasons[0]?.code).toBe('ExpanderRejected')
      },
    },
    {
      name: 'a spot capacity error 1 min ago: SpotCapacityUnavailable, fall back to on-demand',
      build: () =>
        busy(
          scenario()
            .settings({expanders: ['spot-first']})
            .nodeGroup('od', a100(), {nodes: 2})
            .nodeGroup('spot', a100({capacityType: 'spot'}), {
              failures: [{at: Date.parse('2026-11-28T11:59:00Z') / 1000, reason: 'capacity'}],
            }),
        ).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:od')?.to).toBe(4)
        expect(find(plan, 'node:spot')).toBeUndefined()
        const groups = find(plan, 'node:od')?.details?.groups as Array<{group: string; reasons: Array<{code: string}>}>
        expect(groups.find((g) => g.group === 'spot')?.reasons[0]?.code).toBe('SpotCapacityUnavailable')
      },
    },
    {
      name: 'a critical model never lands on spot (CriticalOffSpot), even with spot-first',
      build: () =>
        busy(
          scenario()
            .settings({expanders: ['spot-first']})
            .nodeGroup('od', a100(), {nodes: 2})
            .nodeGroup('spot', a100({capacityType: 'spot'})),
          {critical: true},
        ).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:od')?.to).toBe(4)
        const groups = find(plan, 'node:od')?.details?.groups as Array<{group: string; reasons: Array<{code: string}>}>
        expect(groups.find((g) => g.group === 'spot')?.reasons[0]?.code).toBe('CriticalOffSpot')
      },
    },
    {
      name: 'priority expander: the higher-priority group wins',
      build: () =>
        busy(
          scenario()
            .settings({expanders: ['priority']})
            .nodeGroup('low', a100({priority: 1}), {nodes: 2})
            .nodeGroup('high', a100({priority: 10})),
        ).build(),
      check: (plan: Plan) => expect(find(plan, 'node:high')?.to).toBe(2),
    },
    {
      name: 'price expander: the cheaper group wins',
      build: () =>
        busy(
          scenario()
            .settings({expanders: ['price']})
            .nodeGroup('dear', a100({hourlyCost: 5}), {nodes: 2})
            .nodeGroup('cheap', a100({hourlyCost: 2})),
        ).build(),
      check: (plan: Plan) => expect(find(plan, 'node:cheap')?.to).toBe(2),
    },
    {
      name: 'least-waste: two 1-GPU nodes beat one 4-GPU node with 2 idle GPUs',
      build: () =>
        busy(scenario().nodeGroup('a-quad', quad(), {nodes: 0}).nodeGroup('b-one', a100(), {nodes: 2})).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:b-one')?.to).toBe(4)
        expect(find(plan, 'node:a-quad')).toBeUndefined()
      },
    },
    {
      name: 'the only group is backed off after a provisioning timeout: blocked with GroupBackedOff, no scale-up',
      build: () =>
        busy(
          scenario().nodeGroup('a', a100(), {
            nodes: 2,
            failures: [{at: Date.parse('2026-11-28T11:58:00Z') / 1000, reason: 'timeout'}],
          }),
        ).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:a')).toBeUndefined()
        expect(find(plan, 'pod:llm/chat#blocked')?.reasons[0]?.message).toMatch(/backed off/)
        expect(plan.skipped.find((s) => s.target.name === 'a')?.reasons[0]?.code).toBe('GroupBackedOff')
      },
    },
    {
      name: 'a node stuck initializing past maxNodeProvisionTime is not capacity and backs the group off (NodeProvisionTimeout)',
      build: () => {
        const built = busy(
          scenario().nodeGroup('a', a100({maxNodeProvisionTime: '60s'}), {nodes: 2, initializingNodes: 1}),
        ).build()
        return built
      },
      check: (plan: Plan) => {
        expect(plan.skipped.find((s) => s.target.name === 'a')?.reasons.map((r) => r.code)).toEqual([
          'NodeProvisionTimeout',
          'GroupBackedOff',
        ])
        expect(find(plan, 'node:a')).toBeUndefined()
      },
    },
    {
      name: 'a spot interruption notice: the pods on that node get new capacity at once (SpotInterruption)',
      build: () => {
        const built = steady(
          scenario()
            .nodeGroup('spot', a100({capacityType: 'spot'}), {nodes: 2})
            .nodeGroup('od', a100()),
          2,
        ).build()
        const node = built.snapshot.nodes[0]
        if (node) node.interruptionNoticeAt = built.snapshot.capturedAt - 20
        return built
      },
      check: (plan: Plan) => {
        const changes = plan.changes.filter((c) => c.action === 'scale-node-group')
        expect(changes).toHaveLength(1)
        expect(codes(changes[0])).toContain('SpotInterruption')
        expect(changes[0]?.target.name).toBe('od')
        expect(changes[0]?.reasons[0]?.evidence.displaced).toBe(1)
      },
    },
    {
      name: 'group max caps the scale-up: the change says GroupAtMax and the rest is blocked',
      build: () => busy(scenario().nodeGroup('a', a100({max: 3}), {nodes: 2})).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:a')?.to).toBe(3)
        expect(codes(find(plan, 'node:a'))).toContain('GroupAtMax')
        expect(find(plan, 'pod:llm/chat#blocked')?.status).toBe('blocked')
      },
    },
  ])('$name', ({build, check}) => {
    check(planCluster(build()))
  })
})

describe('predictive warming', () => {
  const rising = (b: ScenarioBuilder) =>
    b.model(
      'chat',
      {gpu: {count: 1}, replicas: {min: 1, max: 8}, weights: {sizeGiB: 16, loadGiBps: 1}, signals: [queue]},
      {replicas: 2, load: {queue: (m: number) => 3 + (30 - m) * 0.2}},
    )
  test.each([
    {
      name: 'queue rising 0.2/min per pod: PredictiveScaleUp adds a node now, with the forecast in details',
      build: () =>
        rising(
          scenario().nodeGroup('a', a100({max: 12, coldStart: {provisioning: '600s', driverInit: '60s'}}), {nodes: 4}),
        ).build(),
      check: (plan: Plan) => {
        const node = find(plan, 'node:a')
        expect(codes(node)).toContain('PredictiveScaleUp')
        const reason = node?.reasons.find((r) => r.code === 'PredictiveScaleUp')
        expect(reason?.evidence.leadSeconds).toBe(676)
        expect(node?.details?.forecast).toBeDefined()
        expect(node?.eta?.seconds).toBe(660)
        // Warming adds nodes, never replicas: the pod layer decides replicas when the load arrives.
        expect(Number(find(plan, 'pod:llm/chat')?.to ?? 0)).toBeLessThanOrEqual(
          Number(reason?.evidence.forecastReplicas),
        )
      },
    },
    {
      name: 'the same rise with a fast cold start (60 s): the forecast fits current capacity, no warming',
      build: () =>
        rising(scenario().nodeGroup('a', a100({max: 12, coldStart: {provisioning: '44s'}}), {nodes: 4})).build(),
      check: (plan: Plan) => expect(codes(find(plan, 'node:a'))).not.toContain('PredictiveScaleUp'),
    },
    {
      name: 'nodes.mode reactive: the same rising queue with a 660 s cold start adds no node ahead of it (Cluster Autoscaler waits for Pending pods)',
      build: () =>
        rising(
          scenario()
            .settings({nodes: {mode: 'reactive'}})
            .nodeGroup('a', a100({max: 12, coldStart: {provisioning: '600s', driverInit: '60s'}}), {nodes: 4}),
        ).build(),
      check: (plan: Plan) => expect(codes(find(plan, 'node:a'))).not.toContain('PredictiveScaleUp'),
    },
    {
      name: 'nodes.mode reactive ignores warmHeadroomGpus: no GPUs kept free ahead of a flat forecast',
      build: () =>
        steady(
          scenario()
            .settings({warmHeadroomGpus: 2, nodes: {mode: 'reactive'}})
            .nodeGroup('a', a100(), {nodes: 2}),
          2,
        ).build(),
      check: (plan: Plan) => expect(find(plan, 'node:a')).toBeUndefined(),
    },
    {
      name: 'warmHeadroomGpus: 2 GPUs kept free on top of a flat forecast (PredictiveScaleUp)',
      build: () => steady(scenario().settings({warmHeadroomGpus: 2}).nodeGroup('a', a100(), {nodes: 2}), 2).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:a')?.to).toBe(4)
        expect(find(plan, 'node:a')?.reasons[0]?.evidence.headroomGpus).toBe(2)
      },
    },
  ])('$name', ({build, check}) => {
    check(planCluster(build()))
  })
})

describe('node scale-down: safe removal', () => {
  test.each([
    {
      name: 'an underutilized node whose pod fits elsewhere is drained (NodeUnderutilized), ETA = termination grace',
      build: () => movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4, {}).build(), 3, 'q-02'),
      check: (plan: Plan) => {
        const removal = find(plan, 'node:q-02')
        expect(codes(removal)).toEqual(['NodeUnderutilized'])
        expect(removal?.eta?.seconds).toBe(120)
      },
    },
    {
      name: 'a PodDisruptionBudget with maxUnavailable 0 keeps the node (PodDisruptionBudget)',
      build: () => {
        const built = movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4).build(), 3, 'q-02')
        built.snapshot.pdbs.push({namespace: 'llm', name: 'chat-pdb', workload: 'Deployment/chat', maxUnavailable: 0})
        return built
      },
      check: (plan: Plan) => {
        expect(find(plan, 'node:q-02')).toBeUndefined()
        expect(keptCodes(plan, 'q-02')).toEqual(['PodDisruptionBudget'])
      },
    },
    {
      name: 'a node with pods and no DCGM samples is kept (MissingTelemetry): absence is not idleness',
      build: () => withoutDcgm(movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4).build(), 3, 'q-02')),
      check: (plan: Plan) => {
        expect(find(plan, 'node:q-02')).toBeUndefined()
        expect(keptCodes(plan, 'q-02')).toEqual(['MissingTelemetry'])
      },
    },
    {
      name: 'a node with pods whose newest DCGM sample is older than staleAfter is kept (StaleTelemetry): Prometheus is down',
      build: () => dcgmUntil(movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4).build(), 3, 'q-02'), 600),
      check: (plan: Plan) => {
        expect(find(plan, 'node:q-02')).toBeUndefined()
        expect(keptCodes(plan, 'q-02')).toEqual(['StaleTelemetry'])
      },
    },
    {
      name: 'a gap in DCGM inside the window counts as busy (NotUnneededLongEnough): idle only as long as data shows',
      build: () => dcgmGap(movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4).build(), 3, 'q-02'), 300),
      check: (plan: Plan) => {
        expect(find(plan, 'node:q-02')).toBeUndefined()
        expect(keptCodes(plan, 'q-02')).toEqual(['NotUnneededLongEnough'])
      },
    },
    {
      name: 'an empty node needs no telemetry (NodeUnneeded): nothing runs on it, as Cluster Autoscaler removes it',
      build: () => withoutDcgm(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4).build()),
      check: (plan: Plan) => expect(codes(find(plan, 'node:q-02'))).toEqual(['NodeUnneeded']),
    },
    {
      name: 'a replica still loading keeps its node (ReplicaWarmingUp)',
      build: () => movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 2}), 4, {loading: 1}).build(), 3, 'q-02'),
      check: (plan: Plan) => {
        expect(find(plan, 'node:q-02')).toBeUndefined()
        expect(keptCodes(plan, 'q-02')).toEqual(['ReplicaWarmingUp'])
      },
    },
    {
      name: 'a GPU node kept alive only by a CPU pod that fits elsewhere is drained (CpuPodsOnGpuNode)',
      build: () => addCpuPod(steady(scenario().nodeGroup('a', a100(), {nodes: 3}), 2).build(), 'a-03'),
      check: (plan: Plan) => expect(codes(find(plan, 'node:a-03'))).toEqual(['CpuPodsOnGpuNode']),
    },
    {
      name: 'a CPU pod with nowhere else to go keeps the node (CpuPodsWouldNotFit)',
      build: () =>
        addCpuPod(
          scenario()
            .nodeGroup('a', a100(), {nodes: 1})
            .nodeGroup('b', a100({labels: {pool: 'b'}, taints: [{key: 'x', value: 'y', effect: 'NoSchedule'}]}), {
              nodes: 1,
            })
            .model(
              'chat',
              {
                gpu: {count: 1},
                replicas: {min: 1, max: 8},
                signals: [gpuUtil],
                tolerations: [{key: 'x', operator: 'Exists'}],
                nodeSelector: {pool: 'b'},
              },
              {replicas: 1, load: {gpuUtil: 40}},
            )
            .build(),
          'a-01',
        ),
      check: (plan: Plan) => expect(keptCodes(plan, 'a-01')).toEqual(['CpuPodsWouldNotFit']),
    },
    {
      name: 'the group scaled up 5 min ago with delayAfterAdd 10m (CA’s, set): no scale-down yet (ScaleDownDelayAfterAdd)',
      build: () =>
        steady(
          scenario()
            .settings({scaleDown: {delayAfterAdd: '10m'}})
            .nodeGroup('a', a100(), {nodes: 3, lastScaleUpMinutesAgo: 5}),
          2,
        ).build(),
      check: (plan: Plan) => {
        expect(find(plan, 'node:a-03')).toBeUndefined()
        expect(keptCodes(plan, 'a-03')).toEqual(['ScaleDownDelayAfterAdd'])
      },
    },
    {
      name: 'an idle group with min 0 scales to zero (ScaleToZero)',
      build: () =>
        steady(
          scenario()
            .nodeGroup('a', a100(), {nodes: 2})
            .nodeGroup('idle', a100({labels: {pool: 'idle'}}), {nodes: 1}),
          2,
        ).build(),
      check: (plan: Plan) => expect(codes(find(plan, 'node:idle-01'))).toEqual(['NodeUnneeded', 'ScaleToZero']),
    },
    {
      name: 'empty nodes go before busy ones: the empty node takes the free GPU, the underutilized one stays (PodsWouldNotFit)',
      build: () => movePod(steady(scenario().nodeGroup('q', quad(), {nodes: 3}), 5).build(), 4, 'q-02'),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:q-03'))).toEqual(['NodeUnneeded'])
        expect(find(plan, 'node:q-02')).toBeUndefined()
      },
    },
  ])('$name', ({build, check}) => {
    check(planCluster(build()))
  })
})
