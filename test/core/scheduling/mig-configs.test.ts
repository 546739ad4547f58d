import {describe, expect, test} from 'vitest'

import {layoutOfMigConfig} from '../../../src/core/scheduling/mig-configs.js'

const layout = (gpu: string, name: string) => {
  const result = layoutOfMigConfig(gpu, name)
  return result?.kind === 'mig' ? result.instances.map((i) => `${i.profile}@${i.start}`).join(',') : result?.kind
}

describe('layoutOfMigConfig: what a mig-parted config name gives one GPU', () => {
  test.each([
    {gpu: 'A100-80GB', name: 'all-disabled', expected: 'whole', why: 'MIG off: the GPU is one whole device'},
    {
      gpu: 'A100-80GB',
      name: 'all-1g.10gb',
      expected: [0, 1, 2, 3, 4, 5, 6].map((s) => `1g.10gb@${s}`).join(','),
      why: '1g starts at 0..6 only: seven, not eight',
    },
    {
      gpu: 'A100-40GB',
      name: 'all-1g.10gb',
      expected: '1g.10gb@0,1g.10gb@2,1g.10gb@4,1g.10gb@6',
      why: 'on the 40GB part 1g.10gb is the 2-memory-slice 1g: four of them',
    },
    {gpu: 'A100-80GB', name: 'all-3g.40gb', expected: '3g.40gb@0,3g.40gb@4', why: '3g starts at 0 or 4'},
    {gpu: 'H100-80GB', name: 'all-2g.20gb', expected: '2g.20gb@0,2g.20gb@2,2g.20gb@4', why: '2g starts at 0, 2, 4'},
    {
      gpu: 'A100-80GB',
      name: 'all-balanced',
      expected: '2g.20gb@0,1g.10gb@2,1g.10gb@3,3g.40gb@4',
      why: 'balanced {1g:2, 2g:1, 3g:1} only fits with the 3g at 4',
    },
    {
      gpu: 'A30-24GB',
      name: 'all-balanced',
      expected: '2g.12gb@0,1g.6gb@2,1g.6gb@3',
      why: 'A30 balanced is {1g:2, 2g:1}',
    },
    {gpu: 'A100-80GB', name: 'all-1g.10gb.me', expected: '1g.10gb+me@0', why: 'one +me instance per GPU'},
    {gpu: 'L4-24GB', name: 'all-1g.10gb', expected: undefined, why: 'L4 has no MIG'},
    {
      gpu: 'A100-80GB',
      name: 'my-custom-layout',
      expected: undefined,
      why: "custom names need the cluster's mig-parted config",
    },
  ])('$gpu $name → $expected ($why)', ({gpu, name, expected}) => {
    expect(layout(gpu, name)).toBe(expected)
  })
})
