import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {beforeAll, describe, expect, test} from 'vitest'

import {scenario} from '../../src/core/sim/scenario.js'
import {defaultScenario, defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {encodeSnapshot} from '../../src/core/snapshot/codec.js'
import {cli, cliProcess, repoRoot} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-plan-'))

/** A cluster where the one model sits exactly at its target: the plan has no changes. */
function writeSteadyCluster(): {config: string; snapshot: string} {
  const builder = scenario().named('steady')
    .nodeGroup('standard', {gpu: {model: 'A100-80GB', count: 1}, max: 3, min: 2}, {nodes: 2})
    .model('chat', {gpu: {count: 1}, replicas: {min: 1, max: 4}, signals: [{name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 50, window: '3m'}]},
      {replicas: 2, load: {gpuUtil: 50}})
  const {snapshot} = builder.build()
  const config = join(dir, 'steady.yaml')
  const file = join(dir, 'steady-snapshot.json')
  writeFileSync(config, stringify(builder.rawConfig()))
  writeFileSync(file, JSON.stringify(encodeSnapshot(snapshot)))
  return {config, snapshot: file}
}

describe('gpu-scale plan', () => {
  let steady: {config: string; snapshot: string}
  const simConfig = join(dir, 'sim.yaml')
  const simSnapshot = join(dir, 'sim-snapshot.yaml')
  beforeAll(() => {
    steady = writeSteadyCluster()
    writeFileSync(simSnapshot, stringify(encodeSnapshot(defaultScenario().snapshot)))
  })

  test('--sim prints the per-layer tables that the golden file holds', async () => {
    const {stdout, exitCode} = await cli(['plan', '--sim'])
    expect(exitCode).toBe(0)
    const golden = join(repoRoot, 'test/golden/plan-sim.txt')
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, stdout)
    expect(stdout).toBe(readFileSync(golden, 'utf8'))
  })

  test('-o json prints only the plan, with changes in all three layers, each with reasons', async () => {
    const {stdout, exitCode} = await cli(['plan', '--sim', '-o', 'json'])
    expect(exitCode).toBe(0)
    const plan = JSON.parse(stdout)
    expect(plan.kind).toBe('Plan')
    for (const layer of ['pod', 'node', 'gpu']) expect(plan.summary.byLayer[layer], layer).toBeGreaterThan(0)
    for (const change of plan.changes) expect(change.reasons.length, change.id).toBeGreaterThan(0)
  })

  test('--json and -o yaml print the same plan', async () => {
    const json = JSON.parse((await cli(['plan', '--sim', '--json'])).stdout)
    const {parse} = await import('yaml')
    const yaml = parse((await cli(['plan', '--sim', '-o', 'yaml'])).stdout)
    expect(yaml).toEqual(json)
  })

  test('the plan is deterministic: two runs give byte-identical JSON', () => {
    const a = cliProcess(['plan', '--sim', '-o', 'json'])
    const b = cliProcess(['plan', '--sim', '-o', 'json'])
    expect(a.exitCode).toBe(0)
    expect(a.stdout).toBe(b.stdout)
  })

  test('a snapshot file reproduces the --sim plan offline; its fingerprint is the sha256 of the input bytes', async () => {
    writeFileSync(simConfig, stringify(defaultScenarioBuilder().rawConfig()))
    const fromFile = JSON.parse((await cli(['plan', '-c', simConfig, '--snapshot', simSnapshot, '-o', 'json'])).stdout)
    const fromSim = JSON.parse((await cli(['plan', '--sim', '-c', simConfig, '-o', 'json'])).stdout)
    expect(fromFile.changes).toEqual(fromSim.changes)
    const bytes = createHash('sha256').update(readFileSync(simConfig, 'utf8')).update('\n').update(readFileSync(simSnapshot, 'utf8')).digest('hex')
    expect(fromFile.inputFingerprint).toBe(`sha256:${bytes}`)
  })

  test.each([
    {name: 'changes → 2', args: () => ['plan', '--sim', '--detailed-exitcode'], code: 2},
    {name: 'no changes → 0', args: () => ['plan', '-c', steady.config, '--snapshot', steady.snapshot, '--detailed-exitcode'], code: 0},
    {name: 'without the flag, changes still exit 0', args: () => ['plan', '--sim'], code: 0},
  ])('--detailed-exitcode: $name', ({args, code}) => {
    const result = cliProcess(args())
    expect(result.exitCode, result.stderr).toBe(code)
  })

  test('--out saves the same JSON that -o json prints', async () => {
    const out = join(dir, 'plan.json')
    const {stdout} = await cli(['plan', '--sim', '-o', 'json', '--out', out])
    expect(readFileSync(out, 'utf8')).toBe(stdout)
  })

  test.each([
    {name: 'a missing snapshot file', args: ['plan', '-c', 'examples/seed-production.yaml', '--snapshot', 'nope.json'], message: /nope\.json: snapshot file not found/},
    {name: '--sim with --snapshot', args: ['plan', '--sim', '--snapshot', 'x.json'], message: /--sim|cannot also be provided/},
    {name: 'a bad -o value', args: ['plan', '--sim', '-o', 'xml'], message: /Expected --output=xml to be one of|xml/},
    {name: 'an unknown flag', args: ['plan', '--sim', '--frobnicate'], message: /Nonexistent flag: --frobnicate/},
    {name: 'no cluster source', args: ['plan', '-c', 'examples/seed-production.yaml'], message: /pass --snapshot FILE .* or --sim/},
  ])('exits 1 with one clear error line and no stack trace for $name', ({args, message}) => {
    const result = cliProcess(args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^error: /)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stdout).toBe('')
  })

  test('an invalid snapshot names file:line:col and field', () => {
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, readFileSync(simSnapshot, 'utf8').replace('capturedAt: 2026-11-28T12:00:00Z', 'capturedAt: noon'))
    const result = cliProcess(['plan', '-c', simConfig, '--snapshot', bad])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`${bad}:3:13 capturedAt: error: .*RFC|${bad}:3:13 capturedAt`))
  })

  test('--detailed shows every signal\'s proposal and which one decided', async () => {
    const {stdout} = await cli(['plan', '--sim', '--detailed'])
    const section = stdout.slice(stdout.indexOf('Signal proposals'))
    expect(section).toMatch(/llm\/embed-bge\s+│ gpu-util\s+│ DCGM_FI_DEV_GPU_UTIL\s+│ 20\.\d+\s+│ 40\s+│ avg 3m\s+│ 2\s+│ unreliable/)
    expect(section).toMatch(/llm\/embed-bge\s+│ queue\s+│ vllm:num_requests_waiting\s+│ [\d.]+\s+│ 4\s+│ avg 3m\s+│ 6\s+│ ok \(decided\)/)
  })

  test('--help lists the exit codes', () => {
    const {stdout} = cliProcess(['plan', '--help'])
    expect(stdout).toContain('EXIT CODES')
    expect(stdout).toMatch(/2\s+--detailed-exitcode: the plan has changes/)
  })
})
