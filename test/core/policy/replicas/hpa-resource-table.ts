/**
 * The CPU (and memory) cases of Kubernetes' replica calculator, as data: each row names the upstream test it ports
 * (kubernetes/kubernetes pkg/controller/podautoscaler/replica_calculator_test.go) and why it expects what it does.
 * Shared by the HPA-exact table (hpa-exact.test.ts, hand-written signals) and the import test (the same rows as HPA
 * objects through `gpu-scale import hpa`), so both must decide the same.
 *
 * Upstream pods have two containers with the same request and usage level each (makePodMetricLevels); upstream
 * runs with the testing periods (2 min initialization, 10 s readiness delay), these rows with the production
 * defaults (5 min, 30 s), so "cool" pods started 10 min ago instead of 3. "Hot" pods started 1 min ago and became
 * Ready 30 s ago: their newest sample does not cover a whole 60 s window since then. Pods not Ready became unready
 * when they started, i.e. never were ready (upstream's zero transition time).
 */
import type {ContainerRequests, PodState, Series} from '../../../../src/core/model/snapshot.js'
import type {ScalingRules} from '../../../../src/core/model/config.js'
import {NOW, NS, pod} from './scenario.js'

export const CPU_METRIC = 'container_cpu_usage_seconds_total'
export const MEMORY_METRIC = 'container_memory_working_set_bytes'
/** The metric window of the fake metrics client upstream (metricServerDefaultMetricWindow). */
export const RESOURCE_WINDOW_SECONDS = 60

export interface ResourceRow {
  name: string
  mirrors: string
  current: number
  resource: 'cpu' | 'memory'
  container?: string
  targetType: 'Utilization' | 'AverageValue'
  /** Percent for Utilization; cores (or bytes) per pod for AverageValue. */
  target: number
  pods: PodState[]
  series: Series[]
  replicas?: {min: number; max: number}
  up?: Partial<ScalingRules>
  expected: number
  code: string
}

type Start = 'old' | 'cool' | 'hot'
interface PodSpec {
  ready?: boolean
  start?: Start
  phase?: PodState['phase']
  deleting?: boolean
  /** CPU request per container, in cores (two containers, as upstream); null: no request at all. */
  request?: number | null
}

/** Upstream's pod list: `test-pod-<i>`, two containers `container1`/`container2` with the same request. */
function makePods(specs: PodSpec[]): PodState[] {
  return specs.map((s, i) => {
    const startedAt = s.start === 'hot' ? NOW - 60 : s.start === 'cool' ? NOW - 600 : NOW - 3600
    const ready = s.ready ?? true
    const request = s.request === undefined ? 1 : s.request
    const containers: ContainerRequests[] = ['container1', 'container2'].map((name) => ({
      name,
      requests: request === null ? {} : {cpu: request, memory: request * 2 ** 30},
    }))
    return pod(`test-pod-${i}`, {
      phase: s.phase ?? 'Running',
      ready,
      deleting: s.deleting ?? false,
      startedAt,
      createdAt: startedAt,
      ...(ready ? {readyAt: s.start === 'hot' ? NOW - 30 : startedAt + 60} : {notReadySince: startedAt}),
      containerRequests: containers,
    })
  })
}

function specs(n: number, over: (i: number) => PodSpec = () => ({})): PodSpec[] {
  return Array.from({length: n}, (_, i) => over(i))
}

/**
 * cAdvisor CPU counters: per pod and container, `milli[i][c]` millicores as a counter sampled every 15 s for 2 min,
 * so its rate over any window is exactly that usage. A plain number is the level of both containers.
 */
function cpuSeries(levels: Array<number | [number, number]>, podNames?: string[]): Series[] {
  return levels.flatMap((level, i) => {
    const perContainer = typeof level === 'number' ? [level, level] : level
    return perContainer.map((milli, c) => {
      const samples: Array<[number, number]> = []
      for (let t = NOW - 120; t <= NOW; t += 15) samples.push([t, (milli / 1000) * (t - (NOW - 120)) + 1000])
      return {
        metric: CPU_METRIC,
        labels: {namespace: NS, pod: podNames?.[i] ?? `test-pod-${i}`, container: `container${c + 1}`},
        samples,
      }
    })
  })
}

/** Working-set gauges: `mib[i]` MiB in each of both containers. */
function memorySeries(mib: number[]): Series[] {
  return mib.flatMap((m, i) =>
    ['container1', 'container2'].map((container) => ({
      metric: MEMORY_METRIC,
      labels: {namespace: NS, pod: `test-pod-${i}`, container},
      samples: [0, 15, 30].map((ago): [number, number] => [NOW - ago, m * 2 ** 20]),
    })),
  )
}

