/**
 * Invariants of the closed loop over many seeded scenario runs: whatever the load, spot interruptions and seed,
 * the controller never breaks these. `npm run test:invariants` (LOOP_INVARIANT_RUNS=1000)
 * runs the 1,000; the default fits the suite's time (a few seconds).
 */
import {describe, expect, test} from 'vitest'

import {ClosedLoop, type TickRecord} from '../../../src/core/loop/index.js'
import {createPrng} from '../../../src/core/mig/prng.js'
import type {LogEntry} from '../../../src/core/twin/index.js'
import {eventsOf, queueFleet, START} from './helpers.js'

const RUNS = Number(process.env.LOOP_INVARIANT_RUNS ?? 8)
const RUN_SECONDS = 40 * 60
/** The fleet's node cold start until GPUs are allocatable (120 s provisioning + 60 s driver init). */
const NODE_READY_SECONDS = 180
const MAX_NODES = 4
const BUDGET_GPUS = 3

const POD_EVENTS: ReadonlySet<string> = new Set(['pod.created', 'pod.scheduled', 'pod.terminating', 'pod.deleted'])

interface Run {
  seed: number
  log: LogEntry[]
  ticks: Array<{at: number; targetSize: number; blocked: boolean}>
  interval: number
}

async function seededRun(seed: number): Promise<Run> {
  const prng = createPrng(seed)
  const burstRate = 10 + prng.int(60)
  const options = {
    ...queueFleet({
      seed,
      max: MAX_NODES,
      initialNodes: 1 + prng.int(2),
      spot: prng.next() < 0.5,
      arrivals: {
        kind: 'bursty',
        rate: 0.5 + prng.next() * 2,
        burstRate,
        everySeconds: 600 + prng.int(900),
        burstSeconds: 120 + prng.int(300),
        firstAtSeconds: prng.int(600),
      },
      settings: {budget: {maxGpus: BUDGET_GPUS}},
    }),
    spot: {ratePerNodeHour: prng.next() < 0.5 ? 0.5 : 0},
  }
  const loop = new ClosedLoop({twin: options, config: options.config})
  const ticks: Run['ticks'] = []
  await loop.runUntil(START + RUN_SECONDS, (tick: TickRecord) => {
    ticks.push({
      at: tick.at,
      targetSize: loop.twin.groupTargetSize('pool') ?? 0,
      blocked:
        tick.blocked > 0 || tick.plan.changes.some((c) => c.reasons.some((r) => r.code === 'NoCapacityForReplicas')),
    })
  })
  // Only the pod events the checks read: 1,000 runs' request entries do not fit in a test worker's heap.
  const log = [...loop.twin.events].filter((e) => POD_EVENTS.has(e.type)) as LogEntry[]
  return {seed, log, ticks, interval: loop.interval}
}

describe(`closed-loop invariants over ${RUNS} seeded runs`, async () => {
  const runs: Run[] = []
  for (let i = 0; i < RUNS; i++) runs.push(await seededRun(1000 + i))

  test.each([
    {
      why: 'no group is ever over its max (the provider would refuse; the planner must never ask)',
      check: (run: Run) => {
        expect(Math.max(...run.ticks.map((t) => t.targetSize))).toBeLessThanOrEqual(MAX_NODES)
      },
    },
    {
      why: 'no group is ever over the GPU budget (1 GPU per node here)',
      check: (run: Run) => {
        expect(Math.max(...run.ticks.map((t) => t.targetSize))).toBeLessThanOrEqual(BUDGET_GPUS)
      },
    },
    {
      why: 'no scale-down or node removal cuts in-flight requests: such pods drain within their grace period',
      check: (run: Run) => {
        const voluntary = new Set(
          eventsOf(run.log, 'pod.terminating')
            .filter((e) => e.reason === 'scale-down' || e.reason === 'node-removal')
            .map((e) => e.pod),
        )
        const cut = eventsOf(run.log, 'pod.deleted').filter((e) => voluntary.has(e.pod) && e.aborted > 0)
        expect(cut).toEqual([])
      },
    },
    {
      why: 'no pod waits longer than a node cold start plus one loop interval while capacity was allowed (no blocked change, under max and budget)',
      check: (run: Run) => {
        const bound = NODE_READY_SECONDS + run.interval
        const scheduled = new Map(eventsOf(run.log, 'pod.scheduled').map((e) => [e.pod, e.t]))
        const deleted = new Map(eventsOf(run.log, 'pod.deleted').map((e) => [e.pod, e.t]))
        const end = START + RUN_SECONDS
        const late = eventsOf(run.log, 'pod.created').filter((created) => {
          const until = scheduled.get(created.pod) ?? deleted.get(created.pod) ?? end
          if (until - created.t <= bound) return false
          // Capacity was not allowed at some tick of the wait: the plan blocked a change or the group was full.
          const constrained = run.ticks.some(
            (t) =>
              t.at >= created.t && t.at <= until && (t.blocked || t.targetSize >= Math.min(MAX_NODES, BUDGET_GPUS)),
          )
          return !constrained
        })
        expect(late.map((p) => p.pod)).toEqual([])
      },
    },
  ])('$why', ({check}) => {
    for (const run of runs) check(run)
  })
})
