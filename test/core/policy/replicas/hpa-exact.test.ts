/**
 * HPA-exact mode, case by case against upstream autoscaling/v2 semantics. Each row names the upstream test it
 * mirrors (kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go and horizontal_test.go) or
 * the rule of horizontal.go / replica_calculator.go it pins, and the reason code it expects.
 * Upstream milli-values are written here in units (20000 → 20).
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig} from '../../../../src/core/model/config.js'
import type {PodState} from '../../../../src/core/model/snapshot.js'
import {
  CPU_INITIALIZATION_PERIOD_SECONDS,
  DELAY_OF_INITIAL_READINESS_STATUS_SECONDS,
  groupResourcePods,
} from '../../../../src/core/policy/replicas/hpa-resource.js'
import {recommendReplicas} from '../../../../src/core/policy/replicas/recommend.js'
import {
  CPU_METRIC,
  MEMORY_METRIC,
  RESOURCE_WINDOW_SECONDS,
  type ResourceRow,
  resourceRows,
} from './hpa-resource-table.js'
import {type Row, rows} from './hpa-table.js'
import {makeInput, makeModel, NOW, pod, scaleDownRules, scaleUpRules, signal} from './scenario.js'

function buildModel(row: Row): ModelConfig {
  return makeModel({
    algorithm: 'hpa',
    signals: row.signals,
    replicas: row.replicas ?? {min: 1, max: 10},
    behavior: {scaleUp: scaleUpRules(row.up), scaleDown: scaleDownRules(row.down)},
    ...(row.legacy ? {legacyHpaBehavior: true} : {}),
  })
}

describe('HPA-exact mode', () => {
  test('has at least 30 cases', () => {
    expect(rows.length).toBeGreaterThanOrEqual(30)
  })

  test.each(rows)('$name → $expected ($code) [mirrors $mirrors]', (row) => {
    const input = makeInput({
      model: buildModel(row),
      pods: row.pods,
      series: row.series,
      workload: {specReplicas: row.current ?? 3, scaleEvents: row.events ?? [], recommendations: row.history ?? []},
    })
    const decision = recommendReplicas(input)
    expect(decision.algorithm).toBe('hpa')
    expect(decision.desired).toBe(row.expected)
    expect(decision.reasons.map((r) => r.code)).toContain(row.code)
  })

  test('records the raw recommendation for the next sync', () => {
    const row = rows[3] as Row
    const decision = recommendReplicas(
      makeInput({model: buildModel(row), pods: row.pods, series: row.series, workload: {specReplicas: 5}}),
    )
    expect(decision.recommendation).toEqual({at: NOW, replicas: 3})
  })
})

/** The model a hand-written `algorithm: hpa` config gives for a Resource row (the import test derives it instead). */
function buildResourceModel(row: ResourceRow): ModelConfig {
  return makeModel({
    algorithm: 'hpa',
    signals: [
      signal({
        name: row.resource,
        metric: row.resource === 'cpu' ? CPU_METRIC : MEMORY_METRIC,
        target: row.target,
        windowSeconds: RESOURCE_WINDOW_SECONDS,
        aggregation: 'last',
        resource: {
          name: row.resource,
          targetType: row.targetType,
          ...(row.container === undefined ? {} : {container: row.container}),
        },
      }),
    ],
    replicas: row.replicas ?? {min: 1, max: 10},
    behavior: {scaleUp: scaleUpRules(row.up), scaleDown: scaleDownRules({stabilizationWindowSeconds: 0})},
  })
}

describe('HPA-exact mode: Resource and ContainerResource metrics (replica_calculator_test.go CPU cases)', () => {
  test('ports every CPU case of the replica calculator', () => {
    expect(resourceRows.length).toBeGreaterThanOrEqual(30)
  })

  test.each(resourceRows)('$name → $expected ($code) [mirrors $mirrors]', (row) => {
    const decision = recommendReplicas(
      makeInput({
        model: buildResourceModel(row),
        pods: row.pods,
        series: row.series,
        workload: {specReplicas: row.current},
      }),
    )
    expect(decision.desired).toBe(row.expected)
    expect(decision.reasons.map((r) => r.code)).toContain(row.code)
  })
})

