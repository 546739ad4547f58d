/**
 * Builders for pod-layer tests: a model with HPA's defaults, pods, gauge and histogram series, and a ReplicaInput.
 * Every time is relative to NOW so tables read as "30 s ago", "5 min ago".
 */
import type {ModelConfig, ScalingRules, Settings, SignalConfig} from '../../../../src/core/model/config.js'
import type {PodState, ScaleEvent, Series, WorkloadState} from '../../../../src/core/model/snapshot.js'
import type {ReplicaInput} from '../../../../src/core/policy/replicas/types.js'
import {indexTelemetry} from '../../../../src/core/signals/telemetry-index.js'

export const NOW = 1_700_000_000
export const NS = 'llm'

/** autoscaling/v2 defaults (pkg/apis/autoscaling/v2/defaults.go) with tolerance 0.1 and no cooldown. */
export function scaleUpRules(over: Partial<ScalingRules> = {}): ScalingRules {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      {type: 'Pods', value: 4, periodSeconds: 15},
      {type: 'Percent', value: 100, periodSeconds: 15},
    ],
    tolerance: 0.1,
    cooldownSeconds: 0,
    ...over,
  }
}
export function scaleDownRules(over: Partial<ScalingRules> = {}): ScalingRules {
  return {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{type: 'Percent', value: 100, periodSeconds: 15}],
    tolerance: 0.1,
    cooldownSeconds: 0,
    ...over,
  }
}

export function signal(over: Partial<SignalConfig> & Pick<SignalConfig, 'metric'>): SignalConfig {
  return {
    name: over.metric,
    source: 'pod',
    targetType: 'AverageValue',
    target: 10,
    windowSeconds: 180,
    aggregation: 'avg',
    ...over,
  }
}

export function makeModel(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'llama-8b',
    workload: {kind: 'Deployment', namespace: NS, name: 'llama-8b'},
    replicas: {min: 1, max: 10},
    gpu: {kind: 'whole', count: 1},
    weights: {sizeGiB: 16, loadSeconds: 120},
    kvCacheGiB: 8,
    tolerations: [],
    nodeSelector: {},
    signals: [signal({metric: 'vllm:num_requests_waiting', target: 10})],
    behavior: {scaleUp: scaleUpRules(), scaleDown: scaleDownRules()},
    algorithm: 'gpu-scale',
    healthCheckGraceSeconds: 180,
    terminationGraceSeconds: 600,
    critical: false,
    ...over,
  }
}

export function makeSettings(over: Partial<Settings> = {}): Settings {
  return {
    loopIntervalSeconds: 15,
    slo: {p95LatencySeconds: 2},
    budget: {},
    migStrategy: 'none',
    expanders: ['least-waste'],
    scaleDown: {unneededSeconds: 600, gpuUtilizationThreshold: 0.5, delayAfterAddSeconds: 600},
    staleAfterSeconds: 120,
    warmHeadroomGpus: 0,
    nodes: {mode: 'predictive'},
    ...over,
  }
}

export function pod(name: string, over: Partial<PodState> = {}): PodState {
  return {
    name,
    namespace: NS,
    workload: {kind: 'Deployment', name: 'llama-8b'},
    phase: 'Running',
    node: 'node-a',
    ready: true,
    deleting: false,
    createdAt: NOW - 3600,
    startedAt: NOW - 3600,
    readyAt: NOW - 3300,
    daemon: false,
    ...over,
  }
}

export function pods(n: number, over: Partial<PodState> = {}): PodState[] {
  return Array.from({length: n}, (_, i) => pod(`p${i}`, over))
}

/** A gauge sampled every 15 s over the last `spanSeconds` (default 5 min), ending `ageSeconds` ago. */
export function gauge(
  metric: string,
  podName: string,
  value: number | ((t: number) => number),
  opts: {ageSeconds?: number; spanSeconds?: number; labels?: Record<string, string>} = {},
): Series {
  const end = NOW - (opts.ageSeconds ?? 0)
  const span = opts.spanSeconds ?? 300
  const samples: Array<[number, number]> = []
  for (let t = end - span; t <= end; t += 15) samples.push([t, typeof value === 'function' ? value(t) : value])
  return {metric, labels: {namespace: NS, pod: podName, ...opts.labels}, samples}
}

/** A workload-level series (gateway queue, request rate): labelled with namespace + workload, no pod. */
export function workloadGauge(
  metric: string,
  value: number | ((t: number) => number),
  opts: {ageSeconds?: number; spanSeconds?: number; workload?: string} = {},
): Series {
  const s = gauge(metric, '', value, opts)
  return {metric, labels: {namespace: NS, workload: opts.workload ?? 'llama-8b'}, samples: s.samples}
}

/**
 * Histogram bucket counters for one pod whose requests all take about `latencySeconds`: `ratePerSecond` requests
 * land in the first bucket at or above it, cumulatively in every bucket above.
 */
export function latencyHistogram(
  metric: string,
  podName: string,
  latencySeconds: number,
  ratePerSecond = 2,
  bounds = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 60],
): Series[] {
  const out: Series[] = []
  for (const le of [...bounds, Infinity]) {
    const counts = le >= latencySeconds ? ratePerSecond : 0
    const samples: Array<[number, number]> = []
    for (let t = NOW - 300; t <= NOW; t += 15) samples.push([t, counts * (t - (NOW - 300))])
    out.push({metric, labels: {namespace: NS, pod: podName, le: le === Infinity ? '+Inf' : String(le)}, samples})
  }
  return out
}

export function workload(over: Partial<WorkloadState> = {}): WorkloadState {
  return {
    kind: 'Deployment',
    namespace: NS,
    name: 'llama-8b',
    specReplicas: 3,
    readyReplicas: 3,
    scaleEvents: [],
    recommendations: [],
    ...over,
  }
}

export function makeInput(args: {
  model?: ModelConfig
  pods?: PodState[]
  series?: Series[]
  workload?: Partial<WorkloadState>
  settings?: Partial<Settings>
  events?: ScaleEvent[]
  coldStartSeconds?: number
  now?: number
}): ReplicaInput {
  const podList = args.pods ?? pods(3)
  return {
    model: args.model ?? makeModel(),
    workload: workload({
      specReplicas: podList.filter((p) => !p.deleting).length,
      readyReplicas: podList.filter((p) => p.ready).length,
      ...args.workload,
    }),
    pods: podList,
    telemetry: indexTelemetry(args.series ?? []),
    settings: makeSettings(args.settings),
    now: args.now ?? NOW,
    ...(args.coldStartSeconds !== undefined ? {coldStartSeconds: args.coldStartSeconds} : {}),
  }
}

/** One gauge per pod with the given values, in pod order. */
export function perPod(metric: string, values: number[], opts: {ageSeconds?: number} = {}): Series[] {
  return values.map((v, i) => gauge(metric, `p${i}`, v, opts))
}
