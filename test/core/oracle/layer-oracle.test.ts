/**
 * The oracle (reference §3): hand-checked cases, then properties under a fixed fast-check seed: it meets demand
 * in every bucket, and no feasible schedule we can generate costs fewer GPU-hours.
 */
import fc from 'fast-check'
import {describe, expect, test} from 'vitest'

import {
  computeFleetOracle,
  computeOracle,
  type OracleInput,
  type ReplicaInterval,
} from '../../../src/core/oracle/index.js'
import {bucketRequests} from '../../../src/core/traces/index.js'

const SEED = 20261129
const B = 60

describe('hand-checked cases (60 s buckets, capacity 1 per replica, so demand = replicas)', () => {
  test.each<{
    name: string
    demand: number[]
    c: number
    total: number
    starts: number
    idle?: number
    extra?: Partial<OracleInput>
    reason: string
  }>([
    {name: 'no demand', demand: [0, 0, 0], c: 180, total: 0, starts: 0, reason: 'nothing to serve, nothing started'},
    {
      name: 'one minute of one replica',
      demand: [1],
      c: 180,
      total: 240,
      starts: 1,
      reason: '60 s serving + the 180 s cold start before it',
    },
    {
      name: 'a 120 s gap is kept warm',
      demand: [1, 0, 0, 1],
      c: 180,
      total: 420,
      starts: 1,
      idle: 120,
      reason: 'gap 120 ≤ cold start 180: idle 120 costs less than a restart (180)',
    },
    {
      name: 'a 240 s gap is a stop and a restart',
      demand: [1, 0, 0, 0, 0, 1],
      c: 180,
      total: 480,
      starts: 2,
      idle: 0,
      reason: 'gap 240 > 180: a second cold start (180) beats 240 idle',
    },
    {
      name: 'a gap equal to the cold start is kept warm',
      demand: [1, 0, 0, 0, 1],
      c: 180,
      total: 480,
      starts: 1,
      idle: 180,
      reason: 'equal cost either way; the tie goes to fewer cold starts',
    },
    {
      name: 'layers are scheduled separately',
      demand: [2, 1, 2],
      c: 180,
      total: 720,
      starts: 2,
      idle: 60,
      reason: 'layer 1: 180 serving + 180 start; layer 2: 120 serving + 60 warm gap + 180 start',
    },
    {
      name: 'a fraction of a replica is a replica',
      demand: [2.5],
      c: 0,
      total: 180,
      starts: 3,
      reason: 'ceil(2.5) = 3 replicas for 60 s',
    },
    {
      name: 'float noise does not add a replica',
      demand: [0.9],
      c: 0,
      total: 180,
      starts: 3,
      extra: {capacityPerReplica: 0.3},
      reason: '0.9 / 0.3 = 3.0000000000000004 is 3 replicas',
    },
    {
      name: 'no cold start: stop in every gap',
      demand: [1, 0, 1],
      c: 0,
      total: 120,
      starts: 2,
      reason: 'with c = 0 any idle time is waste',
    },
    {
      name: 'a warm replica at the start pays no cold start',
      demand: [1, 1],
      c: 180,
      total: 120,
      starts: 0,
      extra: {initialReplicas: 1},
      reason: 'initialReplicas are already serving',
    },
    {
      name: 'a warm replica waits through a short first gap',
      demand: [0, 1],
      c: 180,
      total: 120,
      starts: 0,
      idle: 60,
      extra: {initialReplicas: 1},
      reason: 'idle 60 < restart 180',
    },
    {
      name: 'a warm replica stops before a long first gap',
      demand: [0, 0, 0, 0, 1],
      c: 180,
      total: 240,
      starts: 1,
      idle: 0,
      extra: {initialReplicas: 1},
      reason: 'idle 240 > restart 180',
    },
    {
      name: 'unneeded warm replicas stop at once',
      demand: [1],
      c: 180,
      total: 60,
      starts: 0,
      extra: {initialReplicas: 4},
      reason: 'only layer 1 is ever needed',
    },
    {
      name: 'GPU-seconds count every GPU of a replica',
      demand: [1],
      c: 180,
      total: 480,
      starts: 1,
      extra: {gpusPerReplica: 2},
      reason: '2 GPUs × 240 s',
    },
  ])('$name: $total GPU-s, $starts cold starts ($reason)', ({demand, c, total, starts, idle, extra}) => {
    const result = computeOracle({demand, bucketSeconds: B, capacityPerReplica: 1, coldStartSeconds: c, ...extra})
    expect(result.gpuSeconds.total).toBeCloseTo(total, 9)
    expect(result.gpuHours).toBeCloseTo(total / 3600, 12)
    expect(result.coldStarts).toBe(starts)
    if (idle !== undefined) expect(result.gpuSeconds.idleWarm).toBeCloseTo(idle * (extra?.gpusPerReplica ?? 1), 9)
    const gpus = extra?.gpusPerReplica ?? 1
    expect(sumLengths(result.intervals) * gpus).toBeCloseTo(total, 9)
    expect(meetsDemand(Array.from(result.required), result.intervals)).toBe(true)
  })

  test('the schedule of [2, 1, 2] with a 180 s cold start, step by step', () => {
    const result = computeOracle({demand: [2, 1, 2], bucketSeconds: B, capacityPerReplica: 1, coldStartSeconds: 180})
    expect(result.intervals).toEqual([
      {start: -180, readyAt: 0, stop: 180},
      {start: -180, readyAt: 0, stop: 180},
    ])
    expect(result.steps).toEqual([
      {t: -180, replicas: 2},
      {t: 180, replicas: 0},
    ])
    expect(result.gpuSeconds).toEqual({total: 720, serving: 300, idleWarm: 60, coldStart: 360})
    expect(Array.from(result.required)).toEqual([2, 1, 2])
  })

  test('the fleet oracle runs each model on its own capacity and adds up', () => {
    const series = bucketRequests(
      [
        {t: 0, model: 'a', inputTokens: 1, outputTokens: 1},
        {t: 1, model: 'b', inputTokens: 1, outputTokens: 1},
      ],
      {bucketSeconds: 60},
    )
    const fleet = computeFleetOracle(series, {
      a: {capacityPerReplica: 1 / 60, coldStartSeconds: 0},
      b: {capacityPerReplica: 1 / 60, coldStartSeconds: 60, gpusPerReplica: 8},
    })
    expect(fleet.models.a!.gpuSeconds.total).toBeCloseTo(60)
    expect(fleet.models.b!.gpuSeconds.total).toBeCloseTo(8 * 120)
    expect(fleet.gpuHours).toBeCloseTo((60 + 960) / 3600)
    expect(() => computeFleetOracle(series, {a: {capacityPerReplica: 1, coldStartSeconds: 0}})).toThrow(
      /no capacity given for model b/,
    )
  })

  test.each([
    {input: {bucketSeconds: 0}, message: /bucketSeconds/},
    {input: {capacityPerReplica: 0}, message: /capacityPerReplica/},
    {input: {coldStartSeconds: -1}, message: /coldStartSeconds/},
  ])('rejects $input', ({input, message}) => {
    expect(() =>
      computeOracle({demand: [1], bucketSeconds: 60, capacityPerReplica: 1, coldStartSeconds: 0, ...input}),
    ).toThrow(message)
  })
})

