import {describe, expect, test} from 'vitest'

import {
  generateNodePackingCase,
  packNodeMigConfigs,
  packNodeMigConfigsExhaustive,
  type MigNode,
  type MigNodeGpu,
} from '../../../src/core/mig/index.js'
import {layoutOfMigConfig} from '../../../src/core/scheduling/mig-configs.js'

// The configs the planner hands the packer: a group's allowed names, each resolved for the node's GPU model.
const configs = (model: string, names: string[]): MigNode['configs'] =>
  names.flatMap((name) => {
    const layout = layoutOfMigConfig(model, name)
    return layout?.kind === 'mig' ? [{name, layout: layout.instances}] : []
  })
const layoutOf = (model: string, name: string) => configs(model, [name])[0]?.layout ?? []
/** A GPU in config `name`, with pods on the instances listed in `used` (by index into the layout). */
const gpu = (index: number, name: string, used: number[] = [], drainable = true): MigNodeGpu => {
  const instances = layoutOf('A100-80GB', name).map((i, k) =>
    used.includes(k)
      ? {profile: i.profile, start: i.start, pod: `ns/p${index}-${k}`}
      : {profile: i.profile, start: i.start},
  )
  return {index, model: 'A100-80GB', migEnabled: true, instances, free: [], busy: used.length > 0, drainable}
}
const node = (name: string, gpus: MigNodeGpu[], allowed: string[]): MigNode => ({
  name,
  gpus,
  configs: configs('A100-80GB', allowed),
})

describe('packNodeMigConfigs: one config name per node, idle GPUs first', () => {
  test.each([
    {
      why: 'an idle node takes the config that has the profile: both GPUs become all-3g.40gb',
      nodes: [node('n1', [gpu(0, 'all-1g.10gb'), gpu(1, 'all-1g.10gb')], ['all-1g.10gb', 'all-3g.40gb'])],
      demand: 3,
      chosen: ['n1=all-3g.40gb'],
      touched: 2,
      disrupted: 0,
      unplaced: 0,
    },
    {
      why: 'a GPU already in the config does not change: only the other GPU is touched',
      nodes: [node('n1', [gpu(0, 'all-3g.40gb', [0, 1]), gpu(1, 'all-1g.10gb')], ['all-1g.10gb', 'all-3g.40gb'])],
      demand: 2,
      chosen: ['n1=all-3g.40gb'],
      touched: 1,
      disrupted: 0,
      unplaced: 0,
    },
    {
      why: 'an idle node before a busy one, even when the busy one would touch fewer GPUs',
      nodes: [
        node('a-busy', [gpu(0, 'all-1g.10gb', [0])], ['all-1g.10gb', 'all-balanced']),
        node('b-idle', [gpu(0, 'all-1g.10gb'), gpu(1, 'all-1g.10gb')], ['all-1g.10gb', 'all-balanced']),
      ],
      demand: 1,
      chosen: ['b-idle=all-balanced'],
      touched: 2,
      disrupted: 0,
      unplaced: 0,
    },
    {
      why: 'a busy GPU is drained when its 1g replica finds a 1g in the new layout (all-balanced keeps two)',
      nodes: [node('n1', [gpu(0, 'all-1g.10gb', [0])], ['all-1g.10gb', 'all-balanced'])],
      demand: 1,
      chosen: ['n1=all-balanced'],
      touched: 1,
      disrupted: 1,
      unplaced: 0,
    },
    {
      why: 'a busy GPU whose replica has no instance of its profile in the new layout is never changed',
      nodes: [node('n1', [gpu(0, 'all-1g.10gb', [0])], ['all-1g.10gb', 'all-3g.40gb'])],
      demand: 1,
      chosen: [],
      touched: 0,
      disrupted: 0,
      unplaced: 1,
    },
    {
      why: 'a GPU that cannot be drained (a whole-GPU pod, say) rules its node out',
      nodes: [node('n1', [gpu(0, 'all-1g.10gb', [0], false)], ['all-1g.10gb', 'all-balanced'])],
      demand: 1,
      chosen: [],
      touched: 0,
      disrupted: 0,
      unplaced: 1,
    },
    {
      why: 'equal nodes: the first by name is taken, the other left alone',
      nodes: [
        node('n2', [gpu(0, 'all-1g.10gb')], ['all-3g.40gb']),
        node('n1', [gpu(0, 'all-1g.10gb')], ['all-3g.40gb']),
      ],
      demand: 2,
      chosen: ['n1=all-3g.40gb'],
      touched: 1,
      disrupted: 0,
      unplaced: 0,
    },
  ])('$why', ({nodes, demand, chosen, touched, disrupted, unplaced}) => {
    for (const method of ['auto', 'greedy'] as const) {
      const result = packNodeMigConfigs(nodes, [{key: 'ns/embed', profile: '3g.40gb', count: demand}], {method})
      expect(
        result.repartitions.map((r) => `${r.node}=${r.config}`),
        method,
      ).toEqual(chosen)
      expect([result.gpusTouched, result.podsDisrupted, result.unplaced], method).toEqual([
        touched,
        disrupted,
        unplaced,
      ])
      // Each displaced pod returns to an instance of its own profile on the node.
      for (const r of result.repartitions)
        for (const d of r.displaced)
          expect(r.layout.some((i) => i.profile === d.profile && i.start === d.start)).toBe(true)
    }
  })
})

describe('packNodeMigConfigs equals the exhaustive optimum on generated fleets of up to 5 nodes', () => {
  const names = ['all-1g.10gb', 'all-2g.20gb', 'all-3g.40gb', 'all-balanced', 'all-1g.20gb']
  const profiles = ['1g.10gb', '2g.20gb', '3g.40gb']
  const cases = Array.from({length: 60}, (_, i) => {
    const nodes = generateNodePackingCase(500 + i, {
      nodes: 1 + (i % 5),
      gpusPerNode: 1 + (i % 3),
      models: ['A100-80GB', 'H100-80GB'],
      configsFor: (model) => configs(model, names),
    })
    const demand = profiles
      .slice(0, 1 + (i % 3))
      .map((profile, k) => ({key: `ns/m${k}`, profile, count: 1 + ((i * (k + 3)) % 5)}))
    return {seed: 500 + i, nodes, demand}
  })
  test.each(cases)('seed $seed', ({nodes, demand}) => {
    const packed = packNodeMigConfigs(nodes, demand)
    const optimum = packNodeMigConfigsExhaustive(nodes, demand)
    expect(packed.method).toBe('exact')
    expect([packed.unplaced, packed.podsDisrupted, packed.gpusTouched]).toEqual([
      optimum.unplaced,
      optimum.podsDisrupted,
      optimum.gpusTouched,
    ])
    if (optimum.unplaced === 0) expect(packed.lowerBound.gpusTouched).toBeLessThanOrEqual(optimum.gpusTouched)
  })
})