describe('groupPods for CPU: readiness, warm-up and the initial readiness delay', () => {
  const now = NOW
  const metric = (over: {timestamp?: number; windowSeconds?: number} = {}) => ({
    value: 1,
    timestamp: over.timestamp ?? now,
    windowSeconds: over.windowSeconds ?? 60,
  })
  const cases: Array<{
    name: string
    mirrors: string
    pod: Partial<PodState>
    metric?: ReturnType<typeof metric>
    resource?: 'cpu' | 'memory'
    expected: 'ready' | 'unready' | 'missing' | 'ignored'
  }> = [
    {
      name: 'Ready within warm-up, a full window measured since: counted',
      mirrors: 'TestGroupPods "count in a ready pod with fresh metrics during initialization period - CPU"',
      pod: {startedAt: now - 60, readyAt: now - 30},
      metric: metric({windowSeconds: 30}),
      expected: 'ready',
    },
    {
      name: 'Ready within warm-up, the window starts before Ready: ignored as unready',
      mirrors: 'TestGroupPods "unready a ready pod without fresh metrics during initialization period - CPU"',
      pod: {startedAt: now - 60, readyAt: now - 30},
      metric: metric({windowSeconds: 60}),
      expected: 'unready',
    },
    {
      name: 'not Ready within warm-up: unready',
      mirrors: 'TestGroupPods "unready an unready pod during initialization period - CPU"',
      pod: {startedAt: now - 120, ready: false, notReadySince: now - 114},
      expected: 'unready',
    },
    {
      name: 'Ready after warm-up with an old sample: counted',
      mirrors: 'TestGroupPods "count in a ready pod without fresh metrics after initialization period - CPU"',
      pod: {startedAt: now - CPU_INITIALIZATION_PERIOD_SECONDS - 60, readyAt: now - 360},
      metric: metric({timestamp: now - 120}),
      expected: 'ready',
    },
    {
      name: 'unready after warm-up but was ready once (went unready late): counted',
      mirrors: 'TestGroupPods "count in an unready pod that was ready after initialization period - CPU"',
      pod: {startedAt: now - 600, ready: false, notReadySince: now - 540},
      expected: 'ready',
    },
    {
      name: 'unready after warm-up and never ready (unready within the 30 s delay): unready',
      mirrors: 'TestGroupPods "unready pod that has never been ready after initialization period - CPU"',
      pod: {
        startedAt: now - 600,
        ready: false,
        notReadySince: now - 600 + DELAY_OF_INITIAL_READINESS_STATUS_SECONDS - 1,
      },
      expected: 'unready',
    },
    {
      name: 'no start time: unready',
      mirrors: 'TestGroupPods "unready a pod without ready condition - CPU" (condition == nil || StartTime == nil)',
      pod: {startedAt: undefined},
      expected: 'unready',
    },
    {
      name: 'memory ignores readiness',
      mirrors: 'TestGroupPods "count in a ready pod - memory"',
      pod: {startedAt: now - 10, ready: false, notReadySince: now - 10},
      resource: 'memory',
      expected: 'ready',
    },
    {
      name: 'no sample: missing',
      mirrors: 'TestGroupPods "a missing pod"',
      pod: {},
      metric: undefined,
      expected: 'missing',
    },
    {
      name: 'Pending: unready, even without a sample',
      mirrors: 'TestGroupPods "pending pods are unreadied"',
      pod: {phase: 'Pending', ready: false},
      metric: undefined,
      expected: 'unready',
    },
    {
      name: 'deleting: ignored',
      mirrors: 'TestGroupPods "ignore pods with deletion timestamps"',
      pod: {deleting: true},
      expected: 'ignored',
    },
    {
      name: 'Failed: ignored',
      mirrors: 'TestGroupPods "ignore pods in a failed state"',
      pod: {phase: 'Failed', ready: false},
      expected: 'ignored',
    },
  ]
  test.each(cases)('$name [mirrors $mirrors]', (c) => {
    const p = pod('p0', c.pod)
    const metrics = new Map<string, ReturnType<typeof metric>>()
    if (!('metric' in c) || c.metric !== undefined) metrics.set('p0', c.metric ?? metric())
    const groups = groupResourcePods([p], metrics, c.resource ?? 'cpu', now)
    const got = groups.unready.has('p0')
      ? 'unready'
      : groups.missing.has('p0')
        ? 'missing'
        : groups.ignored.has('p0')
          ? 'ignored'
          : 'ready'
    expect(got).toBe(c.expected)
  })
})
