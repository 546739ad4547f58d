/**
 * HPA-exact mode, case by case against upstream autoscaling/v2 semantics. Each row names the upstream test it
 * mirrors (kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go and horizontal_test.go) or
 * the rule of horizontal.go / replica_calculator.go it pins, and the reason code it expects.
 * Upstream milli-values are written here in units (20000 → 20).
 */
import {describe, expect, test} from 'vitest'

import type {ModelConfig, ScalingRules, SignalConfig} from '../../../../src/core/model/config.js'
import type {PodState, ScaleEvent, Series} from '../../../../src/core/model/snapshot.js'
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
import {
  makeInput,
  makeModel,
  NOW,
  perPod,
  pod,
  pods,
  scaleDownRules,
  scaleUpRules,
  signal,
  workloadGauge,
} from './scenario.js'

const QPS = 'qps'
const podsMetric = (target: number): SignalConfig => signal({name: 'qps', metric: QPS, target})
const objectMetric = (target: number): SignalConfig => signal({name: 'qps', metric: QPS, target, targetType: 'Value'})
const externalMetric = (target: number, targetType: 'Value' | 'AverageValue' = 'Value'): SignalConfig =>
  signal({name: 'qps', metric: QPS, target, source: 'workload', targetType})

interface Row {
  name: string
  mirrors: string
  current?: number
  signals: SignalConfig[]
  pods: PodState[]
  series: Series[]
  up?: Partial<ScalingRules>
  down?: Partial<ScalingRules>
  replicas?: {min: number; max: number}
  history?: Array<{at: number; replicas: number}>
  events?: ScaleEvent[]
  legacy?: boolean
  expected: number
  code: string
}

// Replica-math rows isolate the calculator: no scale-down stabilization, generous rate policies.
const calc = {down: {stabilizationWindowSeconds: 0}}

