import {describe, expect, test} from 'vitest'

import {chooseGpuShare} from '../../../src/core/mig/index.js'

describe('chooseGpuShare: whole GPU or MIG slice', () => {
  test.each([
    {
      why: '8 GiB compute-bound fits the 1g.10gb slice (9.6 GiB)',
      gpu: 'A100-80GB',
      memoryGiB: 8,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'mig', profile: '1g.10gb'},
      code: 'MigSliceChosen',
    },
    {
      why: '15 GiB needs the 2-slice 1g.20gb (smallest with enough memory)',
      gpu: 'A100-80GB',
      memoryGiB: 15,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'mig', profile: '1g.20gb'},
      code: 'SliceTooSmall',
    },
    {
      why: '8 GiB bandwidth-bound: a 1g slice gets 1/8 of the bandwidth, so 3g (half) is chosen',
      gpu: 'A100-80GB',
      memoryGiB: 8,
      bandwidthBound: true,
      allowMig: true,
      expect: {kind: 'mig', profile: '3g.40gb'},
      code: 'SliceBandwidthTooSmall',
    },
    {
      why: '70 GiB on an 80GB GPU: no slice, one whole GPU',
      gpu: 'H100-80GB',
      memoryGiB: 70,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'whole', count: 1},
      code: 'NoSliceServes',
    },
    {
      why: '140 GiB spans two 80GB GPUs',
      gpu: 'A100-80GB',
      memoryGiB: 140,
      bandwidthBound: true,
      allowMig: true,
      expect: {kind: 'whole', count: 2},
      code: 'SpansGpus',
    },
    {
      why: 'MIG not allowed for the model',
      gpu: 'A100-80GB',
      memoryGiB: 8,
      bandwidthBound: false,
      allowMig: false,
      expect: {kind: 'whole', count: 1},
      code: 'MigNotAllowed',
    },
    {
      why: 'L4 has no MIG',
      gpu: 'L4',
      memoryGiB: 8,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'whole', count: 1},
      code: 'MigNotSupported',
    },
    {
      why: 'A30 5 GiB fits 1g.6gb',
      gpu: 'A30',
      memoryGiB: 5,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'mig', profile: '1g.6gb'},
      code: 'MigSliceChosen',
    },
    {
      why: 'H200 30 GiB compute-bound: 1g.35gb',
      gpu: 'H200',
      memoryGiB: 30,
      bandwidthBound: false,
      allowMig: true,
      expect: {kind: 'mig', profile: '1g.35gb'},
      code: 'MigSliceChosen',
    },
  ])('$why', ({gpu, memoryGiB, bandwidthBound, allowMig, expect: want, code}) => {
    const share = chooseGpuShare(gpu, {memoryGiB, bandwidthBound}, allowMig)
    expect(share).toMatchObject(want)
    expect(share.reasons.map((r) => r.code)).toContain(code)
  })

  test.each([
    {strategy: 'mixed' as const, resource: 'nvidia.com/mig-1g.10gb'},
    {strategy: 'single' as const, resource: 'nvidia.com/gpu'},
  ])('strategy $strategy advertises $resource', ({strategy, resource}) => {
    const share = chooseGpuShare('A100-80GB', {memoryGiB: 8, bandwidthBound: false}, true, {strategy})
    expect(share).toMatchObject({kind: 'mig', resource})
  })

  test('mig-strategy none advertises no slices', () => {
    expect(chooseGpuShare('A100-80GB', {memoryGiB: 8, bandwidthBound: false}, true, {strategy: 'none'})).toMatchObject({
      kind: 'whole',
      count: 1,
    })
  })

  test.each(['time-slicing', 'mps'] as const)('a GPU shared by %s never counts as isolated memory', (strategy) => {
    const share = chooseGpuShare('A100-80GB', {memoryGiB: 8, bandwidthBound: false}, true, {
      sharing: {strategy, replicas: 4},
    })
    expect(share).toMatchObject({kind: 'whole', count: 1})
    expect(share.reasons[0]?.code).toBe('SharedGpuNotIsolated')
  })

  test('a looser slowdown limit (4×) accepts a quarter-bandwidth slice: the 2-memory-slice 1g', () => {
    expect(chooseGpuShare('A100-80GB', {memoryGiB: 8, bandwidthBound: true, maxSlowdown: 4}, true)).toMatchObject({
      kind: 'mig',
      profile: '1g.20gb',
    })
  })

  test('unknown GPU model is a user error', () => {
    expect(() => chooseGpuShare('Z9000', {memoryGiB: 8, bandwidthBound: false}, true)).toThrow(/unknown GPU model/)
  })
})
