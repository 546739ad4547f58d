/**
 * Properties of the gpu-scale recommender, checked with fast-check under a fixed seed (reproducible runs).
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import type {PodState, Series} from '../../../../src/core/model/snapshot.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {gauge, makeInput, makeModel, NOW, NS, pod, pods, signal} from './scenario.js'

const SEED = 20261128
const WAITING = 'vllm:num_requests_waiting'
const UTIL = 'DCGM_FI_DEV_GPU_UTIL'
const queue = signal({name: 'queue', metric: WAITING, target: 10})
const util = signal({name: 'gpu-util', metric: UTIL, source: 'gpu', target: 60})

const historyArb = fc.array(
  fc.record({at: fc.integer({min: NOW - 900, max: NOW - 1}), replicas: fc.integer({min: 1, max: 12})}),
  {maxLength: 6},
)

describe('gpu-scale recommender properties', () => {
  test('more load never yields fewer replicas', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 8}),
        fc.array(fc.double({min: 0, max: 40, noNaN: true}), {minLength: 8, maxLength: 8}),
        fc.double({min: 1, max: 5, noNaN: true}),
        fc.double({min: 0, max: 1, noNaN: true}),
        historyArb,
        (n, loads, factor, dram, history) => {
          const decide = (k: number) => {
            const series: Series[] = []
            for (let i = 0; i < n; i++) {
              const load = (loads[i] as number) * k
              series.push(
                gauge(WAITING, `p${i}`, load),
                gauge(UTIL, `p${i}`, Math.min(100, load * 2.5)),
                gauge('DCGM_FI_PROF_DRAM_ACTIVE', `p${i}`, dram),
              )
            }
            const model = makeModel({signals: [queue, util], replicas: {min: 1, max: 12}})
            return recommendReplicas(
              makeInput({model, pods: pods(n), series, workload: {specReplicas: n, recommendations: history}}),
            ).desired
          }
          expect(decide(factor)).toBeGreaterThanOrEqual(decide(1))
        },
      ),
      {seed: SEED, numRuns: 200},
    )
  })

  test('a signal inside the tolerance band changes nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 10}),
        fc.array(fc.double({min: 0.905, max: 1.095, noNaN: true}), {minLength: 10, maxLength: 10}),
        historyArb,
        (n, ratios, history) => {
          const series = Array.from({length: n}, (_, i) => gauge(WAITING, `p${i}`, 10 * (ratios[i] as number)))
          const model = makeModel({signals: [queue], replicas: {min: 1, max: 12}})
          const decision = recommendReplicas(
            makeInput({model, pods: pods(n), series, workload: {specReplicas: n, recommendations: history}}),
          )
          expect(decision.desired).toBe(n)
          expect(decision.reasons.map((r) => r.code)).toContain('WithinTolerance')
        },
      ),
      {seed: SEED, numRuns: 200},
    )
  })

  test('a periodic batch replayed over 20 cycles does not flap', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 4, max: 18}).map((k) => k * 15),
        fc.integer({min: 1, max: 8}),
        fc.integer({min: 20, max: 120}),
        fc.integer({min: 0, max: 5}),
        (period, burstTicks, peak, base) => {
          const step = 15
          const burst = Math.min(burstTicks * step, period / 2)
          const load = (t: number) => (((t % period) + period) % period < burst ? peak : base)
          const timeline = simulate({load, cycles: 20, period, step})
          // A flap is a scale-down followed by a scale-up: with a period shorter than the 300 s scale-down
          // stabilization window, the highest recommendation of the window always covers the next batch.
          const moves = timeline
            .slice(1)
            .map((r, i) => Math.sign(r - (timeline[i] as number)))
            .filter((s) => s !== 0)
          const downThenUp = moves.some((m, i) => m < 0 && moves.slice(i + 1).some((later) => later > 0))
          expect(downThenUp, `replicas over time: ${timeline.join(',')}`).toBe(false)
        },
      ),
      {seed: SEED, numRuns: 40},
    )
  })
})

/**
 * A minimal closed loop: every `step` seconds the workload's load is spread evenly over its pods, the recommender
 * runs on the last 5 minutes of samples, and its decision is applied at once (pods ready immediately), recording
 * the raw recommendation and the scale event as a controller would.
 */
function simulate(args: {load: (t: number) => number; cycles: number; period: number; step: number}): number[] {
  const start = NOW
  const end = start + args.cycles * args.period
  const model = makeModel({signals: [queue], replicas: {min: 1, max: 20}})
  let replicas = 1
  const podHistory: Array<{t: number; replicas: number}> = []
  const recommendations: Array<{at: number; replicas: number}> = []
  const scaleEvents: Array<{at: number; from: number; to: number}> = []
  const timeline: number[] = []
  for (let now = start - 300; now <= end; now += args.step) {
    podHistory.push({t: now, replicas})
    if (now < start) continue
    const series: Series[] = []
    const podList: PodState[] = []
    for (let i = 0; i < replicas; i++) {
      podList.push(pod(`p${i}`, {createdAt: start - 3600, startedAt: start - 3600}))
      const samples: Array<[number, number]> = podHistory
        .filter((h) => h.t > now - 300 && h.t <= now && h.replicas > i)
        .map((h) => [h.t, args.load(h.t) / h.replicas])
      series.push({metric: WAITING, labels: {namespace: NS, pod: `p${i}`}, samples})
    }
    const input = makeInput({
      model,
      pods: podList,
      series,
      now,
      workload: {
        specReplicas: replicas,
        recommendations: recommendations.filter((r) => r.at > now - 600),
        scaleEvents: scaleEvents.filter((e) => e.at > now - 600),
      },
    })
    const decision = recommendReplicas(input)
    if (decision.recommendation) recommendations.push(decision.recommendation)
    if (decision.desired !== replicas) scaleEvents.push({at: now, from: replicas, to: decision.desired})
    replicas = decision.desired
    timeline.push(replicas)
  }
  return timeline
}