const cpu = {resource: 'cpu', targetType: 'Utilization'} as const

export const resourceRows: ResourceRow[] = [
  {
    name: 'utilization 50 % over a 30 % target: ceil(1.667 × 3)',
    mirrors: 'TestReplicaCalcScaleUp',
    ...cpu,
    current: 3,
    target: 30,
    pods: makePods(specs(3)),
    series: cpuSeries([300, 500, 700]),
    expected: 5,
    code: 'ScaleUpSignal',
  },
  {
    name: 'ContainerResource counts only its container',
    mirrors: 'TestReplicaCalcContainerScaleUp',
    ...cpu,
    container: 'container2',
    current: 3,
    target: 30,
    pods: makePods(specs(3)),
    series: cpuSeries([
      [1000, 300],
      [1000, 500],
      [1000, 700],
    ]),
    expected: 5,
    code: 'ScaleUpSignal',
  },
  {
    name: 'an unready pod counts 0 % on the way up',
    mirrors: 'TestReplicaCalcScaleUpUnreadyLessScale',
    ...cpu,
    current: 3,
    target: 30,
    pods: makePods([{ready: false}, {}, {}]),
    series: cpuSeries([300, 500, 700]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'a warming pod (Ready for less than one window) counts 0 % on the way up',
    mirrors: 'TestReplicaCalcScaleUpHotCpuLessScale',
    ...cpu,
    current: 3,
    target: 30,
    pods: makePods([{start: 'hot'}, {start: 'cool'}, {start: 'cool'}]),
    series: cpuSeries([300, 500, 700]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'ContainerResource with a warming pod',
    mirrors: 'TestReplicaCalcScaleUpContainerHotCpuLessScale',
    ...cpu,
    container: 'container2',
    current: 3,
    target: 30,
    pods: makePods([{start: 'hot'}, {start: 'cool'}, {start: 'cool'}]),
    series: cpuSeries([
      [0, 300],
      [0, 500],
      [0, 700],
    ]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'two unready pods at 0 % turn the scale-up into a scale-down: keep current',
    mirrors: 'TestReplicaCalcScaleUpUnreadyNoScale',
    ...cpu,
    current: 3,
    target: 30,
    pods: makePods([{}, {ready: false}, {ready: false}]),
    series: cpuSeries([400, 500, 700]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'two unready warming pods: keep current',
    mirrors: 'TestReplicaCalcScaleHotCpuNoScale',
    ...cpu,
    current: 3,
    target: 30,
    pods: makePods([{start: 'cool'}, {start: 'hot', ready: false}, {start: 'hot', ready: false}]),
    series: cpuSeries([400, 500, 700]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'Failed pods are ignored',
    mirrors: 'TestReplicaCalcScaleUpIgnoresFailedPods',
    ...cpu,
    current: 2,
    target: 30,
    pods: makePods([{}, {}, {phase: 'Failed', ready: false}, {phase: 'Failed', ready: false}]),
    series: cpuSeries([500, 700]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'deleting pods are ignored',
    mirrors: 'TestReplicaCalcScaleUpIgnoresDeletionPods',
    ...cpu,
    current: 2,
    target: 30,
    pods: makePods([{}, {}, {deleting: true, ready: false}, {deleting: true, ready: false}]),
    series: cpuSeries([500, 700]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'utilization 28 % over a 50 % target: ceil(0.56 × 5)',
    mirrors: 'TestReplicaCalcScaleDown',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods(specs(5)),
    series: cpuSeries([100, 300, 500, 250, 250]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'ContainerResource scales down on its container',
    mirrors: 'TestReplicaCalcContainerScaleDown',
    ...cpu,
    container: 'container2',
    current: 5,
    target: 50,
    pods: makePods(specs(5)),
    series: cpuSeries([
      [1000, 100],
      [1000, 300],
      [1000, 500],
      [1000, 250],
      [1000, 250],
    ]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'unready pods are left out of a scale-down',
    mirrors: 'TestReplicaCalcScaleDownExcludeUnreadyPods',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods([{}, {}, {}, {ready: false}, {ready: false}]),
    series: cpuSeries([100, 300, 500, 250, 250]),
    expected: 2,
    code: 'ScaleDownSignal',
  },
  {
    name: 'Pending pods are left out of a scale-down',
    mirrors: 'TestReplicaCalcScaleDownExcludeUnscheduledPods',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods([{}, ...specs(4, () => ({phase: 'Pending', ready: false}))]),
    series: cpuSeries([100]),
    expected: 1,
    code: 'ScaleDownSignal',
  },
  {
    name: 'warming pods are left out of a scale-down',
    mirrors: 'TestReplicaCalcScaleDownIgnoreHotCpuPods',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods([{start: 'cool'}, {start: 'cool'}, {start: 'cool'}, {start: 'hot'}, {start: 'hot'}]),
    series: cpuSeries([100, 300, 500, 250, 250]),
    expected: 2,
    code: 'ScaleDownSignal',
  },
  {
    name: 'Failed pods are left out of a scale-down',
    mirrors: 'TestReplicaCalcScaleDownIgnoresFailedPods',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods([...specs(5), {phase: 'Failed', ready: false}, {phase: 'Failed', ready: false}]),
    series: cpuSeries([100, 300, 500, 250, 250]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'deleting pods are left out of a scale-down',
    mirrors: 'TestReplicaCalcScaleDownIgnoresDeletionPods',
    ...cpu,
    current: 5,
    target: 50,
    pods: makePods([...specs(5), {deleting: true, ready: false}, {deleting: true, ready: false}]),
    series: cpuSeries([100, 300, 500, 250, 250]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'utilization 102 % of uneven requests is inside the 0.1 tolerance',
    mirrors: 'TestReplicaCalcTolerance',
    ...cpu,
    current: 3,
    target: 100,
    pods: makePods([{request: 0.9}, {request: 1}, {request: 1.1}]),
    series: cpuSeries([1010, 1030, 1020]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'samples of pods the selector does not list are not counted',
    mirrors: 'TestReplicaCalcSuperfluousMetrics',
    ...cpu,
    current: 4,
    target: 100,
    replicas: {min: 1, max: 30},
    up: {policies: [{type: 'Percent', value: 1000, periodSeconds: 15}]},
    pods: makePods(specs(4)),
    series: cpuSeries([4000, 9500, 3000, 7000, 3200, 2000]),
    expected: 24,
    code: 'ScaleUpSignal',
  },
  {
    name: 'missing pods count 100 % of their request on the way down',
    mirrors: 'TestReplicaCalcMissingMetrics',
    ...cpu,
    current: 4,
    target: 100,
    pods: makePods(specs(4)),
    series: cpuSeries([400, 95]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'no samples at all: the metric is invalid and nothing moves',
    mirrors: 'TestReplicaCalcEmptyMetrics',
    ...cpu,
    current: 4,
    target: 100,
    pods: makePods(specs(3)),
    series: [],
    expected: 4,
    code: 'InvalidMetric',
  },
  {
    name: 'a container without a CPU request makes utilization meaningless: invalid',
    mirrors: 'TestReplicaCalcEmptyCPURequest',
    ...cpu,
    current: 1,
    target: 100,
    pods: makePods([{request: null}]),
    series: cpuSeries([200]),
    expected: 1,
    code: 'InvalidMetric',
  },
  {
    name: 'a missing pod at exactly 100 %: no change',
    mirrors: 'TestReplicaCalcMissingMetricsNoChangeEq',
    ...cpu,
    current: 2,
    target: 100,
    pods: makePods(specs(2)),
    series: cpuSeries([1000]),
    expected: 2,
    code: 'WithinTolerance',
  },
  {
    name: 'a missing pod at 0 % damps a scale-up into tolerance',
    mirrors: 'TestReplicaCalcMissingMetricsNoChangeGt',
    ...cpu,
    current: 2,
    target: 100,
    pods: makePods(specs(2)),
    series: cpuSeries([1900]),
    expected: 2,
    code: 'WithinTolerance',
  },
  {
    name: 'a missing pod at 100 % keeps a small scale-down at current',
    mirrors: 'TestReplicaCalcMissingMetricsNoChangeLt',
    ...cpu,
    current: 2,
    target: 100,
    pods: makePods(specs(2)),
    series: cpuSeries([600]),
    expected: 2,
    code: 'WithinTolerance',
  },
  {
    name: 'missing at 100 % flips a scale-down into a scale-up: keep current',
    mirrors: 'TestReplicaCalcMissingMetricsUnreadyChange',
    ...cpu,
    current: 3,
    target: 50,
    pods: makePods([{ready: false}, {}, {}]),
    series: cpuSeries([100, 450]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'missing and warming pods flip a scale-down: keep current',
    mirrors: 'TestReplicaCalcMissingMetricsHotCpuNoChange',
    ...cpu,
    current: 3,
    target: 50,
    pods: makePods([{start: 'hot'}, {start: 'cool'}, {start: 'cool'}]),
    series: cpuSeries([100, 450]),
    expected: 3,
    code: 'WithinTolerance',
  },
  {
    name: 'missing and unready pods at 0 % on the way up',
    mirrors: 'TestReplicaCalcMissingMetricsUnreadyScaleUp',
    ...cpu,
    current: 3,
    target: 50,
    pods: makePods([{ready: false}, {}, {}]),
    series: cpuSeries([100, 2000]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'missing and warming unready pods at 0 % on the way up',
    mirrors: 'TestReplicaCalcMissingMetricsHotCpuScaleUp',
    ...cpu,
    current: 3,
    target: 50,
    pods: makePods([{start: 'hot', ready: false}, {start: 'cool'}, {start: 'cool'}]),
    series: cpuSeries([100, 2000]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'an unready pod is left out and a missing one counts 100 % on the way down',
    mirrors: 'TestReplicaCalcMissingMetricsUnreadyScaleDown',
    ...cpu,
    current: 4,
    target: 50,
    pods: makePods([{ready: false}, {}, {}, {}]),
    series: cpuSeries([100, 100, 100]),
    expected: 3,
    code: 'ScaleDownSignal',
  },
  {
    name: 'a target over 100 %: a missing pod counts at the target, max(100 %, target)',
    mirrors: 'TestReplicaCalcMissingMetricsScaleDownTargetOver100',
    ...cpu,
    current: 4,
    target: 300,
    pods: makePods([{ready: false}, {}, {request: 2}, {request: 2}]),
    series: cpuSeries([200, 100, 100]),
    expected: 2,
    code: 'ScaleDownSignal',
  },
  {
    name: 'a surge pod without samples during a rollout cannot scale down: missing at 100 %',
    mirrors: 'TestReplicaCalcDuringRollingUpdateWithMaxSurge',
    ...cpu,
    current: 2,
    target: 50,
    pods: makePods(specs(3)),
    series: cpuSeries([100, 100]),
    expected: 2,
    code: 'WithinTolerance',
  },
  {
    name: 'just outside tolerance (50 % over 56 %): a minimal scale-down',
    mirrors: 'TestReplicaCalcComputedToleranceAlgImplementation (first run)',
    ...cpu,
    current: 10,
    target: 56,
    pods: makePods([0.4, 0.2, 0.31, 0.29, 0.302, 0.298, 0.301, 0.299, 0.3, 0.3].map((request) => ({request}))),
    series: cpuSeries(specs(10).map(() => 150)),
    replicas: {min: 1, max: 20},
    expected: 9,
    code: 'ScaleDownSignal',
  },
  {
    name: 'just inside tolerance (50 % over 55 %): no change',
    mirrors: 'TestReplicaCalcComputedToleranceAlgImplementation (second run)',
    ...cpu,
    current: 10,
    target: 55,
    pods: makePods([0.4, 0.2, 0.31, 0.29, 0.302, 0.298, 0.301, 0.299, 0.3, 0.3].map((request) => ({request}))),
    series: cpuSeries(specs(10).map(() => 150)),
    replicas: {min: 1, max: 20},
    expected: 10,
    code: 'WithinTolerance',
  },
  {
    name: 'memory has no readiness rule: a Running unready pod counts',
    mirrors: 'TestGroupPods "count in a ready pod - memory" (groupPods applies readiness to CPU only)',
    resource: 'memory',
    targetType: 'Utilization',
    current: 3,
    target: 50,
    pods: makePods([{ready: false}, {}, {}]),
    series: memorySeries([1024, 512, 512]),
    expected: 4,
    code: 'ScaleUpSignal',
  },
  {
    name: 'CPU AverageValue: mean usage per pod over cores per pod',
    mirrors: 'GetRawResourceReplicas → calcPlainMetricReplicas (target.averageValue)',
    resource: 'cpu',
    targetType: 'AverageValue',
    current: 3,
    target: 0.5,
    pods: makePods(specs(3)),
    series: cpuSeries([300, 500, 700]),
    replicas: {min: 1, max: 10},
    expected: 6,
    code: 'ScaleUpSignal',
  },
  {
    name: 'CPU AverageValue: a missing pod counts at the target on the way down',
    mirrors: 'calcPlainMetricReplicas: missing → targetUsage on scale-down',
    resource: 'cpu',
    targetType: 'AverageValue',
    current: 4,
    target: 1,
    pods: makePods(specs(4)),
    series: cpuSeries([100, 100, 100]),
    expected: 2,
    code: 'ScaleDownSignal',
  },
]
