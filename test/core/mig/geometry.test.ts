import {describe, expect, test} from 'vitest'

import {
  checkInstances,
  enumerateMaximalLayouts,
  findGpuModel,
  findGpuModelByPciId,
  findMigProfile,
  findStart,
  formatLayout,
  migProfilesFor,
  parseLayout,
} from '../../../src/core/mig/index.js'

// Expected values are NVIDIA's, written out by hand: `nvidia-smi mig -lgipp` in the MIG User Guide (A100) and
// NVIDIA's H100 NVL post — 1g {0..6}:1, 1g+me {0..6}:1, 1g(2 mem) {0,2,4,6}:2, 2g {0,2,4}:2, 3g {0,4}:4, 4g {0}:4,
// 7g {0}:8 — and the A30 placements 1g {0..3}:1, 2g {0,2}:2, 4g {0}:4; names from default-mig-parted-config.
const EIGHT = {
  '1g': [[0, 1, 2, 3, 4, 5, 6], 1, 1, 7],
  '1g+me': [[0, 1, 2, 3, 4, 5, 6], 1, 1, 1],
  '1g2': [[0, 2, 4, 6], 2, 1, 4],
  '2g': [[0, 2, 4], 2, 2, 3],
  '3g': [[0, 4], 4, 3, 2],
  '4g': [[0], 4, 4, 1],
  '7g': [[0], 8, 7, 1],
} as const
const NAMES: Record<string, Record<keyof typeof EIGHT, string>> = {
  'A100-40GB': {
    '1g': '1g.5gb',
    '1g+me': '1g.5gb+me',
    '1g2': '1g.10gb',
    '2g': '2g.10gb',
    '3g': '3g.20gb',
    '4g': '4g.20gb',
    '7g': '7g.40gb',
  },
  'A100-80GB': {
    '1g': '1g.10gb',
    '1g+me': '1g.10gb+me',
    '1g2': '1g.20gb',
    '2g': '2g.20gb',
    '3g': '3g.40gb',
    '4g': '4g.40gb',
    '7g': '7g.80gb',
  },
  'H100-80GB': {
    '1g': '1g.10gb',
    '1g+me': '1g.10gb+me',
    '1g2': '1g.20gb',
    '2g': '2g.20gb',
    '3g': '3g.40gb',
    '4g': '4g.40gb',
    '7g': '7g.80gb',
  },
  'H100-94GB': {
    '1g': '1g.12gb',
    '1g+me': '1g.12gb+me',
    '1g2': '1g.24gb',
    '2g': '2g.24gb',
    '3g': '3g.47gb',
    '4g': '4g.47gb',
    '7g': '7g.94gb',
  },
  'H200-141GB': {
    '1g': '1g.18gb',
    '1g+me': '1g.18gb+me',
    '1g2': '1g.35gb',
    '2g': '2g.35gb',
    '3g': '3g.71gb',
    '4g': '4g.71gb',
    '7g': '7g.141gb',
  },
}
const A30 = {
  '1g.6gb': [[0, 1, 2, 3], 1, 1, 4, false],
  '1g.6gb+me': [[0, 1, 2, 3], 1, 1, 1, true],
  '2g.12gb': [[0, 2], 2, 2, 2, false],
  '2g.12gb+me': [[0, 2], 2, 2, 1, true],
  '4g.24gb': [[0], 4, 4, 1, false],
} as const

const eightSliceRows = Object.entries(NAMES).flatMap(([model, names]) =>
  Object.entries(EIGHT).map(([shape, [starts, mem, compute, max]]) => ({
    model,
    name: names[shape as keyof typeof EIGHT],
    starts: [...starts],
    mem,
    compute,
    max,
    me: shape === '1g+me',
  })),
)
const a30Rows = Object.entries(A30).map(([name, [starts, mem, compute, max, me]]) => ({
  model: 'A30-24GB',
  name,
  starts: [...starts],
  mem,
  compute,
  max,
  me,
}))

