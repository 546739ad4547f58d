/**
 * `gpu-scale analyze`: per model and per GPU, what limits the replicas (compute, memory bandwidth, PCIe, CPU /
 * preprocessing, KV-cache capacity, underutilized, healthy), with the evidence values and which signal to scale
 * on. Pure: (config, snapshot) → AnalysisResult; the classification rules live in src/core/signals/bottleneck.ts
 * so `analyze` and the replica recommender can never disagree.
 */
import type {PolicyConfig, ModelConfig} from '../model/config.js'
import {formatTimestamp} from '../model/duration.js'
import type {Diagnostic, Evidence} from '../model/plan.js'
import type {ClusterSnapshot, PodState, Series} from '../model/snapshot.js'
import {assignPodRoles} from '../policy/replicas/pod-roles.js'
import {recommendReplicas} from '../policy/replicas/recommend.js'
import {workloadNames} from '../policy/replicas/gpu-scale-algorithm.js'
import {type BottleneckKind, classifyBottleneck, collectEvidence, toEvidence} from '../signals/bottleneck.js'
import {indexTelemetry, seriesOfPod, type TelemetryIndex} from '../signals/telemetry-index.js'

export const ANALYSIS_KIND = 'Analysis'

export interface SignalAdvice {
  /** The metric to scale on for this kind of limit. */
  metric: string | null
  /** The configured signal that reads it, or null when the config has none (then: add one). */
  signal: string | null
  message: string
}

export interface GpuAnalysis {
  node: string
  gpu: string
  uuid: string | null
  /** MIG instance profile (`3g.40gb`) when the pod holds a MIG slice. */
  migProfile: string | null
  pod: string
  classification: BottleneckKind
  message: string
  evidence: Evidence
}

export interface ModelAnalysis {
  model: string
  namespace: string
  workload: string
  classification: BottleneckKind
  message: string
  evidence: Evidence
  recommendation: SignalAdvice
  replicas: {current: number; desired: number; decidedBy: string | null; unreliableSignals: string[]}
  pods: {serving: number; arriving: number; unhealthy: number}
  gpus: GpuAnalysis[]
}

export interface AnalysisResult {
  kind: typeof ANALYSIS_KIND
  analyzedAt: string
  models: ModelAnalysis[]
  diagnostics: Diagnostic[]
}

const DCGM_PREFIX = 'DCGM_FI_'

export function analyzeCluster(config: PolicyConfig, snapshot: ClusterSnapshot): AnalysisResult {
  const telemetry = indexTelemetry(snapshot.telemetry)
  const now = snapshot.capturedAt
  const diagnostics: Diagnostic[] = []
  const models = config.models.map((model) => analyzeModel(model, config, snapshot, telemetry, now, diagnostics))
  return {kind: ANALYSIS_KIND, analyzedAt: formatTimestamp(now), models, diagnostics}
}

function analyzeModel(
  model: ModelConfig,
  config: PolicyConfig,
  snapshot: ClusterSnapshot,
  telemetry: TelemetryIndex,
  now: number,
  diagnostics: Diagnostic[],
): ModelAnalysis {
  const {namespace, name, kind} = model.workload
  const pods = snapshot.pods.filter((p) => p.namespace === namespace && p.workload?.name === name)
  const roles = assignPodRoles(pods, now, model.healthCheckGraceSeconds)
  const windowSeconds = Math.max(180, ...model.signals.map((s) => s.windowSeconds))
  const ctx = {
    telemetry,
    namespace,
    workloadNames: workloadNames(model),
    podNames: roles.serving.map((p) => p.name),
    now,
    staleAfterSeconds: config.settings.staleAfterSeconds,
    windowSeconds,
  }
  const evidence = collectEvidence(ctx)
  const classification = classifyBottleneck(evidence, config.settings.slo)
  const workload = snapshot.workloads.find((w) => w.namespace === namespace && w.name === name && w.kind === kind)
  let replicas: ModelAnalysis['replicas'] = {
    current: pods.length,
    desired: pods.length,
    decidedBy: null,
    unreliableSignals: [],
  }
  if (workload) {
    const decision = recommendReplicas({model, workload, pods, telemetry, settings: config.settings, now})
    replicas = {
      current: decision.current,
      desired: decision.desired,
      decidedBy: decision.decidedBy,
      unreliableSignals: decision.proposals.filter((p) => p.status === 'unreliable').map((p) => p.signal),
    }
  } else {
    diagnostics.push({
      severity: 'warning',
      code: 'WorkloadNotFound',
      message: `${kind} ${namespace}/${name} of model ${model.name} is not in the snapshot`,
      target: {kind, name, namespace},
    })
  }
  const first = classification.reasons[0]
  return {
    model: model.name,
    namespace,
    workload: `${kind}/${name}`,
    classification: classification.kind,
    message: first?.message ?? '',
    evidence: toEvidence(evidence),
    recommendation: adviseSignal(model, classification.recommendedSignal),
    replicas,
    pods: {serving: roles.serving.length, arriving: roles.arriving.length, unhealthy: roles.unhealthy.length},
    gpus: roles.serving.flatMap((pod) =>
      analyzePodGpus(pod, telemetry, {...ctx, podNames: [pod.name]}, config.settings.slo),
    ),
  }
}

