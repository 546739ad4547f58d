/**
 * The one simulated cluster: fork/revert/commit (Cluster Autoscaler's ClusterSnapshot semantics) and the one
 * pod-fits-node predicate set (taints, selector, critical off spot) every placement path uses.
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig} from '../../../src/core/model/config.js'
import {buildCluster} from '../../../src/core/scheduling/cluster.js'
import {admitsNode} from '../../../src/core/scheduling/eligibility.js'
import {scenario} from '../../../src/core/sim/scenario.js'

/** Four 1-GPU nodes, one replica running: three GPUs free. */
function threeFreeGpus() {
  const {config, snapshot} = scenario()
    .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 4}, {nodes: 4})
    .model(
      'chat',
      {
        gpu: {count: 1},
        signals: [{name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}],
      },
      {replicas: 1},
    )
    .build()
  return {cluster: buildCluster(config, snapshot), model: config.models[0] as ModelConfig}
}

describe('SimulatedCluster: only a commit keeps a mutation', () => {
  test.each([
    {name: 'fork, place twice, revert: all 3 GPUs free again', steps: ['fork', 'place', 'place', 'revert'], free: 3},
    {name: 'fork, place twice, commit: 1 GPU free', steps: ['fork', 'place', 'place', 'commit'], free: 1},
    {
      name: 'nested: inner commit folds into the outer fork, the outer revert undoes both',
      steps: ['fork', 'place', 'fork', 'place', 'commit', 'revert'],
      free: 3,
    },
    {
      name: 'nested: inner revert undoes only the inner placement',
      steps: ['fork', 'place', 'fork', 'place', 'revert', 'commit'],
      free: 2,
    },
    {name: 'a probe (countPlaceable) consumes nothing', steps: ['count'], free: 3},
  ])('$name', ({steps, free}) => {
    const {cluster, model} = threeFreeGpus()
    for (const step of steps) {
      if (step === 'fork') cluster.fork()
      else if (step === 'commit') cluster.commit()
      else if (step === 'revert') cluster.revert()
      else if (step === 'place') expect(cluster.place(model)).toBeDefined()
      else expect(cluster.countPlaceable(model, 10)).toBe(3)
    }
    expect(cluster.freeGpuCount()).toBe(free)
  })

  test('a node added inside a reverted fork is gone, and placement no longer finds it', () => {
    const {cluster, model} = threeFreeGpus()
    for (let i = 0; i < 3; i++) cluster.place(model)
    cluster.fork()
    cluster.addNode({
      ...cluster.nodes[0]!,
      name: 'extra',
      gpus: cluster.nodes[0]!.gpus.map((g) => ({...g, node: 'extra', wholeFree: true, idle: true})),
    })
    expect(cluster.countPlaceable(model, 5)).toBe(1)
    cluster.revert()
    expect(cluster.nodes.map((n) => n.name)).not.toContain('extra')
    expect(cluster.place(model)).toBeUndefined()
  })
})

describe('admitsNode: taints, selector and critical off spot, written once', () => {
  const node = {
    taints: [{key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' as const}],
    labels: {pool: 'a'},
    capacityType: 'spot' as const,
  }
  const tolerations = [{key: 'nvidia.com/gpu', operator: 'Exists' as const, effect: 'NoSchedule' as const}]
  test.each([
    {
      name: 'tolerated taint, matching selector, batch on spot: admitted',
      model: {critical: false, tolerations, nodeSelector: {pool: 'a'}},
      admitted: true,
    },
    {
      name: 'critical on spot: refused (CriticalOffSpot)',
      model: {critical: true, tolerations, nodeSelector: {pool: 'a'}},
      admitted: false,
    },
    {
      name: 'untolerated NoSchedule taint: refused (TaintNotTolerated)',
      model: {critical: false, tolerations: [], nodeSelector: {}},
      admitted: false,
    },
    {
      name: 'selector mismatch: refused (NodeSelectorMismatch)',
      model: {critical: false, tolerations, nodeSelector: {pool: 'b'}},
      admitted: false,
    },
  ] as Array<{name: string; model: Pick<ModelConfig, 'critical' | 'tolerations' | 'nodeSelector'>; admitted: boolean}>)(
    '$name',
    ({model, admitted}) => {
      expect(admitsNode(model, node)).toBe(admitted)
    },
  )
})
