/**
 * Node scale-down that knows the forecast (issue 9): a node the demand forecast needs within a cold start plus a
 * loop interval is not unneeded (`ForecastNeedsNode`), in predictive node mode only; and the forecast is read once
 * per model per plan, whichever passes ask.
 */
import {describe, expect, test, vi} from 'vitest'

import type {Change, Plan} from '../../../../src/core/model/plan.js'
import {planCluster} from '../../../../src/core/planner/plan-cluster.js'
import {ForecastBook, forecastDemand} from '../../../../src/core/policy/nodes/forecast.js'
import {indexTelemetry} from '../../../../src/core/signals/telemetry-index.js'
import {scenario, type ScenarioBuilder} from '../../../../src/core/sim/scenario.js'

const queue = {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'}
/**
 * One-GPU A100 nodes with a long cold start: 600 s + 60 s + 16 GiB at 1 GiB/s = 676 s, so the scale-down horizon
 * is 706 s with the 30 s loop interval.
 */
const slow = (raw: Record<string, unknown> = {}, provisioning = '600s') => ({
  gpu: {model: 'A100-80GB', count: 1},
  max: 4,
  coldStart: {provisioning, driverInit: '60s'},
  ...raw,
})
const model = {gpu: {count: 1}, replicas: {min: 1, max: 8}, weights: {sizeGiB: 16, loadGiBps: 1}, signals: [queue]}

/**
 * Two replicas on 4 nodes (2 empty, unneeded for the whole window), each pod's queue at the target (4) now, so the
 * pod layer leaves them alone. `slopePerMinute` is how fast it rose over the 30-minute trend window (at most
 * 0.13/min, or the queue would start below zero): 0.1/min projects 5.2 per pod at +706 s, 10.4 in all, 3
 * replicas: one more than now, which one free GPU hosts (no warming: the capacity is there). A longer cold start
 * projects further.
 */
const fleet = (
  slopePerMinute: number,
  build: (b: ScenarioBuilder) => ScenarioBuilder = (b) => b,
  provisioning = '600s',
) =>
  build(scenario())
    .nodeGroup('a', slow({}, provisioning), {nodes: 4})
    .model('chat', model, {replicas: 2, load: {queue: (m: number) => 4 - m * slopePerMinute}})

const find = (plan: Plan, id: string): Change | undefined => plan.changes.find((c) => c.id === id)
const codes = (change: Change | undefined) => change?.reasons.map((r) => r.code) ?? []
const keptCodes = (plan: Plan, node: string) =>
  plan.skipped.find((s) => s.target.name === node)?.reasons.map((r) => r.code) ?? []
const keptReason = (plan: Plan, node: string) => plan.skipped.find((s) => s.target.name === node)?.reasons[0]

describe('node scale-down reads the forecast (ForecastNeedsNode)', () => {
  test.each([
    {
      name: 'rising queue, forecast 3 replicas at +706 s with 2 running: one empty node goes (NodeUnneeded), the other is what the forecast needs (ForecastNeedsNode)',
      build: () => fleet(0.1).build(),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:a-03'))).toEqual(['NodeUnneeded'])
        expect(find(plan, 'node:a-04')).toBeUndefined()
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
        // The evidence is the forecast's: the horizon (cold start + loop interval), the replicas, the signal.
        expect(keptReason(plan, 'a-04')?.evidence).toMatchObject({
          model: 'chat',
          forecastReplicas: 3,
          replicas: 2,
          horizonSeconds: 706,
          reservedReplicas: 1,
          fitWithoutNode: 0,
          signal: 'queue',
          method: 'trend',
        })
        // No warming: the free GPU already covers the forecast, so nothing would ask for the node again.
        expect(find(plan, 'node:a')).toBeUndefined()
      },
    },
    {
      name: 'hysteresis: a rising forecast just over a replica line (11.1 at +706 s: 3 replicas, 4 with the 10% scale-up tolerance) keeps both empty nodes, so warming does not add one back next tick (ForecastNeedsNode)',
      build: () => fleet(0.13).build(),
      check: (plan: Plan) => {
        expect(keptCodes(plan, 'a-03')).toEqual(['ForecastNeedsNode'])
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
        expect(keptReason(plan, 'a-04')?.evidence).toMatchObject({forecastReplicas: 3, neededReplicas: 4})
      },
    },
    {
      name: 'a flat queue forecasts no growth: both empty nodes go in one plan (NodeUnneeded, bulk)',
      build: () => fleet(0).build(),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:a-03'))).toEqual(['NodeUnneeded'])
        expect(codes(find(plan, 'node:a-04'))).toEqual(['NodeUnneeded'])
      },
    },
    {
      name: 'nodes.mode reactive (Cluster Autoscaler semantics): the same rising forecast keeps nothing, both empty nodes go',
      build: () => fleet(0.1, (b) => b.settings({nodes: {mode: 'reactive'}})).build(),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:a-03'))).toEqual(['NodeUnneeded'])
        expect(codes(find(plan, 'node:a-04'))).toEqual(['NodeUnneeded'])
      },
    },
    {
      name: 'a longer horizon (1,200 s provisioning: +1,306 s, 4 replicas) needs both free GPUs: both empty nodes are kept (ForecastNeedsNode)',
      build: () => fleet(0.13, undefined, '1200s').build(),
      check: (plan: Plan) => {
        expect(keptCodes(plan, 'a-03')).toEqual(['ForecastNeedsNode'])
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
      },
    },
    {
      name: 'warmHeadroomGpus 1 on a flat forecast: the headroom warming would add back is kept (ForecastNeedsNode), the other empty node goes',
      build: () => fleet(0, (b) => b.settings({warmHeadroomGpus: 1})).build(),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:a-03'))).toEqual(['NodeUnneeded'])
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
        expect(keptReason(plan, 'a-04')?.evidence).toMatchObject({headroomReplicas: 1, forecastReplicas: 2})
        expect(find(plan, 'node:a')).toBeUndefined()
      },
    },
    {
      name: 'an empty node of a group the model cannot use (taint not tolerated) goes even while the forecast keeps the usable one',
      build: () =>
        fleet(0.1, (b) =>
          b.nodeGroup(
            'other',
            slow({labels: {pool: 'other'}, taints: [{key: 'x', value: 'y', effect: 'NoSchedule'}]}),
            {
              nodes: 1,
            },
          ),
        ).build(),
      check: (plan: Plan) => {
        expect(codes(find(plan, 'node:other-01'))).toEqual(['NodeUnneeded', 'ScaleToZero'])
        expect(codes(find(plan, 'node:a-03'))).toEqual(['NodeUnneeded'])
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
      },
    },
    {
      name: 'a forecast beyond what the group could ever host keeps only the free GPUs it could use, not more (capped reserve)',
      build: () => fleet(0.13, undefined, '3000s').build(),
      check: (plan: Plan) => {
        expect(keptCodes(plan, 'a-03')).toEqual(['ForecastNeedsNode'])
        expect(keptCodes(plan, 'a-04')).toEqual(['ForecastNeedsNode'])
        // The forecast wants 4 more (6 at +3,106 s); two free GPUs is all the group has (max 4) and warming cannot
        // add any: the reserve is capped at 2.
        expect(keptReason(plan, 'a-04')?.evidence).toMatchObject({forecastReplicas: 6, reservedReplicas: 2})
      },
    },
    {
      name: 'two rising models, one more replica each, two free GPUs: both nodes are kept, one per model (the reserve is counted jointly, so two models never count the same free GPU)',
      build: () =>
        scenario()
          .nodeGroup('a', slow({max: 6}), {nodes: 6})
          .model('chat', {...model, critical: true}, {replicas: 2, load: {queue: (m: number) => 4 - m * 0.1}})
          .model('batch', model, {replicas: 2, load: {queue: (m: number) => 4 - m * 0.1}})
          .build(),
      check: (plan: Plan) => {
        expect(keptCodes(plan, 'a-05')).toEqual(['ForecastNeedsNode'])
        expect(keptCodes(plan, 'a-06')).toEqual(['ForecastNeedsNode'])
        expect(new Set(['a-05', 'a-06'].map((n) => keptReason(plan, n)?.evidence.model))).toEqual(
          new Set(['chat', 'batch']),
        )
      },
    },
    {
      name: 'the unneeded timer still rules first: an empty node of a group that scaled up 5 min ago stays for that reason (ScaleDownDelayAfterAdd), not the forecast',
      build: () =>
        scenario()
          .nodeGroup('a', slow(), {nodes: 4, lastScaleUpMinutesAgo: 5})
          .model('chat', model, {replicas: 2, load: {queue: (m: number) => 4 - m * 0.1}})
          .build(),
      check: (plan: Plan) => expect(keptCodes(plan, 'a-04')).toEqual(['ScaleDownDelayAfterAdd']),
    },
  ])('$name', ({build, check}) => {
    check(planCluster(build()))
  })
})

