/**
 * What limits a model's replicas, read from correlated GPU and model-server signals. GPU "utilization" alone
 * misleads: DCGM_FI_DEV_GPU_UTIL counts the time *any* kernel ran, so a memory-bandwidth-bound or PCIe-bound
 * server shows 20 % while its latency is terrible. This module gathers the evidence once (used by the replica
 * recommender to mark utilization proposals unreliable, and by `gpu-scale analyze`) and classifies it.
 *
 * Classification order (first match wins), most specific first:
 *   1. kv-cache-bound: KV cache (or framebuffer) nearly full while requests wait: memory *capacity* limits batching.
 *   2. memory-bandwidth-bound: DRAM interface busier than the threshold and busier than the SMs.
 *   3. pcie-bound: host↔device traffic high while the GPU looks idle.
 *   4. compute-bound: SMs / tensor pipes / utilization near saturation.
 *   5. cpu-bound: GPU idle, memory and PCIe quiet, yet requests queue: preprocessing or the CPU is the limit.
 *   6. underutilized: GPU idle and nothing waits.
 *   7. healthy: none of the above.
 */
import type {SignalConfig} from '../model/config.js'
import type {Evidence, Reason, ReasonCode} from '../model/plan.js'
import {DCGM, QUEUE_METRICS, VLLM} from './metric-names.js'
import {readSignalValue, type ReadContext} from './read-signal.js'
import type {TelemetryIndex} from './telemetry-index.js'
import {computeSlope, type Sample, selectWindow} from './window.js'
import {seriesForPod} from './telemetry-index.js'
import {formatPercent, roundForMessage} from '../model/round.js'

export type BottleneckKind =
  | 'compute-bound'
  | 'memory-bandwidth-bound'
  | 'pcie-bound'
  | 'cpu-bound'
  | 'kv-cache-bound'
  | 'underutilized'
  | 'healthy'
  | 'unknown'

/** Thresholds, each with why. Ratios are 0–1, utilization in percent. */
export const BOTTLENECK_THRESHOLDS = {
  /** DRAM interface busy more than 60 % of cycles: bandwidth, not SMs, caps throughput (decode-heavy LLM serving). */
  dramActive: 0.6,
  /** SMs with a warp resident 80 % of cycles, or tensor pipes half busy: the GPU is doing all the math it can. */
  smActive: 0.8,
  tensorActive: 0.5,
  gpuUtilHighPercent: 85,
  /** Below this, GPU utilization reads "idle": the level at which scaling on it would remove replicas. */
  gpuUtilLowPercent: 40,
  /** 10 GB/s host↔device (tx+rx) is ~40 % of PCIe Gen4 x16 in one direction: transfers dominate a quiet GPU. */
  pcieBytesPerSecond: 10e9,
  /** vLLM preempts and queues once the KV cache is this full. */
  kvCacheUsage: 0.9,
  fbUsedFraction: 0.95,
  /** One waiting request per replica on average means the replicas are already behind. */
  queuePerPod: 1,
} as const

export interface BottleneckEvidence {
  gpuUtilPercent?: number
  smActive?: number
  smOccupancy?: number
  tensorActive?: number
  dramActive?: number
  fbUsedFraction?: number
  pcieBytesPerSecond?: number
  queueMetric?: string
  queuePerPod?: number
  /** Change of the total queue per minute over the window (least squares). */
  queueGrowthPerMinute?: number
  running?: number
  kvCacheUsage?: number
  p95LatencySeconds?: number
  ttftP95Seconds?: number
}

export interface EvidenceContext extends ReadContext {
  windowSeconds: number
}

/** Reads every piece of evidence that exists for these pods; absent telemetry leaves a field undefined. */
export function collectEvidence(ctx: EvidenceContext): BottleneckEvidence {
  const e: BottleneckEvidence = {}
  const level = (metric: string, source: 'pod' | 'gpu' = 'gpu') =>
    readSignalValue(evidenceSignal(metric, source, ctx.windowSeconds), ctx)
  const util = level(DCGM.gpuUtil)
  if (util !== null) e.gpuUtilPercent = util
  assign(e, 'smActive', level(DCGM.smActive))
  assign(e, 'smOccupancy', level(DCGM.smOccupancy))
  assign(e, 'tensorActive', level(DCGM.tensorActive))
  assign(e, 'dramActive', level(DCGM.dramActive))
  if (e.gpuUtilPercent === undefined) {
    const gr = level(DCGM.grEngineActive)
    if (gr !== null) e.gpuUtilPercent = gr * 100
  }
  // Used only with free (dcgm-exporter's default field list has FB_USED without FB_FREE): not read alone.
  const free = level(DCGM.fbFree)
  const used = free === null ? null : level(DCGM.fbUsed)
  if (used !== null && free !== null && used + free > 0) e.fbUsedFraction = used / (used + free)
  const tx = level(DCGM.pcieTx)
  const rx = level(DCGM.pcieRx)
  if (tx !== null || rx !== null) e.pcieBytesPerSecond = (tx ?? 0) + (rx ?? 0)
  for (const metric of QUEUE_METRICS) {
    const q = level(metric, 'pod')
    if (q === null) continue
    e.queueMetric = metric
    e.queuePerPod = q
    const growth = computeQueueGrowth(ctx.telemetry, metric, ctx)
    if (growth !== null) e.queueGrowthPerMinute = growth * 60
    break
  }
  assign(e, 'running', level(VLLM.running, 'pod'))
  assign(e, 'kvCacheUsage', level(VLLM.kvCache, 'pod'))
  const latency = (metric: string) => readSignalValue(evidenceSignal(metric, 'pod', ctx.windowSeconds, 0.95), ctx)
  assign(e, 'p95LatencySeconds', latency(VLLM.e2eLatencyBucket))
  assign(e, 'ttftP95Seconds', latency(VLLM.ttftBucket))
  return e
}