describe('oracle properties', () => {
  const demandArb = fc.array(fc.integer({min: 0, max: 5}), {minLength: 1, maxLength: 24})
  const coldArb = fc.constantFrom(0, 30, 60, 90, 180, 400)

  test('meets demand in every bucket, and its accounts add up', () => {
    fc.assert(
      fc.property(demandArb, coldArb, fc.integer({min: 0, max: 3}), (demand, c, initial) => {
        const result = computeOracle({
          demand,
          bucketSeconds: B,
          capacityPerReplica: 1,
          coldStartSeconds: c,
          initialReplicas: initial,
        })
        expect(meetsDemand(demand, result.intervals)).toBe(true)
        const {total, serving, idleWarm, coldStart} = result.gpuSeconds
        expect(serving + idleWarm + coldStart).toBeCloseTo(total, 6)
        expect(sumLengths(result.intervals)).toBeCloseTo(total, 6)
        expect(integrateSteps(result.steps)).toBeCloseTo(total, 6)
        expect(
          result.intervals.every((iv) => iv.readyAt - iv.start === c || (iv.start === 0 && iv.readyAt === 0)),
        ).toBe(true)
      }),
      {seed: SEED, numRuns: 300},
    )
  })

  test('no feasible schedule we can generate costs fewer GPU-hours', () => {
    fc.assert(
      fc.property(
        demandArb,
        coldArb,
        fc.array(fc.tuple(fc.nat(40), fc.nat(40)), {maxLength: 8}),
        fc.array(fc.nat(400), {minLength: 24, maxLength: 24}),
        (demand, c, seedIntervals, stretch) => {
          const oracle = computeOracle({demand, bucketSeconds: B, capacityPerReplica: 1, coldStartSeconds: c})
          const schedule = repairToFeasible(demand, c, seedIntervals, stretch)
          expect(meetsDemand(demand, schedule)).toBe(true)
          expect(oracle.gpuSeconds.total).toBeLessThanOrEqual(sumLengths(schedule) + 1e-6)
          // And the two obvious policies: keep the peak warm throughout, or cold-start every run of demand.
          const peak = Math.max(...demand)
          expect(oracle.gpuSeconds.total).toBeLessThanOrEqual(peak * (c + demand.length * B) + 1e-6)
          expect(oracle.gpuSeconds.total).toBeLessThanOrEqual(sumLengths(layerSchedule(demand, c, () => false)) + 1e-6)
        },
      ),
      {seed: SEED, numRuns: 400},
    )
  })
})

