/**
 * Invariants over seeded random runs: random load, random actuator calls (scale workloads and groups, remove
 * nodes, MIG changes), random spot notices and capacity errors. Whatever happens, the books must balance.
 */
import {describe, expect, test} from 'vitest'

import {createPrng} from '../../../src/core/mig/prng.js'
import {parseJsonLines, type TwinEvent} from '../../../src/core/twin/events.js'
import {Twin} from '../../../src/core/twin/twin.js'
import {policy, START} from './helpers.js'

function randomRun(seed: number): {twin: Twin; events: TwinEvent[]} {
  const prng = createPrng(seed)
  const config = policy(
    [
      {
        name: 'whole',
        gpu: {model: 'H100-80GB', count: 2},
        max: 3,
        labels: {pool: 'whole'},
        coldStart: {provisioning: '100s', driverInit: '40s', imagePull: '20s'},
      },
      {
        name: 'mig',
        gpu: {model: 'A100-80GB', count: 1},
        max: 2,
        capacityType: 'spot',
        labels: {pool: 'mig'},
        migConfigs: ['all-3g.40gb', 'all-balanced', 'all-disabled'],
        coldStart: {provisioning: '90s', driverInit: '60s', imagePull: '20s'},
      },
    ],
    [
      {name: 'chat', gpu: {count: 1}, nodeSelector: {pool: 'whole'}, terminationGrace: '900s'},
      {
        name: 'small',
        gpu: {migProfile: '3g.40gb'},
        nodeSelector: {pool: 'mig'},
        weights: {sizeGiB: 4, loadGiBps: 1},
        terminationGrace: '900s',
      },
    ],
  )
  const twin = new Twin({
    config,
    start: START,
    seed,
    coldStartSigma: 0.15,
    initialNodes: {whole: 1},
    capacityErrors: [{group: 'mig', fromSeconds: prng.int(1800), toSeconds: 1800 + prng.int(1800)}],
    spot: {ratePerNodeHour: 0.5},
    models: [
      {
        name: 'chat',
        replicas: 1,
        load: {
          arrivals: {kind: 'poisson', rate: 1 + prng.int(4)},
          input: {mean: 800, distribution: 'lognormal', cv: 1},
          output: {mean: 200, distribution: 'lognormal', cv: 1},
        },
      },
      {
        name: 'small',
        replicas: 1,
        serving: {paramsB: 3},
        load: {
          arrivals: {kind: 'bursty', rate: 1, burstRate: 6, everySeconds: 900, burstSeconds: 120},
          input: {mean: 300},
          output: {mean: 50},
        },
      },
    ],
  })
  for (let minute = 1; minute <= 60; minute++) {
    twin.runUntil(START + minute * 60)
    const action = prng.int(10)
    if (action === 0) twin.scaleWorkload('chat', prng.int(6))
    else if (action === 1) twin.scaleWorkload('small', prng.int(4))
    else if (action === 2) twin.scaleNodeGroup(prng.pick(['whole', 'mig']), prng.pick([1, 1, 2, -1]))
    else if (action === 3) {
      const nodes = twin.nodeNames()
      if (nodes.length > 0) twin.removeNode(prng.pick(nodes))
    } else if (action === 4) {
      const nodes = twin.nodeNames('mig')
      if (nodes.length > 0) twin.setMigConfig(prng.pick(nodes), prng.pick(['all-3g.40gb', 'all-balanced']))
    }
  }
  twin.runUntil(START + 3600)
  return {twin, events: parseJsonLines(twin.eventLogJsonLines()).filter((e): e is TwinEvent => e.type !== 'request')}
}

const seen = new Set<string>()

describe.each(Array.from({length: 12}, (_, i) => i + 1))('seeded random run %i', (seed) => {
  test('books balance: metered GPU-seconds equal the log, groups stay within max, nothing serves before a ready pod, no scale-down cuts a request', () => {
    const {twin, events} = randomRun(seed)
    for (const e of events) seen.add(e.type === 'mig.state' ? `mig.${e.state}` : e.type)
    // 1. Billing from the event log equals the twin's own meter.
    const open = new Map<string, {t: number; gpus: number}>()
    let gpuSeconds = 0
    for (const e of events) {
      if (e.type === 'node.launched') open.set(e.node, {t: e.t, gpus: e.gpus})
      if (e.type === 'node.capacity-error') open.delete(e.node)
      if (e.type === 'node.deleted') {
        const n = open.get(e.node) as {t: number; gpus: number}
        gpuSeconds += (e.t - n.t) * n.gpus
        open.delete(e.node)
      }
    }
    for (const n of open.values()) gpuSeconds += (START + 3600 - n.t) * n.gpus
    expect(Math.abs(twin.billing().gpuSeconds - gpuSeconds)).toBeLessThan(1)
    // 2. Never more nodes alive in a group than its max.
    const alive = new Map<string, number>()
    for (const e of events) {
      if (e.type === 'node.launched') alive.set(e.group, (alive.get(e.group) ?? 0) + 1)
      if (e.type === 'node.capacity-error' || e.type === 'node.deleted')
        alive.set(e.group, (alive.get(e.group) ?? 0) - 1)
      if (e.type === 'node.launched') expect(alive.get(e.group)).toBeLessThanOrEqual(e.group === 'whole' ? 3 : 2)
    }
    // 3. No request of a model finished before its first pod was ready.
    const firstReady = new Map<string, number>()
    for (const e of events) if (e.type === 'pod.ready' && !firstReady.has(e.model)) firstReady.set(e.model, e.t)
    for (let i = 0; i < twin.requests.length; i++) {
      if (!twin.requests.ok[i]) continue
      const model = twin.requests.models[twin.requests.model[i] as number] as string
      expect(twin.requests.done[i]).toBeGreaterThan(firstReady.get(model) as number)
    }
    // 4. A scale-down drains (grace 900 s covers any request here): pods deleted for scale-down abort nothing.
    const reasons = new Map<string, string>()
    for (const e of events) {
      if (e.type === 'pod.terminating') reasons.set(e.pod, e.reason)
      if (e.type === 'pod.deleted' && reasons.get(e.pod) === 'scale-down') expect(e.aborted).toBe(0)
    }
  })
})

test('the random runs exercised every path the invariants guard: spot reclaims, capacity errors, removals, MIG changes', () => {
  for (const type of [
    'node.interruption-notice',
    'node.capacity-error',
    'node.remove-requested',
    'mig.success',
    'mig.failed',
    'group.scaled',
    'workload.scaled',
  ])
    expect(seen).toContain(type)
})
