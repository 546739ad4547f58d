/**
 * `gpu-scale apply --watch --sim` as a user runs it (in process): the loop on the twin follows the burst up and
 * back down without flapping, streams one update per tick (JSON lines with -o json) and ends with a summary; bad
 * flags are one-line errors with exit 1.
 */
import {describe, expect, test} from 'vitest'

import type {WatchSummary, WatchUpdate} from '../../src/core/loop/watch-result.js'
import {cli} from '../helpers/cli.js'

const BURST = ['apply', '--watch', '--sim', '--scenario', 'burst', '-c', 'test/fixtures/watch/burst-queue.yaml']

describe('apply --watch --sim', () => {
  test('follows the burst up and back down without flapping (-o json: one update per line, the summary last)', async () => {
    const {stdout, stderr, exitCode} = await cli([...BURST, '--speed', '0', '--for', '30m', '-o', 'json'])
    expect(stderr).toBe('')
    expect(exitCode).toBe(0)
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as WatchUpdate | WatchSummary)
    const summary = lines.at(-1) as WatchSummary
    const ticks = lines.filter((l): l is Extract<WatchUpdate, {type: 'tick'}> => l.type === 'tick')
    expect(summary.type).toBe('summary')
    expect(ticks).toHaveLength(60) // 30 minutes at the policy's 30 s interval
    const desired = ticks.map((t) => t.fleet?.perModel['llama-8b']?.desired ?? NaN)
    const peak = Math.max(...desired)
    const peakAt = desired.indexOf(peak)
    expect(desired[0]).toBe(2)
    expect(peak).toBeGreaterThan(2) // up for the burst (10m–15m)...
    expect(desired.at(-1)).toBeLessThan(peak) // ...and back down after it
    expect(desired.slice(peakAt).every((d, i, rest) => i === 0 || d <= rest[i - 1]!)).toBe(true) // never up again
    expect(summary.twin?.flaps).toBe(0)
    expect(summary.fleet?.replicas).toEqual({start: 2, peak, end: desired.at(-1)})
    expect(summary.loop).toMatchObject({ticks: 60, ledTicks: 60, errors: 0, stoppedBy: 'until', releasedLease: true})
    // Every change decided on a tick carries its top reason and what happened to it.
    const decided = ticks.flatMap((t) => t.decisions)
    expect(decided.length).toBe(summary.loop.decisions)
    expect(decided.every((d) => d.reason !== null && d.outcome !== undefined)).toBe(true)
  })

  test('prints a line per tick with what the fleet does and what was decided, then the summary', async () => {
    const {stdout, exitCode} = await cli([...BURST, '--speed', '0', '--for', '12m'])
    expect(exitCode).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toMatch(/^\+0s\s+lease acquired: /)
    expect(lines.filter((l) => /^\+\S+\s+nodes \d+\/\d+ {2}replicas \d+\/\d+/.test(l))).toHaveLength(24)
    expect(stdout).toMatch(/scale-replicas default\/llama-8b 2→\d applied — ScaleUpSignal/)
    expect(stdout).toContain('apply --watch --sim: scenario burst, policy test/fixtures/watch/burst-queue.yaml')
    expect(stdout).toMatch(/replicas 2 → peak \d → \d; nodes 2 → peak \d → \d/)
    expect(stdout).toContain('flaps 0')
  })

  test('--listen serves /metrics while it runs and prints the chosen port on stderr', async () => {
    const {stdout, stderr, exitCode} = await cli([...BURST, '--speed', '0', '--for', '2m', '--listen', '127.0.0.1:0'])
    expect(exitCode).toBe(0)
    expect(stderr).toMatch(/^serving \/metrics and \/healthz on http:\/\/127\.0\.0\.1:\d+\n$/)
    expect(stdout).toMatch(/served \/metrics and \/healthz on http:\/\/127\.0\.0\.1:\d+/)
  })

  test.each([
    {args: ['apply', '--sim'], error: 'error: apply --sim runs only with --watch', why: 'the twin is for the loop'},
    {args: ['apply', '--watch', '--speed', '60'], error: 'error: --speed needs --sim', why: 'live runs in real time'},
    {
      args: ['apply', '--watch', '--sim', '--speed', '-3'],
      error: 'error: --speed -3 is not a number ≥ 0',
      why: 'speed',
    },
    {
      args: ['apply', '--watch', '--sim', '--for', 'soon'],
      error: 'error: --for soon is not a positive duration',
      why: 'for',
    },
    {
      args: ['apply', '--watch', '--sim', '--interval', '0s'],
      error: 'error: --interval 0s is not a positive duration',
      why: 'a zero interval would spin',
    },
    {
      args: ['apply', '--watch', '--sim', '--listen', '9090'],
      error: 'error: --listen 9090 is not HOST:PORT',
      why: 'listen',
    },
    {
      args: ['apply', '--watch', '--sim', '--scenario', 'nope'],
      error: 'error: no scenario named "nope"',
      why: 'an unknown scenario names the shipped ones in the hint',
    },
  ])('$args → exit 1 with one line ($why)', async ({args, error}) => {
    const {stdout, stderr, exitCode} = await cli(args)
    expect(exitCode).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.split('\n')[0]).toBe(error)
    expect(stderr).not.toMatch(/\n\s+at /) // no stack trace
  })
})
