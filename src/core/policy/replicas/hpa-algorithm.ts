/**
 * HPA-exact mode (`algorithm: 'hpa'`): reproduces an autoscaling/v2 HorizontalPodAutoscaler's decision for one sync,
 * from the snapshot's pods, per-pod samples, scale-event history and past recommendations, so users can compare
 * gpu-scale with what their HPA would do. Ported rule by rule; each function links its upstream source:
 *   replica math  https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/podautoscaler/replica_calculator.go
 *   reconcile     https://github.com/kubernetes/kubernetes/blob/master/pkg/controller/podautoscaler/horizontal.go
 *
 * Mapping of gpu-scale signals to HPA metric sources:
 *   `resource` signal             → `Resource` / `ContainerResource` (cpu, memory; ./hpa-resource.ts: requests, CPU
 *                                   readiness, missing pods at max(100 %, target)): Utilization → GetResourceReplicas,
 *                                   AverageValue → GetRawResourceReplicas;
 *   pod/gpu source, AverageValue → `Pods` metric (calcPlainMetricReplicas, per-pod samples);
 *   pod/gpu source, Value        → `Object` metric on the workload (its workload-level value, e.g. a p95);
 *   workload source, Value       → `External` metric, Value target (sum of series);
 *   workload source, AverageValue → `External` metric, AverageValue target.
 * Values go through milli-units as the metrics APIs deliver them (Quantity.MilliValue), and per-pod averages use
 * integer division as GetMetricUsageRatio does, so ceil() lands where the controller's does.
 * For custom metrics only Pending pods are "unready" (groupPods' readiness rules apply to CPU only); a pod whose
 * newest sample is older than settings.staleAfterSeconds is "missing", as the metrics adapter would not return it.
 */
