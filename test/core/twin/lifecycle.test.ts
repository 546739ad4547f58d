import {describe, expect, test} from 'vitest'

import {singleModelTwin, START} from './helpers.js'

describe('cold start: a scale-up serves only after provisioning, then init, then image pull and weight load', () => {
  test.each([
    {
      name: "the seed's standard group (120 s + 60 s + 30 s) and 16 GiB at 0.5 GiB/s (32 s)",
      coldStart: {provisioning: '120s', driverInit: '60s', imagePull: '30s'},
      weights: {sizeGiB: 16, loadGiBps: 0.5},
      parts: [120, 60, 30, 32],
    },
    {
      name: 'a slow spot launch (150 s) and a measured 66 s load',
      coldStart: {provisioning: '150s', driverInit: '60s', imagePull: '30s'},
      weights: {sizeGiB: 60, loadTime: '66s'},
      parts: [150, 60, 30, 66],
    },
    {
      name: 'no image pull: the node had no image to fetch',
      coldStart: {provisioning: '90s', driverInit: '45s', imagePull: '0s'},
      weights: {sizeGiB: 10, loadGiBps: 1},
      parts: [90, 45, 0, 10],
    },
  ])('$name', ({coldStart, weights, parts}) => {
    const twin = singleModelTwin({
      group: {coldStart, min: 0},
      model: {weights, replicas: {min: 0, max: 4}},
      spec: {replicas: 0, load: {arrivals: {kind: 'poisson', rate: 2}, input: {mean: 200}, output: {mean: 50}}},
    })
    expect(twin.scaleNodeGroup('pool', 1).ok).toBe(true)
    expect(twin.scaleWorkload('llama', 1).ok).toBe(true)
    const [provisioning, init, pull, load] = parts as [number, number, number, number]
    const at = (type: string) => twin.events.find((e) => e.type === type)?.t
    twin.runUntil(START + 3600)
    // Each stage happens exactly after the previous one plus its part, in this order.
    expect(at('node.registered')).toBe(START + provisioning)
    expect(at('node.gpus-allocatable')).toBe(START + provisioning + init)
    expect(at('pod.scheduled')).toBe(START + provisioning + init)
    expect(at('pod.loading')).toBe(START + provisioning + init + pull)
    const ready = START + provisioning + init + pull + load
    expect(at('pod.ready')).toBeCloseTo(ready, 6)
    // Requests that arrived during the cold start waited at the gateway: none finished before the replica was ready.
    const firstDone = Math.min(...twin.requests.done)
    expect(firstDone).toBeGreaterThan(ready)
    expect(twin.requests.arrival.some((t) => t < ready)).toBe(true)
  })

  test('a second pod on the same node skips the image pull (the node caches the image)', () => {
    const twin = singleModelTwin({gpus: 2, spec: {replicas: 1}, twin: {initialNodes: {pool: 1}}})
    twin.runUntil(START + 600)
    twin.scaleWorkload('llama', 2)
    twin.runUntil(START + 1200)
    const loading = twin.events.filter((e) => e.type === 'pod.loading')
    expect(loading.map((e) => e.t - START)).toEqual([30, 600])
  })
})

describe('node groups: delays, limits and capacity errors', () => {
  test.each([
    {name: 'above max is refused, nothing launches', delta: 9, expected: {ok: false, reason: 'AboveMax'}},
    {name: 'zero is not a change', delta: 0, expected: {ok: false, reason: 'InvalidDelta'}},
    {
      name: 'a registered node cannot be removed by a negative delta (use removeNode)',
      delta: -1,
      expected: {ok: false, reason: 'NodesRegistered'},
    },
  ])('$name', ({delta, expected}) => {
    const twin = singleModelTwin({twin: {initialNodes: {pool: 1}}})
    expect(twin.scaleNodeGroup('pool', delta)).toMatchObject(expected)
  })

  test('a negative delta cancels nodes still provisioning, newest first, and they are billed until then', () => {
    const twin = singleModelTwin({})
    twin.scaleNodeGroup('pool', 2)
    twin.runUntil(START + 60)
    expect(twin.scaleNodeGroup('pool', -1)).toMatchObject({ok: true})
    twin.runUntil(START + 3600)
    expect(twin.events.filter((e) => e.type === 'node.deleted').map((e) => [e.node, e.reason])).toEqual([
      ['pool-002', 'cancelled'],
    ])
    expect(twin.nodeNames('pool')).toEqual(['pool-001'])
  })

  test('a launch inside a capacity-error window fails after 30 s, records the failure and lowers the target', () => {
    const twin = singleModelTwin({twin: {capacityErrors: [{group: 'pool', fromSeconds: 0, toSeconds: 600}]}})
    twin.scaleNodeGroup('pool', 1)
    twin.runUntil(START + 700)
    expect(twin.events.find((e) => e.type === 'node.capacity-error')?.t).toBe(START + 30)
    const snapshot = twin.snapshot()
    expect(snapshot.nodeGroups[0]).toMatchObject({targetSize: 0, failures: [{at: START + 30, reason: 'capacity'}]})
    twin.scaleNodeGroup('pool', 1)
    twin.runUntil(START + 1200)
    expect(twin.nodeNames('pool')).toEqual(['pool-002'])
  })
})

