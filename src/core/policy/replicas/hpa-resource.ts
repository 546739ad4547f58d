/**
 * HPA `Resource` and `ContainerResource` metrics (CPU and memory as metrics-server reports them), ported from
 * https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/podautoscaler/replica_calculator.go
 * (`GetResourceReplicas`, `GetRawResourceReplicas`, `groupPods`, `calculateRequests`) and
 * pkg/controller/podautoscaler/metrics/utilization.go (`GetResourceUtilizationRatio`).
 *
 * What the snapshot stands in for:
 *   metrics-server's pod usage  → `container_cpu_usage_seconds_total` (a counter: its rate over the signal's window,
 *                                  ending at the newest sample) and `container_memory_working_set_bytes` (the newest
 *                                  sample), per container, summed over the pod's containers (or one container);
 *   the metric's Timestamp/Window → the newest sample's time and the signal's window;
 *   pod.spec requests            → `PodState.containerRequests[].requests`;
 *   the Ready condition          → `ready`, with `readyAt` / `notReadySince` as its lastTransitionTime.
 *
 * CPU readiness (groupPods, resource == cpu), with the kube-controller-manager defaults:
 *   - a pod started less than 5 min ago (--horizontal-pod-autoscaler-cpu-initialization-period) is unready when it is
 *     not Ready, or when its sample does not cover one full window since it became Ready (warm-up CPU is not load);
 *   - an older pod is unready only when it is not Ready and never was: it went unready within 30 s of starting
 *     (--horizontal-pod-autoscaler-initial-readiness-delay);
 *   - a pod with no start time or no Ready condition is unready.
 * Unready pods' samples are ignored; on a scale-up they count as 0 % (so warming pods damp the scale-up).
 * Missing pods (listed, Running, no sample) count as max(100 %, target) of their request on a scale-down and as 0 on
 * a scale-up, so missing data never speeds up a move. Memory has no readiness rule: only Pending pods are unready.
 */
import type {ResourceMetric, SignalConfig} from '../../model/config.js'
import type {PodState, Series} from '../../model/snapshot.js'
import {type TelemetryIndex, seriesForPod} from '../../signals/telemetry-index.js'
import {computeCounterRate, type Sample, selectWindow} from '../../signals/window.js'

/** kube-controller-manager --horizontal-pod-autoscaler-cpu-initialization-period default. */
export const CPU_INITIALIZATION_PERIOD_SECONDS = 300
/** kube-controller-manager --horizontal-pod-autoscaler-initial-readiness-delay default. */
export const DELAY_OF_INITIAL_READINESS_STATUS_SECONDS = 30

/** The metric names a Resource signal reads, as cAdvisor (kubelet /metrics/cadvisor) exports them. */
export const RESOURCE_METRICS = {
  cpu: 'container_cpu_usage_seconds_total',
  memory: 'container_memory_working_set_bytes',
} as const

/** One pod's usage as the resource metrics API would return it: milli-units, with when and over how long. */
export interface PodResourceMetric {
  value: number
  timestamp: number
  windowSeconds: number
}

/** The pod fields the CPU readiness rule reads. */
export type ResourcePod = Pick<
  PodState,
  'name' | 'phase' | 'ready' | 'deleting' | 'startedAt' | 'readyAt' | 'notReadySince' | 'containerRequests'
>

/**
 * Per-pod usage of `resource` in milli-units (cores × 1000, bytes × 1000, as Quantity.MilliValue gives them). A pod
 * whose series are all stale, too short for a rate, or hold a sample the input boundary dropped has no entry: it is
 * "missing", exactly as a pod metrics-server has no sample for.
 */
export function readResourceMetrics(
  signal: SignalConfig,
  resource: ResourceMetric,
  telemetry: TelemetryIndex,
  namespace: string,
  podNames: readonly string[],
  now: number,
  staleAfterSeconds: number,
): Map<string, PodResourceMetric> {
  const out = new Map<string, PodResourceMetric>()
  for (const pod of podNames) {
    let total = 0
    let newest = -Infinity
    let any = false
    for (const s of seriesForPod(telemetry, signal.metric, namespace, pod)) {
      const container = s.labels.container ?? ''
      // cAdvisor's pod-level cgroup (container="") and the pause container ("POD") are not the pod's containers.
      if (container === '' || container === 'POD') continue
      if (resource.container !== undefined && container !== resource.container) continue
      const read = readContainerUsage(s, resource.name, signal.windowSeconds, now, staleAfterSeconds)
      if (read === null) continue
      total += read.value
      newest = Math.max(newest, read.at)
      any = true
    }
    if (any) out.set(pod, {value: Math.round(total * 1000), timestamp: newest, windowSeconds: signal.windowSeconds})
  }
  return out
}