/**
 * The signal each piece of evidence is read as, per window: built once and frozen, so a tick reads it without
 * building it (and read-signal.ts keeps its reading key). In one window a metric is always read the same way.
 */
const evidenceSignals = new Map<number, Map<string, SignalConfig>>()
function evidenceSignal(metric: string, source: 'pod' | 'gpu', windowSeconds: number, quantile?: number): SignalConfig {
  let byMetric = evidenceSignals.get(windowSeconds)
  if (!byMetric) evidenceSignals.set(windowSeconds, (byMetric = new Map()))
  let signal = byMetric.get(metric)
  if (!signal) {
    signal = Object.freeze({
      name: metric,
      metric,
      source,
      targetType: quantile === undefined ? 'AverageValue' : 'Value',
      target: 1,
      windowSeconds,
      aggregation: 'avg',
      ...(quantile === undefined ? {} : {quantile}),
    } satisfies SignalConfig)
    byMetric.set(metric, signal)
  }
  return signal
}

function assign<K extends keyof BottleneckEvidence>(e: BottleneckEvidence, key: K, value: number | null): void {
  if (value !== null) (e as Record<string, unknown>)[key] = value
}

/** Slope (per second) of the queue summed across pods, from samples aligned by timestamp. */
function computeQueueGrowth(index: TelemetryIndex, metric: string, ctx: EvidenceContext): number | null {
  const totals = new Map<number, number>()
  for (const pod of ctx.podNames) {
    for (const s of seriesForPod(index, metric, ctx.namespace, pod)) {
      for (const [t, v] of selectWindow(s.samples, ctx.now - ctx.windowSeconds, ctx.now))
        totals.set(t, (totals.get(t) ?? 0) + v)
    }
  }
  const samples: Sample[] = [...totals.entries()].sort((a, b) => a[0] - b[0])
  return computeSlope(samples)
}

export interface SloTargets {
  p95LatencySeconds?: number
  ttftSeconds?: number
}

/** Saturation signs that do not come from GPU utilization: each one is a reason utilization may be lying. */
export function findSaturation(e: BottleneckEvidence, slo: SloTargets): Array<{code: string; text: string}> {
  const t = BOTTLENECK_THRESHOLDS
  const found: Array<{code: string; text: string}> = []
  if (e.dramActive !== undefined && e.dramActive >= t.dramActive)
    found.push({code: 'dram', text: `DRAM active ${pct(e.dramActive)}`})
  if (e.pcieBytesPerSecond !== undefined && e.pcieBytesPerSecond >= t.pcieBytesPerSecond)
    found.push({code: 'pcie', text: `PCIe ${gbps(e.pcieBytesPerSecond)}`})
  if (
    e.queuePerPod !== undefined &&
    (e.queuePerPod >= t.queuePerPod || ((e.queueGrowthPerMinute ?? 0) > 0 && e.queuePerPod > 0))
  ) {
    found.push({
      code: 'queue',
      text: `queue ${roundForMessage(e.queuePerPod)}/replica${(e.queueGrowthPerMinute ?? 0) > 0 ? ' and growing' : ''}`,
    })
  }
  if (
    slo.p95LatencySeconds !== undefined &&
    e.p95LatencySeconds !== undefined &&
    e.p95LatencySeconds > slo.p95LatencySeconds
  ) {
    found.push({
      code: 'latency',
      text: `p95 latency ${roundForMessage(e.p95LatencySeconds)}s over the ${slo.p95LatencySeconds}s SLO`,
    })
  }
  if (slo.ttftSeconds !== undefined && e.ttftP95Seconds !== undefined && e.ttftP95Seconds > slo.ttftSeconds) {
    found.push({code: 'ttft', text: `p95 TTFT ${roundForMessage(e.ttftP95Seconds)}s over the ${slo.ttftSeconds}s SLO`})
  }
  return found
}

export interface Classification {
  kind: BottleneckKind
  reasons: Reason[]
  /** The signal to scale on for this kind of limit, and why. */
  recommendedSignal: {metric: string; why: string} | null
}