/** Names the configured signal for the recommended metric, or says to add one. */
function adviseSignal(model: ModelConfig, recommended: {metric: string; why: string} | null): SignalAdvice {
  if (!recommended) return {metric: null, signal: null, message: 'no change: the configured signals fit this workload'}
  const base = recommended.metric.replace(/_bucket$/, '')
  const configured = model.signals.find(
    (s) => s.metric === recommended.metric || s.metric.replace(/_bucket$/, '') === base,
  )
  return configured
    ? {
        metric: recommended.metric,
        signal: configured.name,
        message: `scale on ${configured.name} (${configured.metric}): ${recommended.why}`,
      }
    : {metric: recommended.metric, signal: null, message: `add a signal on ${recommended.metric}: ${recommended.why}`}
}

/**
 * One row per GPU (or MIG slice) the pod holds: that GPU's DCGM series plus the pod's model-server series, so a
 * single slow slice shows up even when the model's average looks fine.
 */
function analyzePodGpus(
  pod: PodState,
  telemetry: TelemetryIndex,
  ctx: Parameters<typeof collectEvidence>[0],
  slo: PolicyConfig['settings']['slo'],
): GpuAnalysis[] {
  const podSeries = seriesOfPod(telemetry, pod.namespace, pod.name)
  const byGpu = new Map<string, Series[]>()
  for (const s of podSeries) {
    if (!s.metric.startsWith(DCGM_PREFIX)) continue
    const key = gpuKey(s)
    const list = byGpu.get(key)
    if (list) list.push(s)
    else byGpu.set(key, [s])
  }
  const serverSeries = podSeries.filter((s) => !s.metric.startsWith(DCGM_PREFIX))
  const out: GpuAnalysis[] = []
  // In the order a person reads a node: by GPU index, then MIG instance (not by UUID, which is random).
  for (const gpuSeries of [...byGpu.values()].sort((a, b) =>
    compareGpuLabels((a[0] as Series).labels, (b[0] as Series).labels),
  )) {
    const labels = (gpuSeries[0] as Series).labels
    const evidence = collectEvidence({...ctx, telemetry: indexTelemetry([...gpuSeries, ...serverSeries])})
    const c = classifyBottleneck(evidence, slo)
    out.push({
      node: labels.Hostname ?? labels.hostname ?? pod.node ?? '',
      gpu: labels.gpu ?? '',
      uuid: labels.UUID ?? null,
      migProfile: labels.GPU_I_PROFILE ?? null,
      pod: pod.name,
      classification: c.kind,
      message: c.reasons[0]?.message ?? '',
      evidence: toEvidence(evidence),
    })
  }
  return out
}

function compareGpuLabels(a: Record<string, string>, b: Record<string, string>): number {
  const node = (l: Record<string, string>) => l.Hostname ?? l.hostname ?? ''
  return (
    node(a).localeCompare(node(b)) ||
    Number(a.gpu ?? 0) - Number(b.gpu ?? 0) ||
    Number(a.GPU_I_ID ?? 0) - Number(b.GPU_I_ID ?? 0)
  )
}

function gpuKey(s: Series): string {
  const l = s.labels
  return [l.Hostname ?? l.hostname ?? '', l.UUID ?? l.gpu ?? '', l.GPU_I_ID ?? ''].join('/')
}
