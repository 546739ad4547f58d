import {describe, expect, test} from 'vitest'

import {singleModelTwin, START} from './helpers.js'

/** A100-80GB node booting `boot`, one model needing `gpu`, with `replicas` running when the label changes. */
function migTwin(boot: string, gpu: Record<string, unknown>, replicas: number) {
  const twin = singleModelTwin({
    gpu: 'A100-80GB',
    group: {migConfigs: [boot, 'all-disabled', 'all-3g.40gb', 'all-balanced', 'all-1g.10gb']},
    model: {gpu, replicas: {min: 0, max: 4}, weights: {sizeGiB: 4, loadGiBps: 1}},
    spec: {replicas},
    twin: {initialNodes: {pool: 1}, migReconfigureSeconds: 90},
  })
  twin.runUntil(START + 600)
  return twin
}

describe('MIG manager: a node follows nvidia.com/mig.config and never evicts pods', () => {
  test.each([
    {
      name: 'a whole-GPU pod on the GPU: the change fails and the GPU keeps its layout',
      boot: 'all-disabled',
      gpu: {count: 1},
      replicas: 1,
      drain: false,
      config: 'all-3g.40gb',
      state: 'failed',
      layout: '(whole)',
    },
    {
      name: 'the same GPU drained first (replicas → 0): the change succeeds',
      boot: 'all-disabled',
      gpu: {count: 1},
      replicas: 1,
      drain: true,
      config: 'all-3g.40gb',
      state: 'success',
      layout: '3g.40gb@0,3g.40gb@4',
    },
    {
      name: 'a 3g pod on its slice blocks a different layout',
      boot: 'all-3g.40gb',
      gpu: {migProfile: '3g.40gb'},
      replicas: 1,
      drain: false,
      config: 'all-balanced',
      state: 'failed',
      layout: '3g.40gb@0,3g.40gb@4',
    },
    {
      name: 'the layout the GPU already has succeeds with the pod running (nothing to reconfigure)',
      boot: 'all-3g.40gb',
      gpu: {migProfile: '3g.40gb'},
      replicas: 1,
      drain: false,
      config: 'all-3g.40gb',
      state: 'success',
      layout: '3g.40gb@0,3g.40gb@4',
    },
    {
      name: "an empty GPU takes NVIDIA's balanced layout with its fixed placements",
      boot: 'all-disabled',
      gpu: {count: 1},
      replicas: 0,
      drain: false,
      config: 'all-balanced',
      state: 'success',
      layout: '1g.10gb@2,1g.10gb@3,2g.20gb@0,3g.40gb@4',
    },
    {
      name: 'a name the mig-parted config does not have fails',
      boot: 'all-disabled',
      gpu: {count: 1},
      replicas: 0,
      drain: false,
      config: 'all-9g.90gb',
      state: 'failed',
      layout: '(whole)',
    },
  ])('$name', ({boot, gpu, replicas, drain, config, state, layout}) => {
    const twin = migTwin(boot, gpu, replicas)
    if (drain) {
      twin.scaleWorkload('llama', 0)
      twin.runUntil(START + 700)
    }
    const t0 = twin.now
    expect(twin.setMigConfig('pool-001', config).ok).toBe(true)
    const pending = twin.snapshot().nodes[0]
    expect(pending?.labels['nvidia.com/mig.config.state']).toBe('pending')
    expect(pending?.gpusAllocatable).toBe(false)
    twin.runUntil(t0 + 90)
    const node = twin.snapshot().nodes[0]
    expect(node?.migConfigState).toBe(state)
    expect(node?.labels['nvidia.com/mig.config.state']).toBe(state)
    expect(node?.gpusAllocatable).toBe(true)
    const gpu0 = node?.gpus[0]
    const text = gpu0?.mig.enabled
      ? gpu0.mig.instances
          .map((i) => `${i.profile}@${i.start}`)
          .sort()
          .join(',')
      : '(whole)'
    expect(text).toBe(layout)
    // A running pod is never evicted by the MIG manager.
    if (!drain && replicas > 0) expect(twin.podPhases('llama').map((p) => p.phase)).toEqual(['ready'])
  })

  test('after a successful repartition a MIG replica schedules onto the new instances', () => {
    const twin = migTwin('all-disabled', {migProfile: '3g.40gb'}, 2)
    expect(twin.podPhases('llama').map((p) => p.phase)).toEqual(['pending', 'pending'])
    twin.setMigConfig('pool-001', 'all-3g.40gb')
    twin.runUntil(START + 1200)
    expect(twin.podPhases('llama').map((p) => p.phase)).toEqual(['ready', 'ready'])
    expect(twin.snapshot().nodes[0]?.gpus[0]?.mig.instances.map((i) => i.pod !== undefined)).toEqual([true, true])
  })
})
