import {describe, expect, test} from 'vitest'

import {parseJsonLines, type LogEntry} from '../../../src/core/twin/events.js'
import {summarizeLog} from '../../../src/core/twin/summary.js'
import {Twin} from '../../../src/core/twin/twin.js'
import {policy, START} from './helpers.js'

/** A busy hour: two groups (one spot), scale-ups, a cancel, a capacity error, a spot reclaim, a node removal. */
function busyTwin(seed: number): Twin {
  const config = policy(
    [
      {
        name: 'standard',
        gpu: {model: 'A100-80GB', count: 1},
        max: 5,
        hourlyCost: 4.1,
        labels: {pool: 'standard'},
        coldStart: {provisioning: '120s', driverInit: '60s', imagePull: '30s'},
      },
      {
        name: 'large',
        gpu: {model: 'H100-80GB', count: 4},
        max: 3,
        capacityType: 'spot',
        hourlyCost: 12.5,
        labels: {pool: 'large'},
        coldStart: {provisioning: '150s', driverInit: '60s', imagePull: '30s'},
      },
    ],
    [
      {name: 'llama-8b', gpu: {count: 1}, nodeSelector: {pool: 'standard'}, terminationGrace: '600s'},
      {
        name: 'llama-70b',
        gpu: {count: 2},
        nodeSelector: {pool: 'large'},
        weights: {sizeGiB: 131, loadGiBps: 2},
        terminationGrace: '600s',
      },
    ],
  )
  const twin = new Twin({
    config,
    start: START,
    seed,
    coldStartSigma: 0.2,
    initialNodes: {standard: 1, large: 1},
    capacityErrors: [{group: 'large', fromSeconds: 600, toSeconds: 900}],
    spot: {ratePerNodeHour: 0.5, storms: [{atSeconds: 1500, group: 'large', count: 1}]},
    models: [
      {
        name: 'llama-8b',
        replicas: 1,
        load: {
          arrivals: {kind: 'poisson', rate: 3},
          input: {mean: 1155, distribution: 'lognormal', cv: 1},
          output: {mean: 211, distribution: 'lognormal', cv: 1},
        },
      },
      {
        name: 'llama-70b',
        replicas: 1,
        serving: {paramsB: 70, weightsGiB: 131},
        load: {
          arrivals: {kind: 'bursty', rate: 0.5, burstRate: 3, everySeconds: 900, burstSeconds: 120},
          input: {mean: 800},
          output: {mean: 300},
        },
      },
    ],
  })
  twin.runUntil(START + 300)
  twin.scaleNodeGroup('standard', 2)
  twin.scaleWorkload('llama-8b', 3)
  twin.runUntil(START + 700)
  twin.scaleNodeGroup('large', 1)
  twin.scaleNodeGroup('standard', 1)
  twin.runUntil(START + 750)
  twin.scaleNodeGroup('standard', -1)
  twin.runUntil(START + 2400)
  twin.scaleWorkload('llama-8b', 2)
  twin.runUntil(START + 2500)
  twin.removeNode(twin.nodeNames('standard').at(-1) as string)
  twin.runUntil(START + 3600)
  return twin
}

describe('GPU-hours and cost', () => {
  test('equal an independent recomputation from the JSON-lines event log, to the second', () => {
    const twin = busyTwin(1)
    const lines = parseJsonLines(twin.eventLogJsonLines())
    // Independent recomputation: every launched node is billed from launch to deletion or the end of the hour,
    // except launches that failed for capacity.
    const launched = new Map<string, {t: number; gpus: number; cost: number; end: number}>()
    for (const e of lines as Array<Record<string, unknown>>) {
      if (e.type === 'node.launched')
        launched.set(e.node as string, {
          t: e.t as number,
          gpus: e.gpus as number,
          cost: e.hourlyCost as number,
          end: START + 3600,
        })
      if (e.type === 'node.deleted') (launched.get(e.node as string) as {end: number}).end = e.t as number
      if (e.type === 'node.capacity-error') launched.delete(e.node as string)
    }
    let gpuSeconds = 0
    let cost = 0
    for (const n of launched.values()) {
      gpuSeconds += (n.end - n.t) * n.gpus
      cost += ((n.end - n.t) / 3600) * n.cost
    }
    const metered = twin.billing()
    const summary = summarizeLog(lines, {start: START, end: START + 3600})
    // The run exercised every billing path.
    const types = new Set(lines.map((e) => e.type))
    for (const type of ['node.capacity-error', 'node.interruption-notice', 'node.deleted', 'node.remove-requested'])
      expect(types).toContain(type)
    expect(Math.abs(metered.gpuSeconds - gpuSeconds)).toBeLessThan(1)
    expect(Math.abs(summary.gpuHours * 3600 - gpuSeconds)).toBeLessThan(1)
    // One second of the most expensive node is 12.5 / 3600.
    expect(Math.abs(metered.cost - cost)).toBeLessThan(12.5 / 3600)
    expect(Math.abs(summary.cost - cost)).toBeLessThan(12.5 / 3600)
  })
})