describe('profile geometry matches NVIDIA placements', () => {
  test.each([...eightSliceRows, ...a30Rows])(
    '$model $name: {$starts}:$mem, $compute compute slices, max $max',
    ({model, name, starts, mem, compute, max, me}) => {
      const profile = findMigProfile(model, name)
      expect(profile).toBeDefined()
      expect(profile?.starts).toEqual(starts)
      expect(profile?.memorySlices).toBe(mem)
      expect(profile?.computeSlices).toBe(compute)
      expect(profile?.maxInstances).toBe(max)
      expect(profile?.mediaExtensions).toBe(me)
    },
  )

  test.each(Object.keys(NAMES).concat('A30-24GB'))('%s has exactly the documented profiles', (model) => {
    const expected = model === 'A30-24GB' ? Object.keys(A30) : Object.values(NAMES[model] as Record<string, string>)
    expect(
      migProfilesFor(model)
        .map((p) => p.name)
        .sort(),
    ).toEqual([...expected].sort())
  })

  test.each([
    {name: '3g.40gb', spelled: 'nvidia.com/mig-3g.40gb'},
    {name: '3g.40gb', spelled: 'mig-3g.40gb'},
    {name: '3g.40gb', spelled: 'MIG 3g.40gb'},
    {name: '1g.10gb+me', spelled: 'nvidia.com/mig-1g.10gb+me'},
  ])('findMigProfile accepts $spelled', ({name, spelled}) => {
    expect(findMigProfile('A100-80GB', spelled)?.name).toBe(name)
  })

  test.each([
    {alias: 'NVIDIA-A100-SXM4-40GB', model: 'A100-40GB'},
    {alias: 'NVIDIA-A100-SXM4-80GB', model: 'A100-80GB'},
    {alias: 'NVIDIA-H100-80GB-HBM3', model: 'H100-80GB'},
    {alias: 'NVIDIA-H100-NVL', model: 'H100-94GB'},
    {alias: 'NVIDIA-H200', model: 'H200-141GB'},
    {alias: 'NVIDIA-A30', model: 'A30-24GB'},
    {alias: 'NVIDIA-A100-SXM4-40GB-MIG-1g.5gb', model: 'A100-40GB'},
  ])('GFD product $alias resolves to $model', ({alias, model}) => {
    expect(findGpuModel(alias)?.name).toBe(model)
  })

  // PCI device IDs as NVIDIA's default-mig-parted-config groups them.
  test.each([
    {id: '0x20B210DE', model: 'A100-80GB'},
    {id: '0x20b010de', model: 'A100-40GB'},
    {id: '0x233010DE', model: 'H100-80GB'},
    {id: '0x232110DE', model: 'H100-94GB'},
    {id: '0x233B10DE', model: 'H200-141GB'},
    {id: '0x20B710DE', model: 'A30-24GB'},
  ])('PCI device id $id is $model', ({id, model}) => {
    expect(findGpuModelByPciId(id)?.name).toBe(model)
  })
})

