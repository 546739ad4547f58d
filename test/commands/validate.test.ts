import {beforeAll, describe, expect, test} from 'vitest'

import {cli, type CliResult, cliProcess} from '../helpers/cli.js'

const SEED = 'examples/seed-production.yaml'
const BROKEN = 'test/fixtures/config/broken-field.yaml'
const WARNING = 'test/fixtures/config/slow-load-warning.yaml'

describe('gpu-scale validate', () => {
  // Started first so the child runs beside the in-process tests (see cliProcess).
  let fromEnvironment: Promise<CliResult>
  beforeAll(() => {
    fromEnvironment = cliProcess(['validate'], {env: {GPU_SCALE_CONFIG: WARNING}})
  })

  test.each([
    {reason: 'the seed example is valid with no warnings', args: ['-c', SEED], exitCode: 0},
    {reason: 'the seed example also passes --strict', args: ['-c', SEED, '--strict'], exitCode: 0},
    {reason: 'a broken field is an error', args: ['-c', BROKEN], exitCode: 1},
    {reason: 'a warning alone passes without --strict', args: ['-c', WARNING], exitCode: 0},
    {reason: '--strict fails the gate on a warning', args: ['-c', WARNING, '--strict'], exitCode: 3},
    {reason: 'a missing file is an error', args: ['-c', 'test/fixtures/config/does-not-exist.yaml'], exitCode: 1},
  ])('exit $exitCode: $reason', async ({args, exitCode}) => {
    const result = await cli(['validate', ...args])
    expect(result.exitCode, result.stderr).toBe(exitCode)
  })

  test('a broken field is named with its line:col, field path and what was expected', async () => {
    const {stdout, stderr} = await cli(['validate', '-c', BROKEN])
    expect(stdout).toBe(
      `${BROKEN}:13:64 models[0].signals[0].target: error: expected a number, got "fourty" [WrongType]\n`,
    )
    expect(stderr).toContain(`${BROKEN}: invalid (1 error, 0 warnings)`)
  })

  test('a warning is printed with its severity and code, and the summary goes to stderr', async () => {
    const {stdout, stderr} = await cli(['validate', '-c', WARNING])
    expect(stdout).toMatch(
      /^test\/fixtures\/config\/slow-load-warning\.yaml:\d+:\d+ models\[0\]\.healthCheckGrace: warning: .*4m.* \[GraceShorterThanLoad\]\n$/,
    )
    expect(stderr).toContain('valid (0 errors, 1 warning)')
  })

  test('-o json prints the typed result and nothing else on stdout', async () => {
    const {stdout, exitCode} = await cli(['validate', '-c', BROKEN, '-o', 'json'])
    expect(exitCode).toBe(1)
    expect(JSON.parse(stdout)).toEqual({
      file: BROKEN,
      valid: false,
      errors: 1,
      warnings: 0,
      defaultSignals: [],
      problems: [
        {
          severity: 'error',
          code: 'WrongType',
          message: 'expected a number, got "fourty"',
          location: {file: BROKEN, path: 'models[0].signals[0].target', line: 13, column: 64},
        },
      ],
    })
  })

  test('-o json of a valid config', async () => {
    const {stdout} = await cli(['validate', '-c', SEED, '--json'])
    expect(JSON.parse(stdout)).toEqual({
      file: SEED,
      valid: true,
      errors: 0,
      warnings: 0,
      problems: [],
      defaultSignals: [],
    })
  })

  test('-o json lists the models on default signals (examples/multi-signal.yaml)', async () => {
    const {stdout} = await cli(['validate', '-c', 'examples/multi-signal.yaml', '-o', 'json'])
    const report = JSON.parse(stdout) as {defaultSignals: Array<{model: string; signals: Array<{name: string}>}>}
    expect(report.defaultSignals.map((m) => [m.model, m.signals.map((s) => s.name)])).toEqual(
      ['llama-8b', 'llama-70b'].map((m) => [
        m,
        [
          'default-capacity-at-slo',
          'default-queue-depth',
          'default-p95-latency',
          'default-p95-ttft',
          'default-kv-cache',
          'default-gpu-dram-active',
        ],
      ]),
    )
  })

  test('a missing file names the path and says what to do', async () => {
    const {stderr} = await cli(['validate', '-c', 'nope.yaml'])
    expect(stderr).toContain('error: nope.yaml: config file not found')
    expect(stderr).toContain('hint: pass -c FILE, or start from examples/seed-production.yaml')
  })

  test('the config path comes from GPU_SCALE_CONFIG when -c is absent (real process)', async () => {
    const result = await fromEnvironment
    expect(result.exitCode).toBe(0)
    expect(result.stdout).toContain('[GraceShorterThanLoad]')
  })
})
