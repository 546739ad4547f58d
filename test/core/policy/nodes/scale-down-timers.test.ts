/**
 * Scale-down timers as ski rental (issue 12): in predictive node mode, an unneeded-time or delay-after-add the
 * config leaves unset is the group's cold start, not Cluster Autoscaler's 10 minutes; a timer the user sets wins,
 * and reactive mode (the CA baseline) keeps CA's.
 */
import {describe, expect, test} from 'vitest'

import type {Plan} from '../../../../src/core/model/plan.js'
import type {ClusterSnapshot} from '../../../../src/core/model/snapshot.js'
import type {PolicyConfig} from '../../../../src/core/model/config.js'
import {planCluster} from '../../../../src/core/planner/plan-cluster.js'
import {resolveScaleDownTimers} from '../../../../src/core/policy/nodes/scale-down.js'
import {scenario, type ScenarioBuilder} from '../../../../src/core/sim/scenario.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}
/** One-GPU A100 nodes: 90 s provisioning + 30 s driver init + 30 s image pull; the chat model adds 15 s of weights. */
const a100 = (raw: Record<string, unknown> = {}) => ({
  gpu: {model: 'A100-80GB', count: 1},
  max: 6,
  coldStart: {provisioning: '90s', driverInit: '30s', imagePull: '30s'},
  ...raw,
})
const chat = {gpu: {count: 1}, replicas: {min: 1, max: 8}, signals: [gpuUtil], weights: {sizeGiB: 15, loadGiBps: 1}}

type Built = {config: PolicyConfig; snapshot: ClusterSnapshot}

/** Two replicas at target on three nodes: a-03 is empty, registered `idleSeconds` ago (idle since it came up). */
function fleet(idleSeconds: number, build: (b: ScenarioBuilder) => ScenarioBuilder = (b) => b): Built {
  const built = build(scenario())
    .nodeGroup('a', a100(), {nodes: 3})
    .model('chat', chat, {replicas: 2, load: {gpuUtil: 40}})
    .build()
  const node = built.snapshot.nodes.find((n) => n.name === 'a-03')
  if (!node || node.gpus.some((g) => g.pods.length > 0)) throw new Error('a-03 should be empty')
  node.createdAt = built.snapshot.capturedAt - idleSeconds
  return built
}

/** The group's last scale-up `seconds` before the capture. */
function scaledUpAgo(built: Built, seconds: number): Built {
  built.snapshot.nodeGroups[0]!.lastScaleUpAt = built.snapshot.capturedAt - seconds
  return built
}

const keptReason = (plan: Plan, node: string) => plan.skipped.find((s) => s.target.name === node)?.reasons[0]
const removal = (plan: Plan, node: string) => plan.changes.find((c) => c.id === `node:${node}`)

describe('resolveScaleDownTimers: which value each timer takes, and why', () => {
  const group = (config: PolicyConfig) => config.nodeGroups[0]!
  test.each([
    {
      name: 'predictive, both unset: both are the cold start (90 + 30 + 30 s node, 15 s weights = 165 s)',
      build: () => fleet(0),
      unneeded: {seconds: 165, source: 'cold-start'},
      delayAfterAdd: {seconds: 165, source: 'cold-start'},
    },
    {
      name: 'predictive, unneededTime set to 10m: the user wins for that timer, the other still follows the cold start',
      build: () => fleet(0, (b) => b.settings({scaleDown: {unneededTime: '10m'}})),
      unneeded: {seconds: 600, source: 'config'},
      delayAfterAdd: {seconds: 165, source: 'cold-start'},
    },
    {
      name: 'predictive, delayAfterAdd set to 2m: the user wins for that timer',
      build: () => fleet(0, (b) => b.settings({scaleDown: {delayAfterAdd: '2m'}})),
      unneeded: {seconds: 165, source: 'cold-start'},
      delayAfterAdd: {seconds: 120, source: 'config'},
    },
    {
      name: 'reactive mode keeps Cluster Autoscaler’s 10 minutes: the baseline must stay CA',
      build: () => fleet(0, (b) => b.settings({nodes: {mode: 'reactive'}})),
      unneeded: {seconds: 600, source: 'default'},
      delayAfterAdd: {seconds: 600, source: 'default'},
    },
    {
      name: 'two models on the group: the longest cold start (a 60 GiB model loads in 60 s: 210 s), the costliest restart to pay back',
      build: () =>
        fleet(0, (b) =>
          b.model('big', {...chat, weights: {sizeGiB: 60, loadGiBps: 1}}, {replicas: 0, load: {gpuUtil: 0}}),
        ),
      unneeded: {seconds: 210, source: 'cold-start'},
      delayAfterAdd: {seconds: 210, source: 'cold-start'},
    },
  ])('$name', ({build, unneeded, delayAfterAdd}) => {
    const {config} = build()
    expect(resolveScaleDownTimers(config, group(config))).toEqual({unneeded, delayAfterAdd})
  })

  test('no model fits the group: CA’s 10 minutes (no cold start to weigh a gap against)', () => {
    const {config} = fleet(0)
    const other = {
      ...group(config),
      name: 'tiny',
      gpu: {model: 'A100-80GB', count: 1},
      taints: [{key: 'x', value: 'y', effect: 'NoSchedule' as const}],
    }
    expect(resolveScaleDownTimers(config, other)).toEqual({
      unneeded: {seconds: 600, source: 'default'},
      delayAfterAdd: {seconds: 600, source: 'default'},
    })
  })
})