describe('checkInstances: valid and invalid layouts with reasons', () => {
  const eightSliceCases = (model: string) => {
    const n = NAMES[model] as Record<keyof typeof EIGHT, string>
    return [
      {why: 'full GPU', layout: `${n['7g']}`, code: 'Fits'},
      {why: '4g+3g uses all 7 compute slices (supported since R510)', layout: `${n['4g']},${n['3g']}`, code: 'Fits'},
      {
        why: '3g+2g+2g fits only with the 3g at 4',
        layout: `${n['3g']},${n['2g']},${n['2g']}`,
        code: 'Fits',
        expected: `${n['2g']}@0,${n['2g']}@2,${n['3g']}@4`,
      },
      {why: 'seven 1g', layout: Array(7).fill(n['1g']).join(','), code: 'Fits'},
      {why: 'four 2-memory-slice 1g', layout: Array(4).fill(n['1g2']).join(','), code: 'Fits'},
      {why: 'three 2g and a 1g at 6', layout: `${n['2g']},${n['2g']},${n['2g']},${n['1g']}`, code: 'Fits'},
      {
        why: '3g pinned at 0 leaves no room for two 2g',
        layout: `${n['3g']}@0,${n['2g']},${n['2g']}`,
        code: 'NoPlacement',
      },
      {why: '3g cannot start at 2', layout: `${n['3g']}@2`, code: 'InvalidStart'},
      {why: '1g cannot start at 7', layout: `${n['1g']}@7`, code: 'InvalidStart'},
      {why: '2g cannot start at 6', layout: `${n['2g']}@6`, code: 'InvalidStart'},
      {why: 'two 4g: only one fits', layout: `${n['4g']},${n['4g']}`, code: 'TooManyInstances'},
      {why: 'eight 1g exceed 7 compute slices', layout: Array(8).fill(n['1g']).join(','), code: 'TooManyInstances'},
      {
        why: '4g+2g+2g need 8 compute slices',
        layout: `${n['4g']},${n['2g']},${n['2g']}`,
        code: 'ComputeSlicesExceeded',
      },
      {
        why: 'two +me instances: one set of media engines',
        layout: `${n['1g+me']},${n['1g+me']}`,
        code: 'TooManyMediaExtensions',
      },
      {
        why: '3g+3g+1g2 need 10 memory slices',
        layout: `${n['3g']},${n['3g']},${n['1g2']}`,
        code: 'MemorySlicesExceeded',
      },
      {why: '4g@0 and 3g@0 overlap', layout: `${n['4g']}@0,${n['3g']}@0`, code: 'Overlap'},
      {why: '7g and a 1g need 8 compute slices', layout: `${n['7g']},${n['1g']}`, code: 'ComputeSlicesExceeded'},
      {why: 'a 1g pinned at 0 blocks the only 4g placement', layout: `${n['1g']}@0,${n['4g']}`, code: 'NoPlacement'},
      {
        why: '4g then 2g@4 and 2-slice 1g@6 fill the GPU',
        layout: `${n['4g']}@0,${n['2g']}@4,${n['1g2']}@6`,
        code: 'Fits',
      },
    ].map((row) => ({model, ...row}))
  }
  test.each([
    ...Object.keys(NAMES).flatMap(eightSliceCases),
    {model: 'A30-24GB', why: 'two 2g', layout: '2g.12gb,2g.12gb', code: 'Fits'},
    {model: 'A30-24GB', why: '2g+me and 2 1g', layout: '2g.12gb+me,1g.6gb,1g.6gb', code: 'Fits'},
    {
      model: 'A30-24GB',
      why: '1g+me and 2g+me share the one set of media engines',
      layout: '1g.6gb+me,2g.12gb+me',
      code: 'TooManyMediaExtensions',
    },
    {
      model: 'A30-24GB',
      why: 'five 1g exceed 4 instances',
      layout: '1g.6gb,1g.6gb,1g.6gb,1g.6gb,1g.6gb',
      code: 'TooManyInstances',
    },
    {model: 'A30-24GB', why: '2g cannot start at 1', layout: '2g.12gb@1', code: 'InvalidStart'},
    {model: 'A30-24GB', why: '4g+1g exceed 4 compute slices', layout: '4g.24gb,1g.6gb', code: 'ComputeSlicesExceeded'},
  ])('$model: $why → $code', ({model, layout, code, ...row}) => {
    const result = checkInstances(model, parseLayout(layout))
    expect(result.code).toBe(code)
    expect(result.valid).toBe(code === 'Fits')
    expect(result.reason.length).toBeGreaterThan(0)
    if ('expected' in row && row.expected) expect(formatLayout(result.placements)).toBe(row.expected)
    if (result.valid)
      expect(
        checkInstances(
          model,
          result.placements.map((p) => ({profile: p.profile, start: p.start})),
        ).valid,
      ).toBe(true)
  })
})

describe('findStart', () => {
  test.each([
    {why: 'empty GPU: first placement', instances: [], profile: '3g.40gb', start: 0},
    {why: 'a lone 1g at 0 pushes 3g to 4', instances: [{profile: '1g.10gb', start: 0}], profile: '3g.40gb', start: 4},
    {
      why: 'a lone 1g at 0 blocks the only 4g placement',
      instances: [{profile: '1g.10gb', start: 0}],
      profile: '4g.40gb',
      start: undefined,
    },
    {
      why: '4g+2g@4+1g@6 use all compute: nothing more',
      instances: [
        {profile: '4g.40gb', start: 0},
        {profile: '2g.20gb', start: 4},
        {profile: '1g.10gb', start: 6},
      ],
      profile: '1g.10gb',
      start: undefined,
    },
    {
      why: 'second +me refused',
      instances: [{profile: '1g.10gb+me', start: 0}],
      profile: '1g.10gb+me',
      start: undefined,
    },
    {
      why: '2-slice 1g may use slice 6-7',
      instances: [
        {profile: '2g.20gb', start: 0},
        {profile: '2g.20gb', start: 2},
        {profile: '2g.20gb', start: 4},
      ],
      profile: '1g.20gb',
      start: 6,
    },
  ])('$why', ({instances, profile, start}) => {
    expect(findStart('A100-80GB', instances, profile)).toBe(start)
  })
})

