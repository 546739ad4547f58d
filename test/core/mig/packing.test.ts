import {describe, expect, test} from 'vitest'

import {
  computeLowerBound,
  createPrng,
  generatePackingCase,
  measureFragmentation,
  packMigDemand,
  packMigDemandExhaustive,
  type MigGpu,
  type PackingResult,
} from '../../../src/core/mig/index.js'

const gpu = (id: string, model: string, instances: MigGpu['instances'], reconfigurable = true): MigGpu => ({
  id,
  node: id.split('/')[0] as string,
  index: Number(id.split('/')[1]),
  model,
  instances,
  reconfigurable,
})
const unplacedOf = (r: PackingResult): number => r.unplaced.reduce((s, u) => s + u.count, 0)

describe('fragmentation: free memory slices the smallest demanded profile cannot use', () => {
  test.each([
    {
      why: '2g×3 + 1g@6 leave slice 7 free, and no 1g starts at 7',
      gpus: [
        gpu('n1/0', 'A100-80GB', [
          {profile: '2g.20gb', start: 0, pod: 'a'},
          {profile: '2g.20gb', start: 2, pod: 'b'},
          {profile: '2g.20gb', start: 4, pod: 'c'},
          {profile: '1g.10gb', start: 6, pod: 'd'},
        ]),
      ],
      profile: '1g.10gb',
      free: 1,
      stranded: 1,
      hostable: 0,
    },
    {
      why: 'a lone 1g at 1 leaves 7 free slices but no 3g placement at 0',
      gpus: [gpu('n1/0', 'A100-80GB', [{profile: '1g.10gb', start: 1, pod: 'a'}])],
      profile: '3g.40gb',
      free: 7,
      stranded: 3,
      hostable: 1,
    },
    {
      why: '4g@0 + 1g@4,5 use 6 compute slices: free slices 6-7 fit one more 1g (compute), slice 7 stranded',
      gpus: [
        gpu('n1/0', 'H100-80GB', [
          {profile: '4g.40gb', start: 0, pod: 'a'},
          {profile: '1g.10gb', start: 4},
          {profile: '1g.10gb', start: 5},
        ]),
      ],
      profile: '1g.10gb',
      free: 2,
      stranded: 1,
      hostable: 1,
    },
    {
      why: 'free capacity summed over two GPUs fits a 3g, but neither GPU can place it',
      gpus: [
        gpu('n1/0', 'A100-80GB', [
          {profile: '3g.40gb', start: 4, pod: 'a'},
          {profile: '1g.10gb', start: 0, pod: 'b'},
        ]),
        gpu('n1/1', 'A100-80GB', [
          {profile: '3g.40gb', start: 0, pod: 'c'},
          {profile: '1g.10gb', start: 6, pod: 'd'},
        ]),
      ],
      profile: '3g.40gb',
      free: 6,
      stranded: 6,
      hostable: 0,
    },
    {
      why: 'an empty A30 fits two 2g: nothing stranded',
      gpus: [gpu('n2/0', 'A30-24GB', [])],
      profile: '2g.12gb',
      free: 4,
      stranded: 0,
      hostable: 2,
    },
  ])('$why', ({gpus, profile, free, stranded, hostable}) => {
    const report = measureFragmentation(gpus, profile)
    expect(report.cluster.freeMemorySlices).toBe(free)
    expect(report.cluster.strandedMemorySlices).toBe(stranded)
    expect(report.cluster.hostableInstances).toBe(hostable)
    expect(report.nodes.reduce((s, n) => s + n.strandedMemorySlices, 0)).toBe(stranded)
  })

  test('free capacity exists but the profile cannot be placed: packing must repartition', () => {
    const gpus = [
      gpu('n1/0', 'A100-80GB', [{profile: '1g.10gb', start: 0, pod: 'ns/a'}]),
      gpu('n1/1', 'A100-80GB', [{profile: '1g.10gb', start: 0, pod: 'ns/b'}], false),
    ]
    const result = packMigDemand(gpus, [{key: 'ns/big', profile: '4g.40gb', count: 1}])
    expect(result.gpusTouched).toBe(1)
    expect(result.repartitions[0]?.gpu).toBe('n1/0')
    expect(result.podsDisrupted).toBe(1)
    // The 1g must move off slice 0 for the 4g: the new layout puts it at 4 or later.
    expect(result.repartitions[0]?.disruptedPods[0]?.toStart).toBeGreaterThanOrEqual(4)
    expect(result.assignments).toEqual([
      {key: 'ns/big', gpu: 'n1/0', node: 'n1', index: 0, profile: '4g.40gb', start: 0, kind: 'new'},
    ])
  })
})