describe('the forecast is read once per model per plan (ForecastBook)', () => {
  test('planCluster: warming and scale-down ask one book, at their own leads (676 s, 706 s), and it reads the model once', () => {
    const spy = vi.spyOn(ForecastBook.prototype, 'forecast')
    try {
      planCluster(fleet(0.1).build())
      const books = new Set(spy.mock.contexts as ForecastBook[])
      expect(books.size).toBe(1)
      expect(spy.mock.calls.map((c) => c[2]).sort()).toEqual([676, 706])
      expect([...books][0]?.reads).toBe(1)
    } finally {
      spy.mockRestore()
    }
  })

  test('warming (lead 676 s) and scale-down (706 s) share one reading; each lead projects as forecastDemand does', () => {
    const {config, snapshot} = fleet(0.1).build()
    const chat = config.models[0]
    if (!chat) throw new Error('no model')
    const telemetry = indexTelemetry(snapshot.telemetry)
    const book = new ForecastBook(telemetry, snapshot.capturedAt)
    const warming = book.forecast(chat, snapshot.pods, 676)
    const scaleDown = book.forecast(chat, snapshot.pods, 706)
    expect(book.forecast(chat, snapshot.pods, 706)).toBe(scaleDown)
    expect(book.reads).toBe(1)
    expect(warming).toEqual(forecastDemand(chat, snapshot.pods, telemetry, snapshot.capturedAt, 676))
    expect(scaleDown).toEqual(forecastDemand(chat, snapshot.pods, telemetry, snapshot.capturedAt, 706))
  })
})
