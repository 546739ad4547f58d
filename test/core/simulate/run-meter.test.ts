/**
 * Measuring a run as it goes (src/core/simulate/run-meter.ts): a twin whose finished requests go to a RunMeter
 * keeps none of them, and the row the meter gives is the row measureRun reads from a twin that kept its whole log;
 * the summary fed live is the end-of-run summarizeLog. Past the exact limit per model, the row says its
 * percentiles are approximate, and they are within 1% of the exact ones while every count stays the same.
 */
import {readFileSync} from 'node:fs'
import {beforeAll, describe, expect, test} from 'vitest'

import {
  fleetShapeOf,
  measureRun,
  RunMeter,
  type PolicyResult,
  type RunMeasureOptions,
} from '../../../src/core/simulate/index.js'
import type {RequestSink} from '../../../src/core/twin/events.js'
import {APPROX_PERCENTILES, SKETCH_RELATIVE_ACCURACY} from '../../../src/core/twin/quantile-sketch.js'
import {parseScenario, type TwinScenario} from '../../../src/core/twin/scenario.js'
import {LogSummarizer, summarizeLog} from '../../../src/core/twin/summary.js'
import {Twin} from '../../../src/core/twin/twin.js'

/** Requests arriving in a window's last moments still finish: the run goes this far past it (as simulate --trace). */
const DRAIN = 120

function scenarioFile(name: string): TwinScenario {
  const {scenario, problems} = parseScenario(
    readFileSync(new URL(`../../../examples/scenarios/${name}.yaml`, import.meta.url), 'utf8'),
    name,
  )
  if (!scenario) throw new Error(problems.map((p) => p.message).join('; '))
  return scenario
}

/** The window starts 5 minutes into the run, so requests and nodes from before it must be left out. */
function measureOptions(scenario: TwinScenario, minutes: number, extra: Partial<RunMeasureOptions> = {}) {
  const start = scenario.options.start + 300
  return {
    start,
    end: start + minutes * 60,
    stepSeconds: 60,
    shape: fleetShapeOf(scenario.options.config),
    slo: {ttftSeconds: 2, tpotSeconds: 0.1, ...scenario.slo},
    ...(scenario.sloByModel ? {sloByModel: scenario.sloByModel} : {}),
    ...extra,
  }
}

/** An operator's action during a run, at seconds from its start. */
type Act = {at: number; act: (twin: Twin) => void}

function run(twin: Twin, start: number, end: number, act?: Act): Twin {
  if (act) {
    twin.runUntil(start + act.at)
    act.act(twin)
  }
  twin.runUntil(end + DRAIN)
  return twin
}

function keptRun(scenario: TwinScenario, end: number, act?: Act): Twin {
  return run(new Twin(scenario.options), scenario.options.start, end, act)
}

function meteredRun(scenario: TwinScenario, options: RunMeasureOptions, act?: Act): {twin: Twin; row: PolicyResult} {
  const meter = new RunMeter(
    scenario.options.models.map((m) => m.name),
    options,
  )
  const twin = run(new Twin({...scenario.options, requestSink: meter}), scenario.options.start, options.end, act)
  return {twin, row: meter.finish('policy', 'user', () => twin.logEntries())}
}

const abortedOf = (twin: Twin) => twin.events.reduce((sum, e) => sum + (e.type === 'pod.deleted' ? e.aborted : 0), 0)