/** An independent enumeration of maximal layouts straight from the placement table above (no shared code). */
function bruteForceMaximal(
  shapes: Array<{name: string; starts: number[]; mem: number; compute: number; max: number; me: boolean}>,
  computeLimit: number,
): Set<string> {
  const candidates = shapes.flatMap((s) => s.starts.map((start) => ({...s, start})))
  const valid = (set: typeof candidates): boolean => {
    let mask = 0
    for (const c of set) {
      const m = ((1 << c.mem) - 1) << c.start
      if (mask & m) return false
      mask |= m
    }
    if (set.reduce((s, c) => s + c.compute, 0) > computeLimit) return false
    if (set.filter((c) => c.me).length > 1) return false
    return shapes.every((s) => set.filter((c) => c.name === s.name).length <= s.max)
  }
  const found = new Set<string>()
  const visit = (i: number, set: typeof candidates): void => {
    if (i === candidates.length) {
      if (candidates.every((c) => set.includes(c) || !valid([...set, c])))
        found.add(
          set
            .map((c) => `${c.name}@${c.start}`)
            .sort()
            .join(','),
        )
      return
    }
    const c = candidates[i] as (typeof candidates)[number]
    if (valid([...set, c])) visit(i + 1, [...set, c])
    visit(i + 1, set)
  }
  visit(0, [])
  return found
}

describe('enumerateMaximalLayouts matches the documented placement rules', () => {
  const canonical = (layout: string): string => layout.split(',').sort().join(',')
  test.each([...Object.keys(NAMES), 'A30-24GB'])('%s: same set as an independent brute force', (model) => {
    const shapes =
      model === 'A30-24GB'
        ? Object.entries(A30)
            .filter(([, v]) => !v[4])
            .map(([name, [starts, mem, compute, max]]) => ({name, starts: [...starts], mem, compute, max, me: false}))
        : Object.entries(EIGHT)
            .filter(([k]) => k !== '1g+me')
            .map(([k, [starts, mem, compute, max]]) => ({
              name: (NAMES[model] as Record<string, string>)[k] as string,
              starts: [...starts],
              mem,
              compute,
              max,
              me: false,
            }))
    const expected = bruteForceMaximal(shapes, model === 'A30-24GB' ? 4 : 7)
    const actual = new Set(enumerateMaximalLayouts(model).map((l) => canonical(formatLayout(l.placements))))
    expect(actual).toEqual(expected)
  })

  test('A30 has exactly five maximal layouts without +me', () => {
    expect(
      enumerateMaximalLayouts('A30-24GB')
        .map((l) => formatLayout(l.placements))
        .sort(),
    ).toEqual(
      [
        '1g.6gb@0,1g.6gb@1,1g.6gb@2,1g.6gb@3',
        '1g.6gb@0,1g.6gb@1,2g.12gb@2',
        '2g.12gb@0,1g.6gb@2,1g.6gb@3',
        '2g.12gb@0,2g.12gb@2',
        '4g.24gb@0',
      ].sort(),
    )
  })

  test.each([
    '7g.80gb@0',
    '4g.40gb@0,3g.40gb@4',
    '4g.40gb@0,2g.20gb@4,1g.10gb@6',
    '3g.40gb@0,3g.40gb@4',
    '2g.20gb@0,2g.20gb@2,3g.40gb@4',
    '2g.20gb@0,2g.20gb@2,2g.20gb@4,1g.10gb@6',
    '1g.10gb@0,1g.10gb@1,1g.10gb@2,1g.10gb@3,1g.10gb@4,1g.10gb@5,1g.10gb@6',
  ])('A100-80GB lists the documented combination %s', (layout) => {
    expect(enumerateMaximalLayouts('A100-80GB').map((l) => formatLayout(l.placements))).toContain(layout)
  })

  test('every layout with +me holds at most one +me instance and is valid', () => {
    for (const layout of enumerateMaximalLayouts('H100-80GB', {mediaExtensions: true})) {
      expect(layout.placements.filter((p) => p.profile.endsWith('+me')).length).toBeLessThanOrEqual(1)
      expect(checkInstances('H100-80GB', layout.placements).valid).toBe(true)
    }
  })
})