describe('an empty node under ski rental', () => {
  test.each([
    {
      name: 'idle 4 min > its 165 s cold start, predictive defaults: removed (NodeUnneeded), the timer and its source in the evidence',
      build: () => fleet(240),
      check: (plan: Plan) => {
        const reason = removal(plan, 'a-03')?.reasons[0]
        expect(reason?.code).toBe('NodeUnneeded')
        expect(reason?.evidence).toMatchObject({unneededSeconds: 165, timerSource: 'cold-start'})
        expect(reason?.message).toContain("165s, the group's cold start")
      },
    },
    {
      name: 'idle 2 min < its cold start: kept (NotUnneededLongEnough); a gap shorter than a restart is cheaper to wait out',
      build: () => fleet(120),
      check: (plan: Plan) => {
        expect(removal(plan, 'a-03')).toBeUndefined()
        expect(keptReason(plan, 'a-03')).toMatchObject({
          code: 'NotUnneededLongEnough',
          evidence: {idleSeconds: 120, unneededSeconds: 165, timerSource: 'cold-start'},
        })
      },
    },
    {
      name: 'idle 4 min, reactive mode: kept until CA’s 10 minutes (NotUnneededLongEnough, source default)',
      build: () => fleet(240, (b) => b.settings({nodes: {mode: 'reactive'}})),
      check: (plan: Plan) =>
        expect(keptReason(plan, 'a-03')).toMatchObject({
          code: 'NotUnneededLongEnough',
          evidence: {unneededSeconds: 600, timerSource: 'default'},
        }),
    },
    {
      name: 'idle 4 min, unneededTime: 10m set by the user: kept, the user’s timer wins (source config)',
      build: () => fleet(240, (b) => b.settings({scaleDown: {unneededTime: '10m'}})),
      check: (plan: Plan) =>
        expect(keptReason(plan, 'a-03')).toMatchObject({
          code: 'NotUnneededLongEnough',
          evidence: {unneededSeconds: 600, timerSource: 'config'},
        }),
    },
    {
      name: 'idle 4 min, the group scaled up 2 min ago (< its cold start): kept (ScaleDownDelayAfterAdd, source cold-start)',
      build: () => scaledUpAgo(fleet(240), 120),
      check: (plan: Plan) =>
        expect(keptReason(plan, 'a-03')).toMatchObject({
          code: 'ScaleDownDelayAfterAdd',
          evidence: {delayAfterAddSeconds: 165, timerSource: 'cold-start', secondsSinceScaleUp: 120},
        }),
    },
    {
      name: 'idle 4 min, the group scaled up 3.5 min ago (> its cold start): removed; CA would wait 10 minutes',
      build: () => scaledUpAgo(fleet(240), 210),
      check: (plan: Plan) => expect(removal(plan, 'a-03')?.reasons[0]?.code).toBe('NodeUnneeded'),
    },
  ])('$name', ({build, check}) => check(planCluster(build())))
})
