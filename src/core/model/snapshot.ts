/**
 * A cluster snapshot: everything a plan is computed from, captured at one instant. Plans are pure functions of
 * (config, snapshot, history), so any plan can be reproduced offline and in CI from the snapshot file.
 *
 * In memory every time is epoch seconds; in the file (schemas/cluster-snapshot.schema.json) times are RFC 3339
 * strings in UTC and telemetry samples are `[unixSeconds, value]` pairs, as Prometheus' range API returns them.
 */
import type {Taint} from './config.js'
import type {ControllerState} from './state.js'

export const SNAPSHOT_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const SNAPSHOT_KIND = 'ClusterSnapshot'

/** One MIG GPU instance on a GPU: profile name (`3g.40gb`), start and size in memory slices, and its user. */
export interface MigInstance {
  profile: string
  start: number
  size: number
  /** `namespace/name` of the pod using it, if any. */
  pod?: string
}

export interface GpuDevice {
  index: number
  uuid?: string
  /** Canonical model name (A100-80GB) resolved from nvidia.com/gpu.product. */
  model: string
  memoryMiB: number
  mig: {
    enabled: boolean
    instances: MigInstance[]
  }
  /** Time-slicing or MPS: the GPU is shared by up to `replicas` pods, with no memory isolation. */
  sharing?: {strategy: 'time-slicing' | 'mps'; replicas: number}
  /** Pods using the whole GPU (or sharing it). */
  pods: string[]
}

export interface NodeState {
  name: string
  group: string
  labels: Record<string, string>
  taints: Taint[]
  ready: boolean
  cordoned: boolean
  createdAt: number
  /** False while drivers / device plugin initialize: the node is up but its GPUs are not yet allocatable. */
  gpusAllocatable: boolean
  capacityType: 'on-demand' | 'spot'
  /** The node's `nvidia.com/mig.config` and `nvidia.com/mig.config.state` labels. */
  migConfig?: string
  migConfigState?: 'pending' | 'rebooting' | 'success' | 'failed'
  /** A spot interruption notice was received at this time. */
  interruptionNoticeAt?: number
  gpus: GpuDevice[]
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed'

export interface PodState {
  name: string
  namespace: string
  /** The owning workload, `Kind/name` in the pod's namespace; absent for bare pods. */
  workload?: {kind: string; name: string}
  phase: PodPhase
  node?: string
  ready: boolean
  deleting: boolean
  createdAt: number
  startedAt?: number
  readyAt?: number
  /**
   * The Ready condition's lastTransitionTime while the pod is not ready. HPA's CPU rule uses it to tell a pod that
   * never became ready (unready within 30 s of starting: its samples are ignored) from one that went unready later.
   */
  notReadySince?: number
  /** Per-container requests, for HPA `Resource` metrics (utilization is usage over requests); absent when not captured. */
  containerRequests?: ContainerRequests[]
  /** GPU request: resource `nvidia.com/gpu` or `nvidia.com/mig-<profile>`, and count; absent for CPU-only pods. */
  gpuRequest?: {resource: string; count: number}
  /** True for DaemonSet and mirror pods, which never block node removal. */
  daemon: boolean
}

/** One container's CPU (cores) and memory (bytes) requests; a resource it does not request is absent. */
export interface ContainerRequests {
  name: string
  requests: {cpu?: number; memory?: number}
}

export interface ScaleEvent {
  at: number
  from: number
  to: number
}

export interface WorkloadState {
  kind: 'Deployment' | 'StatefulSet'
  namespace: string
  name: string
  specReplicas: number
  readyReplicas: number
  /** Another autoscaler that owns this workload's replica count (gpu-scale refuses to fight it). */
  managedBy?: string
  scaleEvents: ScaleEvent[]
  /** Past raw recommendations, for HPA-style stabilization windows. */
  recommendations: Array<{at: number; replicas: number}>
}

export interface NodeGroupState {
  name: string
  /** Nodes the provider was asked for (may exceed the nodes registered while they boot). */
  targetSize: number
  lastScaleUpAt?: number
  lastScaleDownAt?: number
  /** Recent provisioning failures (spot capacity errors, timeouts). */
  failures: Array<{at: number; reason: 'capacity' | 'timeout' | 'quota'}>
}

export interface PodDisruptionBudget {
  namespace: string
  name: string
  /** Workload the budget selects, `Kind/name`. */
  workload: string
  maxUnavailable: number
}

/** One time series named by its real metric name with its real labels (pod, namespace, gpu, UUID, Hostname, ...). */
export interface Series {
  metric: string
  labels: Record<string, string>
  /** `[epochSeconds, value]`, ascending in time. */
  samples: Array<[number, number]>
  /**
   * Samples the input boundary dropped as impossible (src/core/signals/sanitize.ts); absent when none were. A
   * signal read from this series never scales down while a dropped sample is within its window.
   */
  dropped?: DroppedSamples
}

/** What was dropped from one series, by why, and the newest dropped sample's time (capturedAt for a NaN time). */
export interface DroppedSamples {
  nonFinite: number
  negative: number
  outOfRange: number
  future: number
  newestAt: number
}

/** Histogram-derived latency quantiles are carried as their own series (`metric` + label `quantile`). */
export interface ClusterSnapshot {
  apiVersion: typeof SNAPSHOT_API_VERSION
  kind: typeof SNAPSHOT_KIND
  capturedAt: number
  migStrategy: 'none' | 'single' | 'mixed'
  nodeGroups: NodeGroupState[]
  nodes: NodeState[]
  pods: PodState[]
  workloads: WorkloadState[]
  pdbs: PodDisruptionBudget[]
  telemetry: Series[]
  /** The controller state the previous tick persisted (`Plan.state`); absent on a first run. */
  state?: ControllerState
}