function readContainerUsage(
  series: Series,
  resource: ResourceMetric['name'],
  windowSeconds: number,
  now: number,
  staleAfterSeconds: number,
): {value: number; at: number} | null {
  const samples = series.samples.filter((x) => Number.isFinite(x[1]) && x[0] <= now)
  const last = samples[samples.length - 1]
  if (!last || last[0] < now - staleAfterSeconds) return null
  if (series.dropped !== undefined && series.dropped.newestAt > last[0] - windowSeconds) return null
  if (resource === 'memory') return {value: last[1], at: last[0]}
  const rate = computeCounterRate(selectWindow(samples as Sample[], last[0] - windowSeconds, last[0]))
  return rate === null ? null : {value: rate, at: last[0]}
}

export interface PodGrouping {
  readyPodCount: number
  unready: Set<string>
  missing: Set<string>
  ignored: Set<string>
}

/**
 * The replica calculator's `groupPods`: deleting and Failed pods are ignored, Pending pods unready, listed pods
 * without a sample missing, the rest ready unless `unreadyWith` says a pod's sample must be set aside (CPU's
 * readiness rule).
 */
export function groupPodsBy<P extends Pick<PodState, 'name' | 'phase' | 'deleting'>, M>(
  pods: readonly P[],
  metrics: ReadonlyMap<string, M>,
  unreadyWith: (pod: P, metric: M) => boolean = () => false,
): PodGrouping {
  const unready = new Set<string>()
  const missing = new Set<string>()
  const ignored = new Set<string>()
  let readyPodCount = 0
  for (const pod of pods) {
    const metric = metrics.get(pod.name)
    if (pod.deleting || pod.phase === 'Failed') ignored.add(pod.name)
    else if (pod.phase === 'Pending') unready.add(pod.name)
    else if (metric === undefined) missing.add(pod.name)
    else if (unreadyWith(pod, metric)) unready.add(pod.name)
    else readyPodCount++
  }
  return {readyPodCount, unready, missing, ignored}
}

/** `groupPods` for a Resource metric: the readiness rule above for CPU; for memory only Pending pods are unready. */
export function groupResourcePods(
  pods: readonly ResourcePod[],
  metrics: ReadonlyMap<string, PodResourceMetric>,
  resource: ResourceMetric['name'],
  now: number,
): PodGrouping {
  return groupPodsBy(pods, metrics, (pod, metric) => resource === 'cpu' && isCpuUnready(pod, metric, now))
}

function isCpuUnready(pod: ResourcePod, metric: PodResourceMetric, now: number): boolean {
  const transition = pod.ready ? pod.readyAt : pod.notReadySince
  if (pod.startedAt === undefined) return true
  if (pod.startedAt + CPU_INITIALIZATION_PERIOD_SECONDS > now) {
    // Still warming up: ignore the sample unless a whole window was measured after the pod became Ready.
    if (!pod.ready || transition === undefined) return true
    return metric.timestamp < transition + metric.windowSeconds
  }
  // Past warm-up: ignore only a pod that is unready and never was ready (unready since its first 30 s).
  if (pod.ready) return false
  return transition === undefined || pod.startedAt + DELAY_OF_INITIAL_READINESS_STATUS_SECONDS > transition
}

/**
 * `calculateRequests`: each pod's request for the resource in milli-units, summed over its containers (or the one
 * named). Every listed pod must declare it, as upstream: a container without a request is an error, since a
 * utilization of an unknown request means nothing.
 */
export function calculateRequests(
  pods: readonly ResourcePod[],
  resource: ResourceMetric,
): Map<string, number> | {error: string} {
  const requests = new Map<string, number>()
  for (const pod of pods) {
    if (pod.containerRequests === undefined)
      return {error: `no container requests captured for Pod ${pod.name} (take the snapshot with gpu-scale snapshot)`}
    let request = 0
    let found = resource.container === undefined
    for (const c of pod.containerRequests) {
      if (resource.container !== undefined && c.name !== resource.container) continue
      const value = c.requests[resource.name]
      if (value === undefined)
        return {error: `missing request for ${resource.name} in container ${c.name} of Pod ${pod.name}`}
      request += Math.round(value * 1000)
      found = true
    }
    if (!found) return {error: `container ${resource.container} not found in Pod ${pod.name}`}
    requests.set(pod.name, request)
  }
  return requests
}

/**
 * `GetResourceUtilizationRatio`: total usage over total requests of the pods with both, as an int32 percentage
 * (int64 division: 587.5 % is 587), over the target percentage. Metrics of pods without a request are extraneous.
 */
export function computeUtilizationRatio(
  metrics: ReadonlyMap<string, number>,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): {ratio: number; utilization: number} | {error: string} {
  let metricsTotal = 0n
  let requestsTotal = 0n
  for (const [pod, value] of metrics) {
    const request = requests.get(pod)
    if (request === undefined) continue
    metricsTotal += BigInt(value)
    requestsTotal += BigInt(request)
  }
  if (requestsTotal === 0n) return {error: 'no metrics returned matched known pods'}
  const utilization = Number((metricsTotal * 100n) / requestsTotal)
  return {ratio: utilization / targetUtilization, utilization}
}
