/**
 * `gpu-scale simulate --trace` as a shell and a CI job see it: the JSON contract with three policies, the HTML
 * report in a real browser, and `--fail-if` exiting 3 with one line on stderr (a spawned process: the exit status
 * is the contract). Traces are made by our generator, a few minutes long.
 */
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, test} from 'vitest'

import type {SimulationReport} from '../../src/core/simulate/index.js'
import {formatTraceLines, generateSyntheticRequests} from '../../src/core/traces/index.js'
import {CHROMIUM, renderInChromium} from '../helpers/chromium.js'
import {cli, cliProcess, type CliResult} from '../helpers/cli.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-sim-trace-cmd-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const trace = join(dir, 'bursty.csv')
writeFileSync(
  trace,
  [
    ...formatTraceLines(
      'requests-csv',
      generateSyntheticRequests({
        seed: 5,
        pattern: 'bursty',
        durationSeconds: 600,
        models: [
          {name: 'llama-8b', meanRps: 3},
          {name: 'llama-70b', meanRps: 0.3},
        ],
        burst: {meanBurstSeconds: 90, meanGapSeconds: 240},
      }),
    ),
  ].join('\n') + '\n',
)

// The gate's child process runs on the core the in-process tests leave free (see test/helpers/cli.ts).
let gate: Promise<CliResult>
beforeAll(() => {
  gate = cliProcess([
    'simulate',
    '-c',
    'examples/seed-production.yaml',
    '--trace',
    trace,
    '--for',
    '5m',
    '--baseline',
    'oracle',
    '--fail-if',
    'slo < 50',
    '--fail-if',
    'gpu_hours > 1.0 * oracle',
    '-o',
    'json',
  ])
})

describe('gpu-scale simulate --trace', () => {
  test('-o json prints the SimulationReport with your policy, hpa-gpu-util and the oracle, in that order', async () => {
    const {stdout, stderr, exitCode} = await cli([
      'simulate',
      '-c',
      'examples/seed-production.yaml',
      '--trace',
      trace,
      '--baseline',
      'hpa-gpu-util',
      '--baseline',
      'oracle',
      '-o',
      'json',
    ])
    expect(exitCode, stderr).toBe(0)
    const report = JSON.parse(stdout) as SimulationReport
    expect(report.kind).toBe('SimulationReport')
    expect(report.policies.map((p) => [p.name, p.kind])).toEqual([
      ['seed-production', 'user'],
      ['hpa-gpu-util', 'baseline'],
      ['oracle', 'oracle'],
    ])
    for (const p of report.policies) expect(p.metrics.gpuHours).toBeGreaterThan(0)
    expect(report.policies[0]?.metrics.requests.total).toBeGreaterThan(1000)
    // The seed config sets no SLO: the replay says which targets it measured against, on stderr.
    expect(stderr).toContain('sets no settings.slo')
    expect(report.slo.default).toEqual({ttftSeconds: 2, tpotSeconds: 0.1})
  })

  test('--report writes one HTML file that renders in Chromium with no console error and no request out', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: run scripts/install-chromium.sh`).toBe(true)
    const file = join(dir, 'report.html')
    const {exitCode, stderr} = await cli([
      'simulate',
      '-c',
      'examples/seed-production.yaml',
      '--trace',
      trace,
      '--for',
      '5m',
      '--baseline',
      'static-peak',
      '--baseline',
      'oracle',
      '--report',
      file,
      '--fail-if',
      'flaps > 100',
    ])
    expect(exitCode, stderr).toBe(0)
    const html = readFileSync(file, 'utf8')
    expect(html).toContain('baseline:static-peak')
    const result = await renderInChromium(file)
    expect(result.consoleErrors).toEqual([])
    expect(result.exceptions).toEqual([])
    expect(result.externalRequests).toEqual([])
    expect(result.bodyTextLength).toBeGreaterThan(500)
    expect(result.screenshot.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  }, 90_000)

  test('a failed gate exits 3 with one line on stderr naming what failed; stdout is still exactly the report', async () => {
    const {stdout, stderr, exitCode} = await gate
    expect(exitCode).toBe(3)
    const lines = stderr.trim().split('\n')
    expect(lines.at(-1)).toMatch(/^fail-if: 1 of 2 gate\(s\) failed: gpu_hours [\d.]+ > oracle [\d.]+$/)
    expect((JSON.parse(stdout) as SimulationReport).kind).toBe('SimulationReport')
  }, 90_000)

  test.each([
    {
      why: 'a --fail-if that does not parse: exit 1, the column and a caret, before any replay',
      args: ['--fail-if', 'gpu_hours > 1.1 * agianst'],
      stderr:
        /unknown policy "agianst" \(did you mean against\?\).* at column 19\n\s+gpu_hours > 1\.1 \* agianst\n {20}\^/s,
    },
    {
      why: 'a malformed trace row: exit 1 with file:line and the field',
      args: ['--trace-format', 'azure-llm'],
      stderr: /bursty\.csv:1: .*hint: fix the row, or pass skipBadRows \(--skip-bad-rows\)/s,
    },
    {
      why: '--requests takes only the three request models',
      args: ['--requests', 'exact'],
      stderr: /Expected --requests=exact to be one of: auto, sampled, fluid/,
    },
    {
      why: '--baseline takes only the built-in names',
      args: ['--baseline', 'hpa'],
      stderr: /Expected --baseline=hpa to be one of: hpa-gpu-util, keda-queue, reactive-nodes, static-peak, oracle/,
    },
  ])('$why', async ({args, stderr}) => {
    const result = await cli(['simulate', '-c', 'examples/seed-production.yaml', '--trace', trace, ...args])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toMatch(stderr)
    expect(result.stdout).toBe('')
  })

  test.each([
    {
      why: 'a per-request trace replays one by one by default',
      args: [],
      json: 'sampled',
      header: 'one by one (sampled)',
    },
    {
      why: '--requests fluid replays it as a flow, and the header says the model is optimistic near saturation',
      args: ['--requests', 'fluid'],
      json: 'fluid',
      header: 'as a flow (fluid, optimistic near saturation)',
    },
  ])('the output says which request model ran: $why', async ({args, json, header}) => {
    const base = ['simulate', '-c', 'examples/seed-production.yaml', '--trace', trace, '--for', '3m', ...args]
    const asJson = await cli([...base, '-o', 'json'])
    expect(asJson.exitCode, asJson.stderr).toBe(0)
    expect((JSON.parse(asJson.stdout) as SimulationReport).requestModel).toBe(json)
    const table = await cli(base)
    expect(table.stdout.split('\n')[0]).toContain(`requests ${header}`)
  })

  test('without --trace or --scenario there is nothing to simulate: exit 1 with both forms in the hint', async () => {
    const result = await cli(['simulate', '-c', 'examples/seed-production.yaml'])
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain('simulate needs --scenario NAME|FILE or --trace FILE')
  })
})
