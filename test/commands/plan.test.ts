import {createHash} from 'node:crypto'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {beforeAll, describe, expect, test} from 'vitest'

import {scenario} from '../../src/core/sim/scenario.js'
import {defaultScenario, defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {encodeSnapshot} from '../../src/core/snapshot/codec.js'
import {cli, type CliResult, cliProcess, repoRoot} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-plan-'))

/**
 * Runs that several tests only read (the table, the JSON, --detailed) run once: a `plan --sim` costs about 0.3 s
 * on these machines, and several times that when they are busy.
 */
const runs = new Map<string, Promise<CliResult>>()
function cliOnce(args: string[]): Promise<CliResult> {
  const key = args.join('\0')
  if (!runs.has(key)) runs.set(key, cli(args))
  return runs.get(key)!
}

/** A cluster where the one model sits exactly at its target: the plan has no changes. */
function writeSteadyCluster(): {config: string; snapshot: string; snapshotYaml: string} {
  const builder = scenario()
    .named('steady')
    .nodeGroup('standard', {gpu: {model: 'A100-80GB', count: 1}, max: 3, min: 2}, {nodes: 2})
    .model(
      'chat',
      {
        gpu: {count: 1},
        replicas: {min: 1, max: 4},
        signals: [{name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 50, window: '3m'}],
      },
      {replicas: 2, load: {gpuUtil: 50}},
    )
  const {snapshot} = builder.build()
  const config = join(dir, 'steady.yaml')
  const file = join(dir, 'steady-snapshot.json')
  const yaml = join(dir, 'steady-snapshot.yaml')
  writeFileSync(config, stringify(builder.rawConfig()))
  writeFileSync(file, JSON.stringify(encodeSnapshot(snapshot)))
  writeFileSync(yaml, stringify(encodeSnapshot(snapshot)))
  return {config, snapshot: file, snapshotYaml: yaml}
}

describe('gpu-scale plan', () => {
  let steady: {config: string; snapshot: string; snapshotYaml: string}
  const simConfig = join(dir, 'sim.yaml')
  // JSON: it parses several times faster than YAML (the file:line:col test uses the small steady cluster's YAML).
  const simSnapshotJson = join(dir, 'sim-snapshot.json')
  // The real-process runs start as soon as their inputs exist and run beside the in-process tests.
  const spawned: Record<'changes' | 'stdin' | 'error', Promise<CliResult>> = {} as never
  beforeAll(() => {
    steady = writeSteadyCluster()
    writeFileSync(simConfig, stringify(defaultScenarioBuilder().rawConfig()))
    writeFileSync(simSnapshotJson, JSON.stringify(encodeSnapshot(defaultScenario().snapshot)))
    spawned.changes = cliProcess(['plan', '--sim', '--detailed-exitcode'])
    spawned.stdin = cliProcess(['plan', '-c', simConfig, '--snapshot', '-', '-o', 'json'], {
      input: readFileSync(simSnapshotJson, 'utf8'),
    })
    spawned.error = cliProcess(['plan', '-c', 'examples/seed-production.yaml', '--snapshot', 'nope.json', '-o', 'json'])
  })

  test('--sim prints the per-layer tables that the golden file holds', async () => {
    const {stdout, exitCode} = await cliOnce(['plan', '--sim'])
    expect(exitCode).toBe(0)
    const golden = join(repoRoot, 'test/golden/plan-sim.txt')
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, stdout)
    expect(stdout).toBe(readFileSync(golden, 'utf8'))
  })

  test('-o json prints only the plan, with changes in all three layers, each with reasons', async () => {
    const {stdout, exitCode} = await cliOnce(['plan', '--sim', '-o', 'json'])
    expect(exitCode).toBe(0)
    const plan = JSON.parse(stdout)
    expect(plan.kind).toBe('Plan')
    for (const layer of ['pod', 'node', 'gpu']) expect(plan.summary.byLayer[layer], layer).toBeGreaterThan(0)
    for (const change of plan.changes) expect(change.reasons.length, change.id).toBeGreaterThan(0)
  })

  test('--json and -o yaml print the same plan', async () => {
    const json = JSON.parse((await cliOnce(['plan', '--sim', '--json'])).stdout)
    const {parse} = await import('yaml')
    const yaml = parse((await cli(['plan', '--sim', '-o', 'yaml'])).stdout)
    expect(yaml).toEqual(json)
  })

  test('the plan is deterministic: two runs give byte-identical JSON', async () => {
    const a = await cliOnce(['plan', '--sim', '-o', 'json'])
    const b = await cli(['plan', '--sim', '-o', 'json'])
    expect(a.exitCode).toBe(0)
    expect(a.stdout).toBe(b.stdout)
  })

  test('a snapshot file reproduces the --sim plan offline; its fingerprint is the sha256 of the input bytes', async () => {
    const fromFile = JSON.parse(
      (await cli(['plan', '-c', simConfig, '--snapshot', simSnapshotJson, '-o', 'json'])).stdout,
    )
    const fromSim = JSON.parse((await cli(['plan', '--sim', '-c', simConfig, '-o', 'json'])).stdout)
    expect(fromFile.changes).toEqual(fromSim.changes)
    const bytes = createHash('sha256')
      .update(readFileSync(simConfig, 'utf8'))
      .update('\n')
      .update(readFileSync(simSnapshotJson, 'utf8'))
      .digest('hex')
    expect(fromFile.inputFingerprint).toBe(`sha256:${bytes}`)
  })

  test.each([
    {
      name: 'no changes → 0',
      args: () => ['plan', '-c', steady.config, '--snapshot', steady.snapshot, '--detailed-exitcode'],
      code: 0,
    },
    {name: 'without the flag, changes still exit 0', args: () => ['plan', '--sim'], code: 0},
  ])('--detailed-exitcode: $name', async ({args, code}) => {
    const result = await cli(args())
    expect(result.exitCode, result.stderr).toBe(code)
  })

  test('--detailed-exitcode: changes → 2, as a shell sees it (real process), with the table still on stdout', async () => {
    const result = await spawned.changes
    expect(result.exitCode, result.stderr).toBe(2)
    expect(result.stdout).toContain('Pod layer (replicas)')
  })

  test('--snapshot - reads the snapshot from stdin (real process)', async () => {
    const result = await spawned.stdin
    expect(result.exitCode, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout).kind).toBe('Plan')
  })

  test('--out saves the same JSON that -o json prints', async () => {
    const out = join(dir, 'plan.json')
    const {stdout} = await cli(['plan', '--sim', '-o', 'json', '--out', out])
    expect(readFileSync(out, 'utf8')).toBe(stdout)
  })

  test.each([
    {
      name: 'a missing snapshot file',
      args: ['plan', '-c', 'examples/seed-production.yaml', '--snapshot', 'nope.json'],
      message: /nope\.json: snapshot file not found/,
    },
    {
      name: '--sim with --snapshot',
      args: ['plan', '--sim', '--snapshot', 'x.json'],
      message: /--sim|cannot also be provided/,
    },
    {name: 'a bad -o value', args: ['plan', '--sim', '-o', 'xml'], message: /Expected --output=xml to be one of|xml/},
    {name: 'an unknown flag', args: ['plan', '--sim', '--frobnicate'], message: /Nonexistent flag: --frobnicate/},
    {
      name: 'no cluster source',
      args: ['plan', '-c', 'examples/seed-production.yaml'],
      message: /pass --snapshot FILE .* or --sim/,
    },
  ])('exits 1 with one clear error line and no stack trace for $name', async ({args, message}) => {
    const result = await cli(args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^error: /)
    expect(result.stderr).toMatch(message)
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stdout).toBe('')
  })

  test('an error reaches a shell as exit 1, stderr only, nothing on stdout (real process)', async () => {
    const result = await spawned.error
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(/^error: nope\.json: snapshot file not found\nhint: /)
    expect(result.stdout).toBe('')
  })

  test('an invalid snapshot names file:line:col and field', async () => {
    const bad = join(dir, 'bad.yaml')
    const lines = readFileSync(steady.snapshotYaml, 'utf8').split('\n')
    const line = lines.findIndex((l) => l.startsWith('capturedAt: ')) + 1
    lines[line - 1] = 'capturedAt: noon'
    writeFileSync(bad, lines.join('\n'))
    const result = await cli(['plan', '-c', steady.config, '--snapshot', bad])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(`${bad}:${line}:13 capturedAt`)
  })

  test("--detailed shows every signal's proposal and which one decided", async () => {
    const {stdout} = await cliOnce(['plan', '--sim', '--detailed'])
    const section = stdout.slice(stdout.indexOf('Signal proposals'))
    expect(section).toMatch(
      /llm\/embed-bge\s+│ gpu-util\s+│ 20\.\d+ \/ 40\s+│ avg 3m\s+│ 2\s+│\n│\s+│ DCGM_FI_DEV_GPU_UTIL\s+│[^\n]*\n[^\n]*\n│ Status: unreliable/,
    )
    expect(section).toMatch(
      /llm\/embed-bge\s+│ queue\s+│ [\d.]+ \/ 4\s+│ avg 3m\s+│ 6\s+│[\s\S]*?│ Status: ok \(decided\)/,
    )
  })

  test.each([
    {args: ['plan', '--sim'], why: 'the default tables'},
    {args: ['plan', '--sim', '--detailed'], why: 'with every proposal and target left alone'},
    {args: ['analyze', '--sim'], why: 'the analysis tables'},
    {args: ['mig', 'gpus'], why: 'the widest MIG table'},
  ])('piped output is fitted to 80 columns, no line wider: $why', async ({args}) => {
    const {stdout} = await cliOnce(args)
    const widest = Math.max(...stdout.split('\n').map((line) => line.length))
    expect(widest).toBeLessThanOrEqual(80)
  })

  test('diagnostics in table mode say which model, node or group they are about', async () => {
    const {stdout} = await cliOnce(['plan', '--sim'])
    const section = stdout.slice(stdout.indexOf('Diagnostics'))
    expect(section).toMatch(/│ info\s+│ llm\/embed-bge\s+│ MetricFallback:/)
    expect(section).toMatch(/│ info\s+│ model llama-70b\s+│ PredictiveScaleUpBlocked:/)
  })

  test('--help lists the exit codes', async () => {
    const {stdout} = await cli(['plan', '--help'])
    expect(stdout).toContain('EXIT CODES')
    expect(stdout).toMatch(/2\s+--detailed-exitcode: the plan has changes/)
  })
})
