import {writeFileSync, mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import {cli} from '../helpers/cli.js'

const EXAMPLE = 'examples/mig-parted/default-mig-parted-config.yaml'

describe('gpu-scale mig gpus|profiles|layouts', () => {
  test('gpus lists the six MIG models with slice counts', async () => {
    const {stdout, exitCode} = await cli(['mig', 'gpus', '-o', 'json'])
    expect(exitCode).toBe(0)
    const rows = JSON.parse(stdout) as Array<{name: string; memorySlices: number; computeSlices: number}>
    expect(rows.map((r) => `${r.name}:${r.memorySlices}x${r.computeSlices}`)).toEqual([
      'A100-40GB:8x7',
      'A100-80GB:8x7',
      'H100-80GB:8x7',
      'H100-94GB:8x7',
      'H200-141GB:8x7',
      'A30-24GB:4x4',
    ])
  })

  test('profiles by GFD product name shows placements', async () => {
    const {stdout, exitCode} = await cli(['mig', 'profiles', '--gpu', 'NVIDIA-H100-NVL'])
    expect(exitCode).toBe(0)
    expect(stdout).toContain('MIG profiles on H100-94GB')
    expect(stdout).toMatch(/3g\.47gb\s+│\s+4\s+│\s+3\s+│.*\{0,4\}:4/)
  })

  test('layouts --gpu A30 -o yaml lists the five maximal layouts', async () => {
    const {stdout, exitCode} = await cli(['mig', 'layouts', '--gpu', 'A30', '-o', 'json'])
    expect(exitCode).toBe(0)
    expect((JSON.parse(stdout) as {layouts: unknown[]}).layouts).toHaveLength(5)
  })

  test('an unknown GPU model is bad input (exit 1) with a hint', async () => {
    const {stderr, exitCode} = await cli(['mig', 'profiles', '--gpu', 'V100'])
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/unknown MIG GPU model "V100"/)
    expect(stderr).toMatch(/hint:/)
  })
})

describe('gpu-scale mig check PROFILE[@START] ...', () => {
  test.each([
    {
      why: '3g + 2g + 2g fits with the 3g at 4',
      args: ['3g.40gb', '2g.20gb', '2g.20gb'],
      exit: 0,
      valid: true,
      placement: [
        {profile: '2g.20gb', start: 0, size: 2},
        {profile: '2g.20gb', start: 2, size: 2},
        {profile: '3g.40gb', start: 4, size: 4},
      ],
    },
    {
      why: '3g pinned at 0 leaves no room for two 2g (gate failed)',
      args: ['3g.40gb@0', '2g.20gb', '2g.20gb'],
      exit: 3,
      valid: false,
      reason: /no placement/,
    },
    {
      why: 'compute slices exceeded',
      args: ['4g.40gb', '2g.20gb', '2g.20gb'],
      exit: 3,
      valid: false,
      reason: /8 compute slices; A100-80GB has 7/,
    },
    {
      why: 'device-plugin resource names are accepted',
      args: ['nvidia.com/mig-7g.80gb'],
      exit: 0,
      valid: true,
      placement: [{profile: '7g.80gb', start: 0, size: 8}],
    },
  ])('$why', async ({args, exit, valid, ...row}) => {
    const {stdout, exitCode} = await cli(['mig', 'check', '--gpu', 'A100-80GB', ...args, '-o', 'json'])
    expect(exitCode).toBe(exit)
    const result = JSON.parse(stdout) as {valid: boolean; placements: unknown[]; reason: string}
    expect(result.valid).toBe(valid)
    if ('placement' in row) expect(result.placements).toEqual(row.placement)
    if ('reason' in row && row.reason) expect(result.reason).toMatch(row.reason)
  })

  test.each([
    {
      why: 'unknown profile',
      args: ['--gpu', 'A100-80GB', '3g.20gb'],
      message: /A100-80GB has no MIG profile "3g.20gb"/,
    },
    {why: 'bad start', args: ['--gpu', 'A100-80GB', '3g.40gb@x'], message: /start after @/},
    {why: 'no instances', args: ['--gpu', 'A100-80GB'], message: /no instances to check/},
    {why: 'missing --gpu', args: ['3g.40gb'], message: /--gpu is required/},
  ])('bad input → exit 1: $why', async ({args, message}) => {
    const {stderr, exitCode} = await cli(['mig', 'check', ...args])
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(message)
  })
})

describe('gpu-scale mig check --config FILE', () => {
  test("NVIDIA's default config for the supported models checks valid", async () => {
    const {stdout, exitCode} = await cli(['mig', 'check', '--config', EXAMPLE, '-o', 'json'])
    expect(exitCode).toBe(0)
    const result = JSON.parse(stdout) as {valid: boolean; configs: Array<{valid: boolean}>}
    expect(result.valid).toBe(true)
    expect(result.configs.every((c) => c.valid)).toBe(true)
  })

  test('an invalid entry is reported with file:line:col and exit 3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-mig-'))
    const file = join(dir, 'config.yaml')
    writeFileSync(
      file,
      'version: v1\nmig-configs:\n  too-big:\n    - devices: all\n      mig-enabled: true\n      mig-devices: {"4g.40gb": 1, "3g.40gb": 2}\n',
    )
    const {stdout, exitCode} = await cli(['mig', 'check', '--config', file])
    expect(exitCode).toBe(3)
    expect(stdout).toContain(`${file}:4:7 mig-configs.too-big[0]: error:`)
  })

  test('a missing file is bad input (exit 1)', async () => {
    const {stderr, exitCode} = await cli(['mig', 'check', '--config', '/nonexistent/config.yaml'])
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(/\/nonexistent\/config.yaml: mig-parted config not found/)
  })

  test('not YAML at all is bad input (exit 1) located at line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-mig-'))
    const file = join(dir, 'broken.yaml')
    writeFileSync(file, 'version: v1\nmig-configs:\n  a: [\n')
    const {stderr, exitCode} = await cli(['mig', 'check', '--config', file])
    expect(exitCode).toBe(1)
    expect(stderr).toMatch(new RegExp(`${file}:\\d+:\\d+: error: .*\\[YamlSyntax\\]`))
  })
})