describe('determinism', () => {
  test('one seed gives identical event logs twice; another seed gives a different one', () => {
    const a = busyTwin(42).eventLogJsonLines()
    const b = busyTwin(42).eventLogJsonLines()
    expect(a.length).toBeGreaterThan(10_000)
    expect(a === b).toBe(true)
    expect(busyTwin(43).eventLogJsonLines() === a).toBe(false)
  })
})

describe('summary from an event log', () => {
  const req = (t: number, ttft: number | null, e2e: number, ok = true, model = 'm'): LogEntry => ({
    t,
    type: 'request',
    model,
    arrival: t - e2e,
    ttft,
    e2e,
    inputTokens: 10,
    outputTokens: 10,
    ok,
  })
  test.each([
    {
      name: 'SLO attainment counts TTFT and latency targets; an aborted request misses',
      log: [req(10, 0.2, 1), req(11, 0.8, 1), req(12, 0.2, 9), req(13, null, 2, false)],
      check: (s: ReturnType<typeof summarizeLog>) =>
        expect(s.requests).toMatchObject({total: 4, served: 3, aborted: 1, withinSlo: 1, sloAttainment: 0.25}),
    },
    {
      name: 'a reversal within 10 minutes is a flap; one after 10 minutes is not',
      log: [
        {t: 0, type: 'workload.scaled', model: 'm', from: 0, to: 1},
        {t: 100, type: 'workload.scaled', model: 'm', from: 1, to: 0},
        {t: 200, type: 'workload.scaled', model: 'm', from: 0, to: 1},
        {t: 900, type: 'workload.scaled', model: 'm', from: 1, to: 0},
      ] as LogEntry[],
      check: (s: ReturnType<typeof summarizeLog>) => expect([s.flaps, s.scalingActions.workloads]).toEqual([2, 4]),
    },
    {
      name: 'pending-pod minutes run from creation to scheduling, or to the end for pods never scheduled',
      log: [
        {t: 0, type: 'pod.created', pod: 'a', model: 'm'},
        {t: 120, type: 'pod.scheduled', pod: 'a', model: 'm', node: 'n'},
        {t: 3000, type: 'pod.created', pod: 'b', model: 'm'},
      ] as LogEntry[],
      check: (s: ReturnType<typeof summarizeLog>) => expect(s.pendingPodMinutes).toBe(2 + 10),
    },
    {
      name: 'a node launched and never deleted is billed to the end; a capacity error costs nothing',
      log: [
        {t: 0, type: 'node.launched', node: 'a', group: 'g', gpus: 2, hourlyCost: 10},
        {t: 60, type: 'node.launched', node: 'b', group: 'g', gpus: 2, hourlyCost: 10},
        {t: 90, type: 'node.capacity-error', node: 'b', group: 'g'},
      ] as LogEntry[],
      check: (s: ReturnType<typeof summarizeLog>) => expect([s.gpuHours, s.cost, s.capacityErrors]).toEqual([2, 10, 1]),
    },
  ])('$name', ({log, check}) => {
    check(summarizeLog(log, {start: 0, end: 3600, slo: {ttftSeconds: 0.5, e2eSeconds: 5}}))
  })
})