const rows: Row[] = [
  {
    name: 'Pods metric scales up to ceil(ratio × ready pods)',
    mirrors: 'TestReplicaCalcScaleUpCM',
    signals: [podsMetric(15)],
    pods: pods(3),
    series: perPod(QPS, [20, 10, 30]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'custom metrics ignore readiness of Running pods',
    mirrors: 'TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale',
    signals: [podsMetric(15)],
    pods: [pod('p0'), pod('p1'), pod('p2', {ready: false})],
    series: perPod(QPS, [50, 10, 30]),
    expected: 6,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'integer-division mean decides the ceil',
    mirrors: 'TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown',
    signals: [podsMetric(15)],
    pods: [pod('p0', {ready: false}), pod('p1'), pod('p2', {ready: false})],
    series: perPod(QPS, [50, 15, 30]),
    expected: 7,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'Pods metric scales down',
    mirrors: 'TestReplicaCalcScaleDownCM',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    expected: 3,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'ratio 1.033 is inside the 0.1 tolerance',
    mirrors: 'TestReplicaCalcToleranceCM',
    signals: [podsMetric(20)],
    pods: pods(3),
    series: perPod(QPS, [20, 21, 21]),
    expected: 3,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'per-direction scale-up tolerance 0.01',
    mirrors: 'TestReplicaCalcConfigurableToleranceCM',
    signals: [podsMetric(20)],
    pods: pods(3),
    series: perPod(QPS, [20, 21, 21]),
    up: {tolerance: 0.01},
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'inside a 36% scale-down tolerance',
    mirrors: 'TestReplicaCalcConfigurableTolerance "Within a 36% scale-down tolerance"',
    signals: [podsMetric(100)],
    pods: pods(3),
    series: perPod(QPS, [66, 64, 65]),
    down: {stabilizationWindowSeconds: 0, tolerance: 0.36},
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'outside a 34% scale-down tolerance',
    mirrors: 'TestReplicaCalcConfigurableTolerance "Outside a 34% scale-down tolerance"',
    signals: [podsMetric(100)],
    pods: pods(3),
    series: perPod(QPS, [66, 64, 65]),
    down: {stabilizationWindowSeconds: 0, tolerance: 0.34},
    expected: 2,
    code: 'ScaleDownSignal',
  },
  {
    name: 'missing pods at ratio 1 change nothing',
    mirrors: 'TestPlainMetricReplicaCalcMissingMetricsNoChangeEq',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [20, 19, 21]),
    expected: 5,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'surge pod without metrics cannot push a scale-down up',
    mirrors: 'TestReplicaCalcDuringRollingUpdateWithMaxSurgeCM',
    current: 2,
    signals: [podsMetric(17)],
    pods: pods(3),
    series: perPod(QPS, [10, 10]),
    expected: 2,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'missing pod counts 0 on the way up',
    mirrors: 'TestReplicaCalcMissingMetricsUnreadyScaleUp (missing → 0 on scale-up)',
    signals: [podsMetric(20)],
    pods: pods(3),
    series: perPod(QPS, [40, 40]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'missing pod counts at target on the way down',
    mirrors: 'calcPlainMetricReplicas: missing → target on scale-down',
    signals: [podsMetric(10)],
    pods: pods(4),
    series: perPod(QPS, [2, 2, 2]),
    expected: 2,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'Pending pods count 0 on scale-up',
    mirrors: 'TestReplicaCalcScaleUpCMUnreadyLessScale (Pending is unready for custom metrics)',
    signals: [podsMetric(15)],
    pods: [pod('p0'), pod('p1'), pod('p2', {phase: 'Pending', ready: false})],
    series: perPod(QPS, [30, 30]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'direction flip after filling unready pods keeps current',
    mirrors: 'calcPlainMetricReplicas direction-flip guard (TestReplicaCalcScaleUpCMUnreadyNoScaleWouldScaleDown)',
    signals: [podsMetric(15)],
    pods: [pod('p0'), pod('p1', {phase: 'Pending', ready: false}), pod('p2', {phase: 'Pending', ready: false})],
    series: perPod(QPS, [20]),
    expected: 3,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'Pending pods are ignored on scale-down',
    mirrors: 'TestReplicaCalcScaleDownIgnoresUnreadyPods',
    signals: [podsMetric(15)],
    pods: [pod('p0'), pod('p1'), pod('p2', {phase: 'Pending', ready: false})],
    series: perPod(QPS, [6, 6]),
    expected: 1,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'deleting pods are ignored',
    mirrors: 'TestReplicaCalcScaleUpIgnoresDeletionPods',
    current: 2,
    signals: [podsMetric(15)],
    pods: [pod('p0'), pod('p1'), pod('p2', {deleting: true}), pod('p3', {deleting: true})],
    series: perPod(QPS, [30, 30]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'failed pods are ignored',
    mirrors: 'TestReplicaCalcScaleDownIgnoresFailedPods',
    current: 4,
    signals: [podsMetric(20)],
    pods: [pod('p0'), pod('p1'), pod('p2', {phase: 'Failed', ready: false}), pod('p3')],
    series: perPod(QPS, [10, 10, 0, 10]),
    expected: 2,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'no samples at all: invalid metric, no change',
    mirrors: 'TestReplicaCalcEmptyMetrics / computeReplicasForMetrics all-invalid',
    signals: [podsMetric(15)],
    pods: pods(3),
    series: [],
    expected: 3,
    code: 'InvalidMetric',
    ...calc,
  },
  {
    name: 'stale samples are missing metrics',
    mirrors: 'metrics adapter returns nothing older than its window',
    signals: [podsMetric(15)],
    pods: pods(3),
    series: perPod(QPS, [30, 30, 30], {ageSeconds: 600}),
    expected: 3,
    code: 'InvalidMetric',
    ...calc,
  },
  {
    name: 'Object Value metric scales up',
    mirrors: 'TestReplicaCalcScaleUpCMObject',
    signals: [objectMetric(15)],
    pods: pods(3),
    series: perPod(QPS, [20, 20, 20]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'Object Value metric scales down',
    mirrors: 'TestReplicaCalcScaleDownCMObject',
    current: 5,
    signals: [objectMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    expected: 3,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'Object Value inside tolerance',
    mirrors: 'TestReplicaCalcToleranceCMObject',
    signals: [objectMetric(20)],
    pods: pods(3),
    series: perPod(QPS, [20.666, 20.666, 20.666]),
    expected: 3,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'External Value multiplies by Running and Ready pods only',
    mirrors: 'TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods',
    signals: [externalMetric(4.4)],
    pods: [pod('p0', {ready: false}), pod('p1'), pod('p2', {ready: false})],
    series: [workloadGauge(QPS, 8.6)],
    expected: 2,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'External Value scales down',
    mirrors: 'TestReplicaCalcScaleDownCMExternal',
    current: 5,
    signals: [externalMetric(14.334)],
    pods: pods(5),
    series: [workloadGauge(QPS, 8.6)],
    expected: 3,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'External Value inside tolerance',
    mirrors: 'TestReplicaCalcToleranceCMExternal',
    signals: [externalMetric(8.888)],
    pods: pods(3),
    series: [workloadGauge(QPS, 8.6)],
    expected: 3,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'External Value with 1% scale-up tolerance',
    mirrors: 'TestReplicaCalcConfigurableToleranceCMExternal',
    signals: [externalMetric(8.8)],
    pods: pods(3),
    series: [workloadGauge(QPS, 8.9)],
    up: {tolerance: 0.01},
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'External AverageValue scales up to ceil(value/target)',
    mirrors: 'TestReplicaCalcScaleUpPerPodCMExternal',
    signals: [externalMetric(2.15, 'AverageValue')],
    pods: pods(3),
    series: [workloadGauge(QPS, 8.6)],
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'External AverageValue scales down',
    mirrors: 'TestReplicaCalcScaleDownPerPodCMExternal',
    current: 5,
    signals: [externalMetric(2.867, 'AverageValue')],
    pods: pods(5),
    series: [workloadGauge(QPS, 8.6)],
    expected: 3,
    code: 'ScaleDownSignal',
    ...calc,
  },
  {
    name: 'External AverageValue inside tolerance',
    mirrors: 'TestReplicaCalcTolerancePerPodCMExternal',
    signals: [externalMetric(2.9, 'AverageValue')],
    pods: pods(3),
    series: [workloadGauge(QPS, 8.6)],
    expected: 3,
    code: 'WithinTolerance',
    ...calc,
  },
  {
    name: 'External AverageValue with 1% scale-up tolerance',
    mirrors: 'TestReplicaCalcConfigurableTolerancePerPodCMExternal',
    signals: [externalMetric(2.8, 'AverageValue')],
    pods: pods(3),
    series: [workloadGauge(QPS, 8.6)],
    up: {tolerance: 0.01},
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'scale from zero with an External metric: ceil(ratio)',
    mirrors: 'getUsageRatioReplicaCount currentReplicas == 0 (HPAScaleToZero)',
    current: 0,
    replicas: {min: 0, max: 10},
    signals: [externalMetric(5)],
    pods: [],
    series: [workloadGauge(QPS, 12)],
    expected: 3,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'spec.replicas 0 with minReplicas 1 disables scaling',
    mirrors: 'reconcileAutoscaler ScalingDisabled (kubernetes#110278)',
    current: 0,
    signals: [externalMetric(5)],
    pods: [],
    series: [workloadGauge(QPS, 12)],
    expected: 0,
    code: 'ScalingDisabled',
  },
  {
    name: 'current above max is set to max',
    mirrors: 'reconcileAutoscaler "Current number of replicas above Spec.MaxReplicas"',
    current: 12,
    replicas: {min: 1, max: 10},
    signals: [podsMetric(15)],
    pods: pods(12),
    series: [],
    expected: 10,
    code: 'CurrentAboveMax',
  },
  {
    name: 'current below min is set to min',
    mirrors: 'reconcileAutoscaler "Current number of replicas below Spec.MinReplicas"',
    current: 1,
    replicas: {min: 2, max: 10},
    signals: [podsMetric(15)],
    pods: pods(1),
    series: [],
    expected: 2,
    code: 'CurrentBelowMin',
  },
  {
    name: 'multiple metrics: the highest proposal wins',
    mirrors: 'computeReplicasForMetrics max (TestScaleUpCMMultipleMetrics-style)',
    signals: [podsMetric(15), signal({name: 'waiting', metric: 'waiting', target: 5})],
    pods: pods(3),
    series: [...perPod(QPS, [20, 20, 20]), ...perPod('waiting', [10, 10, 10])],
    expected: 6,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'one metric invalid, the other scales up',
    mirrors: 'TestScaleUpOneMetricEmpty',
    signals: [podsMetric(15), externalMetric(5)],
    pods: pods(3),
    series: perPod(QPS, [20, 20, 20]),
    expected: 4,
    code: 'ScaleUpSignal',
    ...calc,
  },
  {
    name: 'one metric invalid blocks a scale-down',
    mirrors: 'TestNoScaleDownOneMetricEmpty / TestNoScaleDownOneMetricInvalid',
    current: 5,
    signals: [podsMetric(20), externalMetric(5)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    expected: 5,
    code: 'InvalidMetric',
    ...calc,
  },
  {
    name: 'a higher recommendation in the scale-down window holds',
    mirrors: 'TestNormalizeDesiredReplicasWithBehavior / stabilizeRecommendationWithBehaviors',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    history: [{at: NOW - 120, replicas: 5}],
    expected: 5,
    code: 'ScaleDownStabilized',
  },
  {
    name: 'recommendations older than the window do not hold',
    mirrors: 'stabilizeRecommendationWithBehaviors downCutoff',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    history: [{at: NOW - 301, replicas: 5}],
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'no history: the first sync records current, so no scale-down for a window',
    mirrors: 'recordInitialRecommendation',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [12, 12, 12, 12, 12]),
    expected: 5,
    code: 'ScaleDownStabilized',
  },
  {
    name: 'a lower recommendation in the scale-up window holds',
    mirrors: 'stabilizeRecommendationWithBehaviors upRecommendation',
    signals: [podsMetric(15)],
    pods: pods(3),
    series: perPod(QPS, [30, 30, 30]),
    up: {stabilizationWindowSeconds: 60},
    history: [{at: NOW - 30, replicas: 3}],
    expected: 3,
    code: 'ScaleUpStabilized',
    ...calc,
  },
  {
    name: 'default scale-up policies: max(+4 pods, +100%) per 15 s',
    mirrors: 'TestScaleUpRCImmediately/calculateScaleUpLimitWithScalingRules',
    replicas: {min: 1, max: 30},
    signals: [podsMetric(1)],
    pods: pods(3),
    series: perPod(QPS, [7, 7, 7]),
    expected: 7,
    code: 'ScaleUpLimit',
    ...calc,
  },
  {
    name: 'selectPolicy Min picks the smaller change',
    mirrors: 'TestScalingWithRules "scaleUp with selectPolicy Min"',
    replicas: {min: 1, max: 30},
    signals: [podsMetric(1)],
    pods: pods(3),
    series: perPod(QPS, [7, 7, 7]),
    up: {selectPolicy: 'Min'},
    expected: 6,
    code: 'ScaleUpLimit',
    ...calc,
  },
  {
    name: 'selectPolicy Disabled forbids scaling up',
    mirrors: 'TestScalingWithRules "scaleUp disabled"',
    replicas: {min: 1, max: 30},
    signals: [podsMetric(1)],
    pods: pods(3),
    series: perPod(QPS, [7, 7, 7]),
    up: {selectPolicy: 'Disabled'},
    expected: 3,
    code: 'ScaleUpLimit',
    ...calc,
  },
  {
    name: 'replicas added in the period count against the policy',
    mirrors: 'TestScalingWithRules "scaleUp with period events"',
    current: 7,
    replicas: {min: 1, max: 30},
    signals: [podsMetric(1)],
    pods: pods(7),
    series: perPod(QPS, [2, 2, 2, 2, 2, 2, 2]),
    up: {policies: [{type: 'Pods', value: 4, periodSeconds: 60}]},
    events: [{at: NOW - 10, from: 3, to: 7}],
    expected: 7,
    code: 'ScaleUpLimit',
    ...calc,
  },
  {
    name: 'scale-down Pods policy caps the decrease',
    mirrors: 'TestScalingWithRules "scaleDown with Pods policy"',
    current: 5,
    signals: [podsMetric(20)],
    pods: pods(5),
    series: perPod(QPS, [8, 8, 8, 8, 8]),
    down: {stabilizationWindowSeconds: 0, policies: [{type: 'Pods', value: 1, periodSeconds: 60}]},
    expected: 4,
    code: 'ScaleDownLimit',
  },
  {
    name: 'scale-down Percent policy truncates like int32()',
    mirrors: 'calculateScaleDownLimitWithBehaviors Percent',
    current: 5,
    signals: [podsMetric(100)],
    pods: pods(5),
    series: perPod(QPS, [10, 10, 10, 10, 10]),
    down: {stabilizationWindowSeconds: 0, policies: [{type: 'Percent', value: 50, periodSeconds: 60}]},
    expected: 2,
    code: 'ScaleDownLimit',
  },
  {
    name: 'maxReplicas caps a scale-up the policy allows',
    mirrors: 'convertDesiredReplicasWithBehaviorRate TooManyReplicas',
    replicas: {min: 1, max: 5},
    signals: [podsMetric(15)],
    pods: pods(3),
    series: perPod(QPS, [30, 30, 30]),
    expected: 5,
    code: 'TooManyReplicas',
    ...calc,
  },
  {
    name: 'minReplicas floors a scale-down',
    mirrors: 'convertDesiredReplicasWithBehaviorRate TooFewReplicas',
    current: 4,
    replicas: {min: 2, max: 10},
    signals: [podsMetric(100)],
    pods: pods(4),
    series: perPod(QPS, [5, 5, 5, 5]),
    expected: 2,
    code: 'TooFewReplicas',
    ...calc,
  },
  {
    name: 'legacy path (no behavior): scale-up capped at max(2×current, 4)',
    mirrors: 'TestConvertDesiredReplicasWithRules / calculateScaleUpLimit',
    current: 1,
    replicas: {min: 1, max: 20},
    signals: [podsMetric(1)],
    pods: pods(1),
    series: perPod(QPS, [10]),
    legacy: true,
    expected: 4,
    code: 'ScaleUpLimit',
  },
  {
    name: 'legacy path: highest recommendation of the window holds',
    mirrors: 'stabilizeRecommendation (legacy)',
    current: 6,
    signals: [podsMetric(20)],
    pods: pods(6),
    series: perPod(QPS, [10, 10, 10, 10, 10, 10]),
    legacy: true,
    history: [{at: NOW - 200, replicas: 6}],
    expected: 6,
    code: 'ScaleDownStabilized',
  },
]

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