/** Classifies evidence in the documented order; the reason carries every value it used. */
export function classifyBottleneck(e: BottleneckEvidence, slo: SloTargets = {}): Classification {
  const t = BOTTLENECK_THRESHOLDS
  const evidence = toEvidence(e)
  const util = e.gpuUtilPercent
  const utilText = util !== undefined ? `GPU util ${Math.round(util)}%` : 'GPU util unknown'
  const pressure = findSaturation(e, slo).filter((s) => s.code === 'queue' || s.code === 'latency' || s.code === 'ttft')
  const pressureText = pressure.map((p) => p.text).join(', ')
  const computeLevel = Math.max(e.smActive ?? 0, util !== undefined ? util / 100 : 0)
  const idle = util !== undefined && util < t.gpuUtilLowPercent && (e.smActive === undefined || e.smActive < t.smActive)
  const make = (
    kind: BottleneckKind,
    code: ReasonCode,
    message: string,
    recommendedSignal: Classification['recommendedSignal'],
  ): Classification => ({
    kind,
    reasons: [{code, message, evidence}],
    recommendedSignal,
  })
  const latencySignal = e.p95LatencySeconds !== undefined ? VLLM.e2eLatencyBucket : (e.queueMetric ?? VLLM.waiting)

  if (Object.keys(evidence).length === 0)
    return make('unknown', 'NoEvidence', 'no GPU or model-server telemetry for these pods', null)
  if (((e.kvCacheUsage ?? 0) >= t.kvCacheUsage || (e.fbUsedFraction ?? 0) >= t.fbUsedFraction) && pressure.length > 0) {
    const what =
      e.kvCacheUsage !== undefined
        ? `KV cache ${pct(e.kvCacheUsage)} full`
        : `framebuffer ${pct(e.fbUsedFraction ?? 0)} used`
    return make(
      'kv-cache-bound',
      'KvCacheBound',
      `${what} with ${pressureText}: memory-capacity bound; more replicas add KV cache`,
      {metric: VLLM.kvCache, why: 'KV-cache usage predicts queueing before latency does'},
    )
  }
  if (e.dramActive !== undefined && e.dramActive >= t.dramActive && e.dramActive >= computeLevel) {
    return make(
      'memory-bandwidth-bound',
      'MemoryBandwidthBound',
      `${utilText} but DRAM active ${pct(e.dramActive)}: memory-bandwidth bound${pressureText ? ` (${pressureText})` : ''}`,
      {
        metric: latencySignal,
        why: 'GPU utilization under-reports a bandwidth-bound server; latency and queue depth see the saturation',
      },
    )
  }
  if (
    e.pcieBytesPerSecond !== undefined &&
    e.pcieBytesPerSecond >= t.pcieBytesPerSecond &&
    (util === undefined || util < t.gpuUtilHighPercent)
  ) {
    return make(
      'pcie-bound',
      'PcieBound',
      `${utilText} but PCIe ${gbps(e.pcieBytesPerSecond)}: transfer bound${pressureText ? ` (${pressureText})` : ''}`,
      {
        metric: e.queueMetric ?? VLLM.waiting,
        why: 'host↔device transfers, not kernels, limit throughput; queue depth sees it',
      },
    )
  }
  if (
    (util !== undefined && util >= t.gpuUtilHighPercent) ||
    (e.smActive ?? 0) >= t.smActive ||
    (e.tensorActive ?? 0) >= t.tensorActive
  ) {
    return make(
      'compute-bound',
      'ComputeBound',
      `${utilText}, SM active ${e.smActive !== undefined ? pct(e.smActive) : 'n/a'}: compute bound`,
      {
        metric: e.smActive !== undefined ? DCGM.smActive : DCGM.gpuUtil,
        why: 'utilization tracks the real limit when the SMs are the bottleneck',
      },
    )
  }
  if (idle && pressure.length > 0) {
    return make('cpu-bound', 'CpuBound', `${utilText} while ${pressureText}: CPU/preprocessing bound`, {
      metric: e.queueMetric ?? VLLM.waiting,
      why: 'the GPU waits on the CPU; scale on queue depth and give replicas CPU',
    })
  }
  if (idle) {
    return make('underutilized', 'Underutilized', `${utilText} and nothing waits: underutilized`, {
      metric: DCGM.gpuUtil,
      why: 'utilization is honest here; it can scale replicas down',
    })
  }
  return make('healthy', 'Healthy', `${utilText}${pressureText ? `, ${pressureText}` : ''}: no bottleneck`, null)
}

export function toEvidence(e: BottleneckEvidence): Evidence {
  const out: Evidence = {}
  for (const [k, v] of Object.entries(e)) if (v !== undefined) out[k] = typeof v === 'number' ? round(v) : v
  return out
}

function pct(ratio: number): string {
  return formatPercent(ratio)
}

function gbps(bytes: number): string {
  return `${roundForMessage(bytes / 1e9)} GB/s`
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000
}