import type {ResourceMetric, SignalConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {PodState} from '../../model/snapshot.js'
import {readSignal} from '../../signals/read-signal.js'
import {limitLegacy, limitScaleRate, stabilizeLegacy, stabilizeRecommendation, type Recommendation} from './behavior.js'
import {workloadNames} from './gpu-scale-algorithm.js'
import {
  calculateRequests,
  computeUtilizationRatio,
  groupPodsBy,
  groupResourcePods,
  type PodGrouping,
  type PodResourceMetric,
  readResourceMetrics,
  type ResourcePod,
} from './hpa-resource.js'
import type {ReplicaDecision, ReplicaInput, SignalProposal} from './types.js'

const MAX_INT32 = 2147483647

export interface Tolerances {
  scaleDown: number
  scaleUp: number
}

/** `Tolerances.isWithin`: (1 - down) ≤ ratio ≤ (1 + up). */
export function isWithinTolerance(t: Tolerances, ratio: number): boolean {
  return 1 - t.scaleDown <= ratio && ratio <= 1 + t.scaleUp
}

export function toMilli(value: number): number {
  return Math.round(value * 1000)
}

export type MetricResult = {replicas: number; usage: number} | {error: string}

export interface HpaPod {
  name: string
  phase: PodState['phase']
  ready: boolean
  deleting: boolean
}

/** `groupPods` for non-CPU metrics: ignored (deleting/Failed), unready (Pending), missing (no metric), ready. */
export function groupPods(pods: readonly HpaPod[], metrics: ReadonlyMap<string, number>): PodGrouping {
  return groupPodsBy(pods, metrics)
}

/** `GetMetricUsageRatio`: mean in milli-units with int64 division, over the target. */
function computeUsageRatio(metrics: ReadonlyMap<string, number>, targetMilli: number): {ratio: number; usage: number} {
  let total = 0
  for (const v of metrics.values()) total += v
  const usage = Math.trunc(total / metrics.size)
  return {ratio: usage / targetMilli, usage}
}

/**
 * `calcPlainMetricReplicas`: Pods metrics (and Resource metrics with an AverageValue target) with the two-pass
 * conservative fill-in and direction-flip guards. `grouping` replaces groupPods' custom-metric rules (CPU has its own).
 */
export function calcPlainMetricReplicas(
  pods: readonly HpaPod[],
  podMetrics: ReadonlyMap<string, number>,
  current: number,
  targetMilli: number,
  tol: Tolerances,
  grouping?: PodGrouping,
): MetricResult {
  if (pods.length === 0) return {error: 'no pods returned by selector while calculating replica count'}
  const metrics = new Map(podMetrics)
  const {readyPodCount, unready, missing, ignored} = grouping ?? groupPods(pods, metrics)
  for (const name of [...ignored, ...unready]) metrics.delete(name)
  // Samples of pods the selector no longer lists do not belong to this workload in a snapshot; drop them.
  const listed = new Set(pods.map((p) => p.name))
  for (const name of [...metrics.keys()]) if (!listed.has(name)) metrics.delete(name)
  if (metrics.size === 0) return {error: 'did not receive metrics for targeted pods (pods might be unready)'}
  const {ratio, usage} = computeUsageRatio(metrics, targetMilli)
  const scaleUpWithUnready = unready.size > 0 && ratio > 1
  if (!scaleUpWithUnready && missing.size === 0) {
    if (isWithinTolerance(tol, ratio)) return {replicas: current, usage}
    return {replicas: capInt32(Math.ceil(ratio * readyPodCount)), usage}
  }
  if (missing.size > 0) {
    // Scale-down: a missing pod is assumed exactly at target; scale-up: assumed idle (0).
    if (ratio < 1) for (const name of missing) metrics.set(name, targetMilli)
    else if (ratio > 1) for (const name of missing) metrics.set(name, 0)
  }
  if (scaleUpWithUnready) for (const name of unready) metrics.set(name, 0)
  const {ratio: newRatio} = computeUsageRatio(metrics, targetMilli)
  if (isWithinTolerance(tol, newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
    return {replicas: current, usage}
  const newReplicas = capInt32(Math.ceil(newRatio * metrics.size))
  if ((newRatio < 1 && newReplicas > current) || (newRatio > 1 && newReplicas < current))
    return {replicas: current, usage}
  return {replicas: newReplicas, usage}
}

/**
 * `GetResourceReplicas`: a Resource metric with a Utilization target. Like calcPlainMetricReplicas, but on the ratio
 * of total usage to total requests, and a missing pod counts as max(100 %, target) of its request on a scale-down.
 */
export function calcResourceUtilizationReplicas(
  pods: readonly ResourcePod[],
  podMetrics: ReadonlyMap<string, PodResourceMetric>,
  current: number,
  targetUtilization: number,
  resource: ResourceMetric,
  tol: Tolerances,
  now: number,
): MetricResult {
  if (pods.length === 0) return {error: 'no pods returned by selector while calculating replica count'}
  const {readyPodCount, unready, missing, ignored} = groupResourcePods(pods, podMetrics, resource.name, now)
  const metrics = new Map<string, number>()
  for (const [name, m] of podMetrics) if (!ignored.has(name) && !unready.has(name)) metrics.set(name, m.value)
  if (metrics.size === 0) return {error: 'did not receive metrics for targeted pods (pods might be unready)'}
  const requests = calculateRequests(pods, resource)
  if ('error' in requests) return requests
  const first = computeUtilizationRatio(metrics, requests, targetUtilization)
  if ('error' in first) return first
  const {ratio, utilization} = first
  const scaleUpWithUnready = unready.size > 0 && ratio > 1
  if (!scaleUpWithUnready && missing.size === 0) {
    if (isWithinTolerance(tol, ratio)) return {replicas: current, usage: utilization}
    return {replicas: capInt32(Math.ceil(ratio * readyPodCount)), usage: utilization}
  }
  if (missing.size > 0) {
    // A scale-down assumes a missing pod uses all its request (or the target, when that is above 100 %).
    const fallback = Math.max(100, Math.trunc(targetUtilization))
    if (ratio < 1)
      for (const name of missing) metrics.set(name, Math.trunc(((requests.get(name) ?? 0) * fallback) / 100))
    else if (ratio > 1) for (const name of missing) metrics.set(name, 0)
  }
  if (scaleUpWithUnready) for (const name of unready) metrics.set(name, 0)
  const second = computeUtilizationRatio(metrics, requests, targetUtilization)
  if ('error' in second) return second
  const newRatio = second.ratio
  if (isWithinTolerance(tol, newRatio) || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1))
    return {replicas: current, usage: utilization}
  const newReplicas = capInt32(Math.ceil(newRatio * metrics.size))
  if ((newRatio < 1 && newReplicas > current) || (newRatio > 1 && newReplicas < current))
    return {replicas: current, usage: utilization}
  return {replicas: newReplicas, usage: utilization}
}

/** `getUsageRatioReplicaCount` (Object and External Value targets): ready = Running and Ready; from zero, ceil(ratio). */
export function calcUsageRatioReplicas(
  pods: readonly HpaPod[],
  current: number,
  ratio: number,
  tol: Tolerances,
): MetricResult {
  if (current === 0) return {replicas: capInt32(Math.ceil(ratio)), usage: 0}
  if (isWithinTolerance(tol, ratio)) return {replicas: current, usage: 0}
  if (pods.length === 0)
    return {error: 'unable to calculate ready pods: no pods returned by selector while calculating replica count'}
  const ready = pods.filter((p) => p.phase === 'Running' && p.ready).length
  return {replicas: capInt32(Math.ceil(ratio * ready)), usage: 0}
}

/** `GetExternalPerPodMetricReplicas` / `GetObjectPerPodMetricReplicas`: AverageValue against status.replicas. */
export function calcPerPodTotalReplicas(
  statusReplicas: number,
  usageMilli: number,
  targetMilli: number,
  tol: Tolerances,
): MetricResult {
  const ratio = usageMilli / (targetMilli * statusReplicas)
  const replicas = isWithinTolerance(tol, ratio) ? statusReplicas : capInt32(Math.ceil(usageMilli / targetMilli))
  return {replicas, usage: statusReplicas > 0 ? Math.ceil(usageMilli / statusReplicas) : usageMilli}
}

function capInt32(n: number): number {
  return n > MAX_INT32 ? MAX_INT32 : n
}

export function recommendHpa(input: ReplicaInput): ReplicaDecision {
  const {model, workload, now} = input
  const current = workload.specReplicas
  const min = model.replicas.min
  const max = model.replicas.max
  const reasons: Reason[] = []
  const diagnostics: ReplicaDecision['diagnostics'] = []
  const target = {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace}
  const base = {current, algorithm: 'hpa' as const}

  // reconcileAutoscaler pre-checks: these skip metrics and normalization entirely.
  if (current === 0 && min !== 0) {
    reasons.push({
      code: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
      evidence: {current, min},
    })
    return {...base, desired: 0, proposals: [], decidedBy: null, reasons, diagnostics}
  }
  if (current > max) {
    reasons.push({
      code: 'CurrentAboveMax',
      message: `current number of replicas ${current} above maxReplicas ${max}`,
      evidence: {current, max},
    })
    return {...base, desired: max, proposals: [], decidedBy: null, reasons, diagnostics}
  }
  if (current < min) {
    reasons.push({
      code: 'CurrentBelowMin',
      message: `current number of replicas ${current} below minReplicas ${min}`,
      evidence: {current, min},
    })
    return {...base, desired: min, proposals: [], decidedBy: null, reasons, diagnostics}
  }

  // computeReplicasForMetrics: the max over valid metrics; invalid metrics block a scale-down.
  const tol: Tolerances = {scaleDown: model.behavior.scaleDown.tolerance, scaleUp: model.behavior.scaleUp.tolerance}
  const hpaPods: HpaPod[] = input.pods.map((p) => ({
    name: p.name,
    phase: p.phase,
    ready: p.ready,
    deleting: p.deleting,
  }))
  const statusReplicas = input.pods.filter((p) => !p.deleting && p.phase !== 'Failed' && p.phase !== 'Succeeded').length
  const proposals: SignalProposal[] = []
  let replicas = 0
  let metricName: string | null = null
  let invalidCount = 0
  let firstError: string | null = null
  for (const signal of model.signals) {
    const result = computeMetricReplicas(signal, input, hpaPods, statusReplicas, current, tol)
    proposals.push(result.proposal)
    if ('error' in result.outcome) {
      invalidCount++
      firstError ??= `${signal.name}: ${result.outcome.error}`
      diagnostics.push({
        severity: 'warning',
        code: 'InvalidMetric',
        message: `${signal.name} (${signal.metric}): ${result.outcome.error}`,
        target,
        evidence: {signal: signal.name},
      })
      continue
    }
    if (replicas === 0 || result.outcome.replicas > replicas) {
      replicas = result.outcome.replicas
      metricName = signal.name
    }
  }
  if (model.signals.length === 0 || invalidCount >= model.signals.length || (invalidCount > 0 && replicas < current)) {
    reasons.push({
      code: 'InvalidMetric',
      message:
        model.signals.length === 0
          ? 'no metrics configured'
          : `invalid metrics (${invalidCount} invalid out of ${model.signals.length}), first error is: ${firstError}${invalidCount < model.signals.length ? '; a scale-down is never taken with invalid metrics' : ''}`,
      evidence: {invalid: invalidCount, metrics: model.signals.length, proposed: replicas},
    })
    return {...base, desired: current, proposals, decidedBy: null, reasons, diagnostics}
  }
  let desired = 0
  if (replicas > desired) desired = replicas
  if (desired > current)
    reasons.push({
      code: 'ScaleUpSignal',
      message: `${metricName} above target: ${desired} replicas`,
      evidence: {signal: metricName, proposed: desired, current},
    })
  else if (desired < current)
    reasons.push({
      code: 'ScaleDownSignal',
      message: `all metrics below target: ${desired} replicas`,
      evidence: {signal: metricName, proposed: desired, current},
    })
  else
    reasons.push({
      code: 'WithinTolerance',
      message: `metrics within tolerance [down ${tol.scaleDown}, up ${tol.scaleUp}]: ${current} replicas`,
      evidence: {current},
    })

  // recordInitialRecommendation: a controller with no history starts it with the current count, now.
  const history: Recommendation[] =
    workload.recommendations.length > 0 ? workload.recommendations : [{at: now, replicas: current}]
  const recommendation = {at: now, replicas: desired}
  if (model.legacyHpaBehavior) {
    const stabilized = stabilizeLegacy(desired, now, history, model.behavior.scaleDown.stabilizationWindowSeconds)
    if (stabilized.reason) reasons.push(stabilized.reason)
    const limited = limitLegacy(current, stabilized.value, min, max)
    if (limited.reason) reasons.push(limited.reason)
    desired = limited.value
  } else {
    const stabilized = stabilizeRecommendation({
      current,
      desired,
      now,
      history,
      upWindowSeconds: model.behavior.scaleUp.stabilizationWindowSeconds,
      downWindowSeconds: model.behavior.scaleDown.stabilizationWindowSeconds,
    })
    if (stabilized.reason) reasons.push(stabilized.reason)
    const limited = limitScaleRate({
      current,
      desired: stabilized.value,
      min,
      max,
      events: workload.scaleEvents,
      now,
      scaleUp: model.behavior.scaleUp,
      scaleDown: model.behavior.scaleDown,
    })
    if (limited.reason) reasons.push(limited.reason)
    desired = limited.value
  }
  return {
    ...base,
    desired,
    proposals,
    decidedBy: desired !== current ? metricName : null,
    reasons,
    diagnostics,
    recommendation,
  }
}

function computeMetricReplicas(
  signal: SignalConfig,
  input: ReplicaInput,
  pods: readonly HpaPod[],
  statusReplicas: number,
  current: number,
  tol: Tolerances,
): {proposal: SignalProposal; outcome: MetricResult} {
  const {model, settings, now} = input
  if (signal.resource) return computeResourceMetricReplicas(signal, signal.resource, input, current, tol)
  const ctx = {
    telemetry: input.telemetry,
    namespace: model.workload.namespace,
    workloadNames: workloadNames(model),
    podNames: pods.map((p) => p.name),
    now,
    staleAfterSeconds: settings.staleAfterSeconds,
  }
  const reading = readSignal(signal, ctx)
  const targetMilli = toMilli(signal.target)
  const proposal: SignalProposal = {
    signal: signal.name,
    metric: signal.metric,
    value: reading.value === null ? null : Math.round(reading.value * 1000) / 1000,
    target: signal.target,
    windowSeconds: signal.windowSeconds,
    aggregation: signal.aggregation,
    replicas: null,
    // An HPA has no idle metric: a quantile with no observations is NaN, which the metrics adapter drops (missing).
    status: reading.status === 'idle' ? 'missing' : reading.status,
  }
  let outcome: MetricResult
  const kind = describeSource(signal)
  if (kind === 'Pods') {
    const metrics = new Map<string, number>()
    for (const [pod, v] of Object.entries(reading.perPod)) metrics.set(pod, toMilli(v))
    outcome = calcPlainMetricReplicas(pods, metrics, current, targetMilli, tol)
  } else if (reading.value === null) {
    outcome = {
      error: `unable to get ${kind.toLowerCase()} metric ${signal.metric}: ${reading.status === 'stale' ? 'stale samples' : 'no samples'}`,
    }
  } else if (kind === 'External AverageValue') {
    outcome = calcPerPodTotalReplicas(statusReplicas, toMilli(reading.value), targetMilli, tol)
  } else {
    outcome = calcUsageRatioReplicas(pods, current, toMilli(reading.value) / targetMilli, tol)
  }
  if ('error' in outcome) {
    if (proposal.status === 'ok') proposal.status = 'missing'
    proposal.note = `${kind}: ${outcome.error}`
  } else {
    proposal.replicas = outcome.replicas
    proposal.note = kind
  }
  return {proposal, outcome}
}

function describeSource(signal: SignalConfig): 'Pods' | 'Object Value' | 'External Value' | 'External AverageValue' {
  if (signal.source === 'workload') return signal.targetType === 'Value' ? 'External Value' : 'External AverageValue'
  return signal.targetType === 'AverageValue' ? 'Pods' : 'Object Value'
}

/** A Resource / ContainerResource metric: Utilization → GetResourceReplicas; AverageValue → GetRawResourceReplicas. */
function computeResourceMetricReplicas(
  signal: SignalConfig,
  resource: ResourceMetric,
  input: ReplicaInput,
  current: number,
  tol: Tolerances,
): {proposal: SignalProposal; outcome: MetricResult} {
  const {model, settings, now} = input
  const metrics = readResourceMetrics(
    signal,
    resource,
    input.telemetry,
    model.workload.namespace,
    input.pods.map((p) => p.name),
    now,
    settings.staleAfterSeconds,
  )
  const kind = `${resource.container === undefined ? 'Resource' : 'ContainerResource'} ${resource.name} ${resource.targetType}`
  let outcome: MetricResult
  if (metrics.size === 0) {
    outcome = {
      error: `unable to get metrics for resource ${resource.name}: no metrics returned from resource metrics API`,
    }
  } else if (resource.targetType === 'Utilization') {
    outcome = calcResourceUtilizationReplicas(input.pods, metrics, current, signal.target, resource, tol, now)
  } else {
    const values = new Map<string, number>()
    for (const [name, m] of metrics) values.set(name, m.value)
    const grouping = groupResourcePods(input.pods, metrics, resource.name, now)
    const hpaPods = input.pods.map((p) => ({name: p.name, phase: p.phase, ready: p.ready, deleting: p.deleting}))
    outcome = calcPlainMetricReplicas(hpaPods, values, current, toMilli(signal.target), tol, grouping)
  }
  const proposal: SignalProposal = {
    signal: signal.name,
    metric: signal.metric,
    value: 'error' in outcome ? null : resource.targetType === 'Utilization' ? outcome.usage : outcome.usage / 1000,
    target: signal.target,
    windowSeconds: signal.windowSeconds,
    aggregation: signal.aggregation,
    replicas: 'error' in outcome ? null : outcome.replicas,
    status: 'error' in outcome ? 'missing' : 'ok',
    note: 'error' in outcome ? `${kind}: ${outcome.error}` : kind,
  }
  return {proposal, outcome}
}