/** Ready replicas in bucket i: those ready by its start and running to its end. */
function meetsDemand(required: number[], intervals: ReplicaInterval[]): boolean {
  return required.every(
    (r, i) => intervals.filter((iv) => iv.readyAt <= i * B + 1e-9 && iv.stop >= (i + 1) * B - 1e-9).length >= r,
  )
}

function sumLengths(intervals: ReplicaInterval[]): number {
  return intervals.reduce((s, iv) => s + (iv.stop - iv.start), 0)
}

function integrateSteps(steps: Array<{t: number; replicas: number}>): number {
  let total = 0
  for (let i = 0; i + 1 < steps.length; i++) total += steps[i]!.replicas * (steps[i + 1]!.t - steps[i]!.t)
  return total
}

/**
 * A feasible schedule that is not built the oracle's way: random replica lives on the bucket grid, then, while a
 * bucket is short, one more replica started a cold start before it and kept running a random while past it.
 */
function repairToFeasible(
  demand: number[],
  c: number,
  seeds: Array<[number, number]>,
  stretch: number[],
): ReplicaInterval[] {
  const n = demand.length
  const schedule: ReplicaInterval[] = seeds.map(([a, len]) => {
    const start = ((a % (n + 4)) - 4) * B
    return {start, readyAt: start + c, stop: start + c + (len % (n + 2)) * B}
  })
  let k = 0
  for (let i = 0; i < n; i++) {
    const ready = (): number => schedule.filter((iv) => iv.readyAt <= i * B && iv.stop >= (i + 1) * B).length
    while (ready() < demand[i]!) {
      const stop = (i + 1) * B + (stretch[k++ % stretch.length]! % 4) * B
      schedule.push({start: i * B - c, readyAt: i * B, stop: Math.min(stop, n * B)})
    }
  }
  return schedule
}

/** The layered schedule with a given keep-warm rule (the oracle's rule is gap ≤ c). */
function layerSchedule(demand: number[], c: number, keepWarm: (gap: number) => boolean): ReplicaInterval[] {
  const intervals: ReplicaInterval[] = []
  for (let k = 1; k <= Math.max(0, ...demand); k++) {
    let open: ReplicaInterval | undefined
    for (let i = 0; i <= demand.length; i++) {
      const on = i < demand.length && demand[i]! >= k
      const t = i * B
      if (on && !open) open = {start: t - c, readyAt: t, stop: t + B}
      else if (on && open) {
        if (open.stop < t && !keepWarm(t - open.stop)) {
          intervals.push(open)
          open = {start: t - c, readyAt: t, stop: t + B}
        } else open.stop = t + B
      }
    }
    if (open) intervals.push(open)
  }
  return intervals
}