describe('packing rules', () => {
  test.each([
    {
      why: 'free instances first: no GPU touched',
      gpus: [
        gpu('n/0', 'A100-80GB', [
          {profile: '3g.40gb', start: 0},
          {profile: '3g.40gb', start: 4, pod: 'x'},
        ]),
      ],
      demand: [{key: 'k', profile: '3g.40gb', count: 1}],
      touched: 0,
      disrupted: 0,
      unplaced: 0,
    },
    {
      why: 'an idle GPU is repartitioned before one with pods',
      gpus: [
        gpu('n/0', 'A100-80GB', [{profile: '1g.10gb', start: 0, pod: 'x'}]),
        gpu('n/1', 'A100-80GB', [{profile: '7g.80gb', start: 0}]),
      ],
      demand: [{key: 'k', profile: '3g.40gb', count: 2}],
      touched: 1,
      disrupted: 0,
      unplaced: 0,
    },
    {
      why: 'GPUs that cannot be drained are never repartitioned',
      gpus: [gpu('n/0', 'A100-80GB', [{profile: '1g.10gb', start: 0, pod: 'x'}], false)],
      demand: [{key: 'k', profile: '4g.40gb', count: 1}],
      touched: 0,
      disrupted: 0,
      unplaced: 1,
    },
    {
      why: 'a profile no GPU model has stays unplaced',
      gpus: [gpu('n/0', 'A30-24GB', [])],
      demand: [{key: 'k', profile: '3g.40gb', count: 1}],
      touched: 0,
      disrupted: 0,
      unplaced: 1,
    },
    {
      why: 'a 4g and a 3g share one GPU rather than two',
      gpus: [gpu('n/0', 'H100-80GB', []), gpu('n/1', 'H100-80GB', [])],
      demand: [
        {key: 'a', profile: '4g.40gb', count: 1},
        {key: 'b', profile: '3g.40gb', count: 1},
      ],
      touched: 1,
      disrupted: 0,
      unplaced: 0,
    },
  ])('$why', ({gpus, demand, touched, disrupted, unplaced}) => {
    for (const method of ['auto', 'greedy'] as const) {
      const result = packMigDemand(gpus, demand, {method})
      expect(result.gpusTouched, method).toBe(touched)
      expect(result.podsDisrupted, method).toBe(disrupted)
      expect(unplacedOf(result), method).toBe(unplaced)
      expect(result.reasons.length).toBeGreaterThan(0)
    }
  })

  test('every repartitioned layout is valid and keeps an instance for each disrupted pod', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const c = generatePackingCase(seed, {gpus: 6, models: ['A100-80GB', 'H200-141GB', 'A30-24GB']})
      const result = packMigDemand(c.gpus, c.demand, {method: 'greedy'})
      for (const r of result.repartitions) {
        const source = c.gpus.find((g) => g.id === r.gpu) as MigGpu
        expect(source.reconfigurable).toBe(true)
        expect(r.disruptedPods.length).toBe(source.instances.filter((i) => i.pod).length)
        expect(new Set(r.placements.map((p) => `${p.profile}@${p.start}`)).size).toBe(r.placements.length)
      }
    }
  })
})

describe('packing equals the exhaustive optimum on generated cases of up to 8 GPUs', () => {
  const cases = Array.from({length: 240}, (_, i) =>
    generatePackingCase(1000 + i, {
      gpus: 1 + (i % 8),
      models: ['A100-40GB', 'A100-80GB', 'H100-80GB', 'H100-94GB', 'H200-141GB', 'A30-24GB'],
      maxCountPerProfile: 4,
    }),
  )
  test.each(cases.map((c) => ({seed: c.seed, gpus: c.gpus.length, c})))('seed $seed ($gpus GPUs)', ({c}) => {
    const packed = packMigDemand(c.gpus, c.demand)
    const optimum = packMigDemandExhaustive(c.gpus, c.demand)
    expect(packed.method).toBe('exact')
    expect([unplacedOf(packed), packed.gpusTouched, packed.podsDisrupted]).toEqual([
      unplacedOf(optimum),
      optimum.gpusTouched,
      optimum.podsDisrupted,
    ])
    // The lower bound never exceeds the optimum when everything is placed.
    if (unplacedOf(optimum) === 0) expect(packed.lowerBound.gpusTouched).toBeLessThanOrEqual(optimum.gpusTouched)
    // Assignments account for exactly the placed demand.
    const requested = c.demand.reduce((s, d) => s + d.count, 0)
    expect(packed.assignments.length).toBe(requested - unplacedOf(packed))
  })
})

describe('seeded generator and lower bound', () => {
  test('same seed, same case; different seed, different case', () => {
    const options = {gpus: 8, models: ['A100-80GB', 'A30-24GB']}
    expect(generatePackingCase(7, options)).toEqual(generatePackingCase(7, options))
    expect(generatePackingCase(7, options)).not.toEqual(generatePackingCase(8, options))
    const a = createPrng(1)
    const b = createPrng(1)
    expect([a.next(), a.next()]).toEqual([b.next(), b.next()])
  })

  test.each([
    {why: '5 × 3g need 3 GPUs (two per GPU by memory)', demand: [{key: 'k', profile: '3g.40gb', count: 5}], bound: 3},
    {why: '4 × 4g need 4 GPUs (one per GPU)', demand: [{key: 'k', profile: '4g.40gb', count: 4}], bound: 4},
    {why: '14 × 1g need 2 GPUs (seven per GPU)', demand: [{key: 'k', profile: '1g.10gb', count: 14}], bound: 2},
    {why: '6 × 2g need 2 GPUs (three per GPU)', demand: [{key: 'k', profile: '2g.20gb', count: 6}], bound: 2},
  ])('$why', ({demand, bound}) => {
    const gpus = Array.from({length: 6}, (_, i) => gpu(`n/${i}`, 'A100-80GB', []))
    expect(computeLowerBound(gpus, demand).gpusTouched).toBe(bound)
    expect(packMigDemand(gpus, demand).gpusTouched).toBe(bound)
  })
})
