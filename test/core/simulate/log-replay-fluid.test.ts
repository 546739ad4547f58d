/**
 * The simulate report's log replay (src/core/simulate/log-replay.ts) reads fluid cohorts (`requests.fluid`, the
 * twin's `requests: 'fluid'`) as it reads requests: counted with their size at the time they arrived, within SLO
 * over the token mix's points, and the backlog left at the window's end as requests that missed. Checked against
 * the twin's own summary, which reads the same cohorts independently.
 */
import {describe, expect, test} from 'vitest'

import {fleetShapeOf, replayLog} from '../../../src/core/simulate/log-replay.js'
import {fluidCapacity, fluidTokens} from '../../../src/core/twin/fluid.js'
import {resolveServingProfile} from '../../../src/core/twin/latency-model.js'
import {AZURE_CONV_TOKENS} from '../../../src/core/twin/load.js'
import {summarizeLog} from '../../../src/core/twin/summary.js'
import {Twin} from '../../../src/core/twin/twin.js'
import {policy, START} from '../twin/helpers.js'

const MU = fluidCapacity(resolveServingProfile({}, 'H100-80GB'), fluidTokens(AZURE_CONV_TOKENS))
const SLO = {ttftSeconds: 1, tpotSeconds: 0.1}

function fluidRun(rho: number) {
  const config = policy(
    [{name: 'pool', gpu: {model: 'H100-80GB', count: 1}, max: 4, coldStart: {provisioning: '120s'}}],
    [{name: 'llama', gpu: {count: 1}}],
  )
  const twin = new Twin({
    config,
    start: START,
    seed: 3,
    initialNodes: {pool: 2},
    requests: 'fluid',
    models: [
      {name: 'llama', replicas: 2, load: {arrivals: {kind: 'poisson', rate: rho * MU * 2}, ...AZURE_CONV_TOKENS}},
    ],
  })
  twin.runUntil(START + 1200)
  const window = {start: START + 300, end: START + 1200}
  return {
    replay: replayLog(twin.logEntries(), {...window, stepSeconds: 60, shape: fleetShapeOf(config), slo: SLO}),
    summary: summarizeLog(twin.logEntries(), {...window, slo: SLO}),
    rate: rho * MU * 2,
  }
}

describe('fluid cohorts in the log replay', () => {
  test.each([
    {why: 'light load: nearly every request within SLO', rho: 0.3, attainment: [0.99, 1], served: true},
    {why: 'heavy but served: the step grows, TTFT still within 1 s', rho: 0.8, attainment: [0.9, 1], served: true},
    {
      why: 'overload (1.5× what the fleet serves): the backlog left at the end counts, as missed',
      rho: 1.5,
      attainment: [0, 0.7],
      served: false,
    },
  ])('$why', ({rho, attainment, served}) => {
    const {replay, summary, rate} = fluidRun(rho)
    const [low, high] = attainment as [number, number]
    expect(replay.requests.attainment).toBeGreaterThanOrEqual(low)
    expect(replay.requests.attainment).toBeLessThanOrEqual(high)
    // Every request that arrived in the window counts, served or still waiting at its end.
    expect(Math.abs(replay.requests.total - rate * 900) / (rate * 900)).toBeLessThan(0.02)
    // When the fleet keeps up, the summary (which charges a cohort to when it was served, where the replay charges
    // it to when it arrived) agrees; in overload it also counts the backlog the window opened with, so it does not.
    if (served) {
      expect(Math.abs(replay.requests.attainment - summary.requests.sloAttainment)).toBeLessThan(0.02)
      expect(Math.abs(replay.requests.total - summary.requests.total) / summary.requests.total).toBeLessThan(0.02)
    }
    // The load chart shows the arrival rate (the fluid arrivals are the rate's integral, exactly).
    const load = replay.series.load.llama as number[]
    expect(Math.abs((load[5] as number) - rate) / rate).toBeLessThan(0.001)
    // TPOT percentiles are the cohorts' step times, weighted by their size.
    expect(replay.requests.tpot.p50).toBeGreaterThan(0)
  })
})