describe('pods: Pending when nothing fits, termination with grace, PodDisruptionBudgets', () => {
  test('a replica with no node stays Pending, and is scheduled when capacity arrives', () => {
    const twin = singleModelTwin({spec: {replicas: 1}})
    twin.runUntil(START + 600)
    expect(twin.podPhases('llama').map((p) => p.phase)).toEqual(['pending'])
    twin.scaleNodeGroup('pool', 1)
    twin.runUntil(START + 1200)
    expect(twin.podPhases('llama').map((p) => p.phase)).toEqual(['ready'])
  })

  test('scale-down drains in-flight requests within the grace period: none is cut', () => {
    const twin = singleModelTwin({
      model: {terminationGrace: '600s'},
      spec: {replicas: 2, load: {arrivals: {kind: 'poisson', rate: 4}, input: {mean: 1000}, output: {mean: 400}}},
      twin: {initialNodes: {pool: 2}},
    })
    twin.runUntil(START + 900)
    twin.scaleWorkload('llama', 1)
    twin.runUntil(START + 1800)
    expect(twin.requests.ok.every(Boolean)).toBe(true)
    const deleted = twin.events.find((e) => e.type === 'pod.deleted')
    expect(deleted).toMatchObject({aborted: 0})
  })

  test.each([
    {
      name: 'maxUnavailable 0 blocks evicting a ready pod',
      maxUnavailable: 0,
      expected: {ok: false, reason: 'PodDisruptionBudget'},
    },
    {name: 'maxUnavailable 1 allows one', maxUnavailable: 1, expected: {ok: true}},
  ])('PDB on removeNode: $name', ({maxUnavailable, expected}) => {
    const twin = singleModelTwin({
      spec: {replicas: 2},
      twin: {
        initialNodes: {pool: 2},
        pdbs: [{namespace: 'llm', name: 'llama-pdb', workload: 'Deployment/llama', maxUnavailable}],
      },
    })
    twin.runUntil(START + 600)
    expect(twin.removeNode('pool-001')).toMatchObject(expected)
    const pod = twin.podPhases('llama').find((p) => p.phase === 'ready') as {name: string}
    if (!expected.ok) expect(twin.evictPod(pod.name)).toMatchObject({ok: false, reason: 'PodDisruptionBudget'})
  })
})

describe('spot interruption: the notice, then the pods are replaced and go Pending', () => {
  test('a storm on the spot group: notice, drain, replacements Pending, reclaim after 2 min, replacement node serves', () => {
    const twin = singleModelTwin({
      group: {capacityType: 'spot'},
      model: {terminationGrace: '600s'},
      spec: {replicas: 1, load: {arrivals: {kind: 'poisson', rate: 4}, input: {mean: 500}, output: {mean: 400}}},
      twin: {initialNodes: {pool: 1}, spot: {storms: [{atSeconds: 1800, group: 'pool', count: 1}]}},
    })
    twin.runUntil(START + 1800)
    const notice = twin.events.find((e) => e.type === 'node.interruption-notice')
    expect(notice).toMatchObject({node: 'pool-001', terminatesAt: START + 1920})
    // Right after the notice: the busy pod drains (grace capped at the 120 s notice) and its replacement is Pending
    // because the only node is cordoned.
    expect(
      twin
        .podPhases('llama')
        .map((p) => p.phase)
        .sort(),
    ).toEqual(['pending', 'terminating'])
    expect(twin.events.find((e) => e.type === 'pod.terminating')).toMatchObject({
      reason: 'spot-interruption',
      graceSeconds: 120,
    })
    expect(twin.snapshot().nodes[0]).toMatchObject({cordoned: true, interruptionNoticeAt: START + 1800})
    twin.runUntil(START + 1920)
    expect(twin.events.find((e) => e.type === 'node.deleted')).toMatchObject({
      node: 'pool-001',
      reason: 'spot-reclaimed',
      t: START + 1920,
    })
    // The group replaces the instance (ASG desired capacity); the Pending pod lands there after its cold start.
    twin.runUntil(START + 3600)
    expect(twin.nodeNames('pool')).toEqual(['pool-002'])
    expect(twin.podPhases('llama')).toEqual([expect.objectContaining({phase: 'ready', node: 'pool-002'})])
  })
})

describe('requests the engine can never take', () => {
  test('a closed-loop client whose requests exceed the KV cache is rejected and backs off, instead of spinning in place', () => {
    const twin = singleModelTwin({
      gpu: 'A100-80GB',
      model: {gpu: {migProfile: '1g.10gb'}},
      group: {migConfigs: ['all-1g.10gb']},
      twin: {initialNodes: {pool: 1}},
      spec: {
        replicas: 1,
        serving: {weightsGiB: 2},
        load: {arrivals: {kind: 'closed', concurrency: 1}, input: {mean: 100_000}, output: {mean: 10}},
      },
    })
    twin.runUntil(START + 600)
    // One rejection per second once the replica is up (about 60 s of pull and load), none served.
    expect(twin.requests.ok.some(Boolean)).toBe(false)
    expect(twin.requests.length).toBeGreaterThan(400)
    expect(twin.requests.length).toBeLessThan(600)
  })
})
