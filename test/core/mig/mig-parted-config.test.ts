import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {checkMigPartedConfig} from '../../../src/core/mig/index.js'

const EXAMPLE = 'examples/mig-parted/default-mig-parted-config.yaml'

describe('NVIDIA default mig-parted config (examples/)', () => {
  const result = checkMigPartedConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE)

  test('every config checks valid, with no problems', () => {
    expect(result.problems).toEqual([])
    expect(result.valid).toBe(true)
  })

  // Each supported model must be checked by its all-balanced entry (selected by PCI device filter).
  test.each(['A100-40GB', 'A100-80GB', 'H100-80GB', 'H100-94GB', 'H200-141GB', 'A30-24GB'])(
    'all-balanced is checked on %s',
    (gpu) => {
      const balanced = result.configs.find((c) => c.name === 'all-balanced')
      expect(balanced?.entries.flatMap((e) => e.checks).filter((c) => c.gpu === gpu && c.valid)).toHaveLength(1)
    },
  )

  test('all-1g.10gb means 1 memory slice on 80GB parts and 2 on A100-40GB', () => {
    const entries = result.configs.find((c) => c.name === 'all-1g.10gb')?.entries ?? []
    const sizes = Object.fromEntries(entries.flatMap((e) => e.checks).map((c) => [c.gpu, c.placements[0]?.size]))
    expect(sizes).toMatchObject({'A100-80GB': 1, 'H100-80GB': 1, 'A100-40GB': 2})
  })
})

test.each(['A100-40GB', 'A100-80GB', 'H100-80GB', 'H100-94GB', 'H200-141GB', 'A30-24GB'])(
  'the default config has no errors for --gpu %s, and each model gets a valid all-balanced',
  (gpu) => {
    const result = checkMigPartedConfig(readFileSync(EXAMPLE, 'utf8'), EXAMPLE, {gpu})
    expect(result.problems.filter((p) => p.severity === 'error')).toEqual([])
    expect(
      result.configs
        .find((c) => c.name === 'all-balanced')
        ?.entries.flatMap((e) => e.checks)
        .filter((c) => c.valid)
        .map((c) => c.gpu),
    ).toEqual([gpu])
  },
)

describe('invalid configs are reported at file:line:col', () => {
  test.each([
    {
      why: 'too many 3g for one GPU',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: all\n      mig-enabled: true\n      mig-devices:\n        "3g.40gb": 3\n',
      code: 'LayoutTooManyInstances',
      line: 4,
    },
    {
      why: 'compute slices exceeded on the filtered model',
      text: 'version: v1\nmig-configs:\n  bad:\n    - device-filter: "0x20B210DE"\n      devices: all\n      mig-enabled: true\n      mig-devices: {"4g.40gb": 1, "2g.20gb": 2}\n',
      code: 'LayoutComputeSlicesExceeded',
      line: 4,
    },
    {
      why: 'a profile the filtered model does not have',
      text: 'version: v1\nmig-configs:\n  bad:\n    - device-filter: ["0x20B010DE"]\n      devices: all\n      mig-enabled: true\n      mig-devices: {"3g.40gb": 1}\n',
      code: 'UnknownProfile',
      line: 4,
    },
    {
      why: 'a malformed device filter',
      text: 'version: v1\nmig-configs:\n  bad:\n    - device-filter: ["20B2"]\n      devices: all\n      mig-enabled: false\n',
      code: 'InvalidDeviceFilter',
      line: 4,
      column: 23,
    },
    {
      why: 'mig-enabled is not a boolean',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: all\n      mig-enabled: yes-please\n',
      code: 'InvalidMigEnabled',
      line: 5,
      column: 20,
    },
    {
      why: 'an unknown entry field',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: all\n      mig-enabled: false\n      mig-device: {}\n',
      code: 'UnknownField',
      line: 6,
      column: 7,
    },
    {
      why: 'a negative count',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"1g.10gb": -1}\n',
      code: 'InvalidCount',
      line: 6,
    },
    {
      why: 'devices that are not indices',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: [gpu0]\n      mig-enabled: false\n',
      code: 'InvalidDevices',
      line: 4,
      column: 16,
    },
    {
      why: 'a name that is not a profile',
      text: 'version: v1\nmig-configs:\n  bad:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"three-g": 1}\n',
      code: 'InvalidProfileName',
      line: 4,
    },
    {
      why: 'the wrong version',
      text: 'version: v2\nmig-configs: {}\n',
      code: 'UnsupportedVersion',
      line: 1,
      column: 10,
    },
    {
      why: 'YAML syntax error',
      text: 'version: v1\nmig-configs:\n  bad: [\n',
      code: 'YamlSyntax',
      line: 4,
    },
  ])('$why → $code', ({text, code, line, ...rest}) => {
    const result = checkMigPartedConfig(text, 'cfg.yaml')
    expect(result.valid).toBe(false)
    const problem = result.problems.find((p) => p.code === code)
    expect(problem, JSON.stringify(result.problems)).toBeDefined()
    expect(problem?.location.file).toBe('cfg.yaml')
    expect(problem?.location.line).toBe(line)
    if ('column' in rest) expect(problem?.location.column).toBe(rest.column)
  })

  test('with --gpu, entries whose filter excludes the model are skipped; unfiltered ones for other GPUs only warn', () => {
    const text =
      'version: v1\nmig-configs:\n  a100-only:\n    - device-filter: "0x20B210DE"\n      devices: all\n      mig-enabled: true\n      mig-devices: {"3g.40gb": 2}\n  plain:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"3g.40gb": 2}\n'
    const result = checkMigPartedConfig(text, 'cfg.yaml', {gpu: 'A30'})
    expect(result.configs[0]?.entries[0]?.checks).toEqual([])
    expect(result.configs[0]?.entries[0]?.note).toMatch(/does not select A30-24GB/)
    expect(result.problems.map((p) => `${p.severity}:${p.code}`)).toEqual(['warning:NotForThisGpu'])
    expect(result.valid).toBe(true)
  })
})