describe('a run measured as it goes gives the row of its whole log', () => {
  test.each<{name: string; minutes: number; act?: Act; aborts?: boolean; why: string}>([
    {name: 'burst', minutes: 30, why: 'bursts queue requests: TTFT and TPOT tails, per-step p95s, burst recovery'},
    {
      name: 'burst',
      minutes: 30,
      act: {at: 12 * 60, act: (t) => t.scaleWorkload('llama-8b', 0)},
      aborts: true,
      why: "scaled to zero in a burst, pods die with requests in flight: a pod's aborted count is the sink's count",
    },
    {
      name: 'spot-storm',
      minutes: 45,
      why: 'spot interruptions: nodes drain and are reclaimed, replacements cold-start',
    },
    {name: 'llm-fleet-mixed', minutes: 20, why: "several models: the fleet's percentiles are read over its models'"},
  ])('$name: same row, same infra events, no request kept ($why)', ({name, minutes, act, aborts}) => {
    const scenario = scenarioFile(name)
    const options = measureOptions(scenario, minutes)
    const kept = keptRun(scenario, options.end, act)
    const {twin, row} = meteredRun(scenario, options, act)
    if (aborts) {
      const failed = [...kept.logEntries()].filter((e) => e.type === 'request' && !e.ok).length
      expect(abortedOf(kept)).toBeGreaterThan(0)
      expect(abortedOf(kept)).toBe(failed)
    }

    expect(twin.requests.length).toBe(0)
    expect([...twin.logEntries()].filter((e) => e.type === 'request')).toHaveLength(0)
    expect(kept.requests.length).toBeGreaterThan(100)
    // The same run: a sink changes where requests go, not what happens.
    expect(twin.events).toEqual(kept.events)
    expect(row).toEqual(measureRun('policy', 'user', () => kept.logEntries(), options))
    expect(row.percentiles).toBeUndefined()
    expect(row.metrics.latencySeconds.p99).not.toBeNull()
  })

  test('the summary fed each request as it finishes is the end-of-run summarizeLog, SLO on TPOT included', () => {
    const scenario = scenarioFile('burst')
    const start = scenario.options.start + 300
    const end = start + 30 * 60
    const slo = {ttftSeconds: 1, e2eSeconds: 20, tpotSeconds: 0.05}
    const live = new LogSummarizer({start, end, slo})
    const names = scenario.options.models.map((m) => m.name)
    const sink: RequestSink = {
      add: (done, model, arrival, firstTokenAt, _input, output, ok) =>
        live.addRequest(
          done,
          names[model] as string,
          ok,
          Number.isNaN(firstTokenAt) ? null : firstTokenAt - arrival,
          done - arrival,
          output,
        ),
    }
    const twin = new Twin({...scenario.options, requestSink: sink})
    twin.runUntil(end + DRAIN)
    for (const e of twin.logEntries()) live.add(e)
    const kept = keptRun(scenario, end)
    const expected = summarizeLog(kept.logEntries(), {start, end, slo})
    expect(expected.requests.total).toBeGreaterThan(100)
    expect(expected.requests.withinSlo).toBeLessThan(expected.requests.total)
    expect(live.finish()).toEqual(expected)
  })
})

describe('past the exact limit per model, percentiles come from a sketch and say so', () => {
  const scenario = scenarioFile('burst')
  const base = measureOptions(scenario, 30)
  let kept: Twin
  let exact: PolicyResult
  /** The most requests one model has in the window: the limit at which the run is still exact. */
  let most = 0
  beforeAll(() => {
    kept = keptRun(scenario, base.end)
    exact = measureRun('policy', 'user', () => kept.logEntries(), base)
    const perModel = new Map<string, number>()
    for (const e of kept.logEntries())
      if (e.type === 'request' && e.arrival >= base.start && e.arrival < base.end)
        perModel.set(e.model, (perModel.get(e.model) ?? 0) + 1)
    most = Math.max(...perModel.values())
  })

  test.each([
    {
      label: 'the most requests of a model',
      limit: (n: number) => n,
      approx: false,
      why: 'at the limit the run is still exact: the row is the default one',
    },
    {
      label: 'one less',
      limit: (n: number) => n - 1,
      approx: true,
      why: 'one request past it, the whole run turns to sketches',
    },
    {label: '0', limit: () => 0, approx: true, why: 'a limit of 0 sketches from the first request'},
  ])('limit $label: approximate $approx ($why)', ({limit, approx}) => {
    const options = {...base, exactPercentileRequests: limit(most)}
    const {row} = meteredRun(scenario, options)
    // Both ways still agree with each other, sketch or not.
    expect(row).toEqual(measureRun('policy', 'user', () => kept.logEntries(), options))
    if (!approx) {
      expect(row).toEqual(exact)
      return
    }
    expect(row.percentiles).toBe(APPROX_PERCENTILES)
    const {latencySeconds, ttftSeconds, tpotSeconds, ...counts} = row.metrics
    const {latencySeconds: el, ttftSeconds: et, tpotSeconds: ep, ...exactCounts} = exact.metrics
    // Only accuracy changes: every count, GPU-hour, cost and series but the latency ones is the same.
    expect(counts).toEqual(exactCounts)
    expect(row.series?.load).toEqual(exact.series?.load)
    expect(row.series?.latency.attainment).toEqual(exact.series?.latency.attainment)
    const within = (a: number | null, b: number | null) => {
      expect(a === null).toBe(b === null)
      if (a !== null && b !== null) expect(Math.abs(a - b)).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * b + 1e-9)
    }
    for (const [got, want] of [
      [latencySeconds, el],
      [ttftSeconds, et],
      [tpotSeconds, ep],
    ] as const)
      for (const q of ['p50', 'p95', 'p99'] as const) within(got[q], want[q])
    const steps = exact.series?.latency.p95TtftSeconds ?? []
    expect(steps.some((v) => v !== null)).toBe(true)
    steps.forEach((want, i) => within(row.series?.latency.p95TtftSeconds[i] ?? null, want))
    ;(exact.series?.latency.p95TpotSeconds ?? []).forEach((want, i) =>
      within(row.series?.latency.p95TpotSeconds[i] ?? null, want),
    )
  })
})
