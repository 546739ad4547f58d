/** `gpu-scale simulate` and `plan/analyze --sim --scenario --at` as a shell sees them. */
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, test} from 'vitest'

import type {Plan} from '../../src/core/model/plan.js'
import {parseJsonLines, summarizeLog} from '../../src/core/twin/index.js'
import type {SimulateResult} from '../../src/services/simulate.js'
import {cli} from '../helpers/cli.js'

describe('gpu-scale simulate', () => {
  test('-o json prints the typed result: the summary and what the loop did, one tick per loop interval', async () => {
    const {stdout, exitCode} = await cli(['simulate', '--scenario', 'burst', '--for', '20m', '-o', 'json'])
    expect(exitCode).toBe(0)
    const result = JSON.parse(stdout) as SimulateResult
    expect(result.scenario).toBe('burst')
    expect(result.durationSeconds).toBe(1200)
    expect(result.loop.ticks).toBe(1200 / result.loop.loopIntervalSeconds + 1)
    expect(result.summary.requests.total).toBeGreaterThan(0)
    expect(result.summary.gpuHours).toBeGreaterThan(0)
  })

  test('--events writes the log as JSON lines, and the summary recomputed from that file is the one printed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gpu-scale-sim-')), 'events.jsonl')
    const {stdout, exitCode} = await cli([
      'simulate',
      '--scenario',
      'spot-storm',
      '--for',
      '30m',
      '--events',
      file,
      '-o',
      'json',
    ])
    expect(exitCode).toBe(0)
    const result = JSON.parse(stdout) as SimulateResult
    const entries = parseJsonLines(readFileSync(file, 'utf8'))
    expect(entries.length).toBe(result.events?.entries)
    const start = Date.parse(result.start) / 1000
    const again = summarizeLog(entries, {start, end: start + result.durationSeconds})
    expect(again.gpuHours).toBeCloseTo(result.summary.gpuHours, 9)
    expect(again.scalingActions).toEqual(result.summary.scalingActions)
  })

  test.each([
    {
      why: 'a gate that holds on the run (GPU-hours above zero) fails the job: exit 3, the gate in the JSON result',
      gates: ['gpu_hours > 0', 'flaps > 1000'],
      exit: 3,
      line: /^fail-if: 1 of 2 gate\(s\) failed: gpu_hours [\d.]+ > 0$/,
    },
    {
      why: 'gates that do not hold pass: exit 0, and stderr says they held',
      gates: ['gpu_hours < 0', 'slo < 0'],
      exit: 0,
      line: /^fail-if: all 2 gate\(s\) held$/,
    },
  ])('--fail-if on a scenario run: $why', async ({gates, exit, line}) => {
    const args = ['simulate', '--scenario', 'burst', '--for', '10m', '-o', 'json']
    for (const gate of gates) args.push('--fail-if', gate)
    const {stdout, stderr, exitCode} = await cli(args)
    expect(exitCode, stderr).toBe(exit)
    const result = JSON.parse(stdout) as SimulateResult
    expect(result.failIf?.results.map((r) => r.passed)).toHaveLength(2)
    expect(result.failIf?.passed).toBe(exit === 0)
    expect(stderr.trim().split('\n').at(-1)).toMatch(line)
  })

  test('a --fail-if that does not parse fails before the run: exit 1', async () => {
    const {stderr, exitCode} = await cli(['simulate', '--scenario', 'burst', '--for', '10m', '--fail-if', 'slo <'])
    expect(exitCode).toBe(1)
    expect(stderr).toContain('--fail-if')
  })

  test('prints the summary table by default', async () => {
    const {stdout, exitCode} = await cli(['simulate', '--scenario', 'memory-bound', '--for', '10m'])
    expect(exitCode).toBe(0)
    for (const row of [
      'SLO attainment',
      'TTFT p50 / p95 / p99',
      'GPU-hours',
      'pending-pod minutes',
      'flaps',
      'blocked changes',
    ])
      expect(stdout).toContain(row)
  })

  test.each([
    {
      why: 'an unknown scenario name: exit 1, and the hint lists the shipped ones',
      args: ['simulate', '--scenario', 'nope'],
      stderr: 'seed-production',
    },
    {
      why: 'a duration that is not one: exit 1 naming the flag',
      args: ['simulate', '--scenario', 'burst', '--for', 'soon'],
      stderr: '--for soon',
    },
    {
      why: '--at without --scenario: the built-in --sim fleet is one fixed moment',
      args: ['plan', '--sim', '--at', '35m'],
      stderr: '--at needs --scenario',
    },
    {
      why: '--scenario without --sim on plan: it plans the twin, so --sim is required',
      args: ['plan', '--scenario', 'burst'],
      stderr: 'add --sim',
    },
  ])('$why', async ({args, stderr}) => {
    const result = await cli(args)
    expect(result.exitCode).toBe(1)
    expect(result.stderr).toContain(stderr)
  })
})

describe('plan --sim --scenario NAME --at', () => {
  test("plans the twin at that moment, carrying the loop's controller state", async () => {
    const {stdout, exitCode} = await cli([
      'plan',
      '--sim',
      '--scenario',
      'seed-production',
      '--at',
      '35m',
      '-o',
      'json',
    ])
    expect(exitCode).toBe(0)
    const plan = JSON.parse(stdout) as Plan
    expect(plan.plannedAt).toBe('2026-11-28T06:35:00Z')
    // The controller has a history by then: the loop's ticks recorded recommendations for the models.
    expect(Object.keys(plan.state.models).length).toBeGreaterThan(0)
  })
})
