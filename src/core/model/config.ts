/**
 * The policy config after loading: every duration in seconds, every default filled in, GPU models resolved to
 * their canonical names. The file format (`gpu-scale.yaml`) is described by schemas/gpu-scale-config.schema.json,
 * generated from src/core/config/schema.ts; src/core/config/normalize.ts turns one into the other.
 */

export const CONFIG_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const CONFIG_KIND = 'ScalingPolicy'

export type CapacityType = 'on-demand' | 'spot'
export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute'

export interface Taint {
  key: string
  value?: string
  effect: TaintEffect
}

/** A Kubernetes toleration, as in a PodSpec. */
export interface Toleration {
  key?: string
  operator: 'Equal' | 'Exists'
  value?: string
  effect?: TaintEffect
}

/** Cold-start parts of a node group, in seconds (model weight load is per model). */
export interface NodeColdStart {
  provisioningSeconds: number
  driverInitSeconds: number
  imagePullSeconds: number
}

export interface NodeGroupConfig {
  name: string
  /** GPUs on each node of the group. `model` is canonical (see src/core/mig/catalog.ts). */
  gpu: {model: string; count: number}
  capacityType: CapacityType
  min: number
  max: number
  labels: Record<string, string>
  taints: Taint[]
  /** Price of one node for one hour, in the user's currency. */
  hourlyCost: number
  coldStart: NodeColdStart
  /** mig-parted config names this group's nodes may be set to; the first is what a new node boots with. */
  migConfigs: string[]
  /** Higher wins with the `priority` expander. */
  priority: number
  /** A node that is not ready after this long counts as failed and backs the group off (CA: 15 min). */
  maxNodeProvisionSeconds: number
  /** How `apply` resizes the group; absent: `apply` refuses node changes for it (plans still show them). */
  actuator?: NodeGroupActuator
}

/**
 * How `apply` acts on a node group (see src/adapters/kubernetes/node-group-actuators.ts):
 * - `machine-deployment`: the Cluster API MachineDeployment's scale subresource; a node is removed by marking its
 *   Machine with `cluster.x-k8s.io/delete-machine` and then lowering the replicas;
 * - `headroom`: placeholder pods of a negative-priority PriorityClass asking for the group's GPUs, so Cluster
 *   Autoscaler or Karpenter adds nodes ahead of demand and real pods preempt them;
 * - `command`: an external program run without a shell, the change as JSON on stdin.
 */
export type NodeGroupActuator =
  | {kind: 'machine-deployment'; namespace: string; name: string}
  | {kind: 'headroom'; namespace: string; priorityClassName: string}
  | {kind: 'command'; command: string[]; timeoutSeconds: number}

/** What one replica needs: whole GPUs, one MIG instance of a profile, or an amount of GPU memory. */
export type GpuNeed =
  {kind: 'whole'; count: number} | {kind: 'mig'; profile: string} | {kind: 'memory'; memoryGiB: number}

export type MetricSource = 'pod' | 'gpu' | 'workload'
export type Aggregation = 'avg' | 'ewma' | 'max' | 'p50' | 'p90' | 'p95' | 'p99' | 'last'

/**
 * One scaling signal. `metric` is the real exported name (DCGM_FI_DEV_GPU_UTIL, vllm:num_requests_waiting, ...);
 * `query` optionally overrides the PromQL used to read it live. `target` is per replica (AverageValue) unless
 * `targetType` is `Value` (the whole workload's value).
 */
export interface SignalConfig {
  name: string
  metric: string
  query?: string
  source: MetricSource
  targetType: 'AverageValue' | 'Value'
  target: number
  windowSeconds: number
  aggregation: Aggregation
  /** For latency signals: histogram quantile to read (0.95 for p95). */
  quantile?: number
  /** Below this value (workload total), a model at 0 replicas stays at 0 (KEDA's activation threshold). */
  activationThreshold?: number
  /**
   * A secondary signal may hold replicas (its proposal counts up to the current count) but never add one by
   * itself. Set only by gpu-scale's defaults (src/core/config/default-signals.ts) for their GPU metric.
   */
  secondary?: boolean
  /**
   * A queue signal measured against what a replica runs (set only by gpu-scale's defaults): while requests wait, it
   * proposes no more replicas than would run every running and waiting request at the batch the serving replicas
   * run now (`vllm:num_requests_running`), when that is fewer than waiting ÷ target (reason QueueAtBatchCapacity).
   */
  capacityView?: boolean
  /**
   * Request rate against the capacity at SLO a replica has, learned from the replicas' own telemetry (set only by
   * gpu-scale's defaults, src/core/policy/replicas/capacity-at-slo.ts): proposes ⌈Σ request rate ÷ (capacity ×
   * target)⌉, `target` being the share of that capacity a replica is sized to; without a fit it holds the count
   * (diagnostic CapacityUnknown).
   */
  capacityAtSlo?: boolean
  /**
   * While a capacity-at-SLO signal sizes the count, this signal is a guard against saturation: it proposes against
   * `guardTarget` instead of `target` (set only by gpu-scale's defaults: the KV cache sizes at 0.3 until the
   * capacity is known, then guards; the proposal note says so).
   */
  guardTarget?: number
  /**
   * An HPA `Resource` (or, with `container`, `ContainerResource`) metric, for `algorithm: hpa`: the pods' CPU (the
   * rate of `container_cpu_usage_seconds_total` over `windowSeconds`) or memory (`container_memory_working_set_bytes`)
   * as metrics-server reports it. With `targetType: Utilization`, `target` is a percentage of the pods' requests;
   * with `AverageValue`, an amount per pod (cores, bytes). CPU follows HPA's readiness rules (hpa-algorithm.ts).
   */
  resource?: ResourceMetric
}

export interface ResourceMetric {
  name: 'cpu' | 'memory'
  /** ContainerResource: only this container's usage and request count. */
  container?: string
  targetType: 'Utilization' | 'AverageValue'
}

export type PolicyType = 'Pods' | 'Percent'
export interface ScalingPolicy {
  type: PolicyType
  value: number
  periodSeconds: number
}

/** HPA's `behavior.scaleUp` / `behavior.scaleDown`, with gpu-scale's tolerance and cooldown per direction. */
export interface ScalingRules {
  stabilizationWindowSeconds: number
  selectPolicy: 'Max' | 'Min' | 'Disabled'
  policies: ScalingPolicy[]
  tolerance: number
  /** No move in this direction within this long after the last scale event (any direction). */
  cooldownSeconds: number
}

export interface ScaleToZeroConfig {
  /** Idle this long (no activation signal above threshold) before going to zero. */
  idleSeconds: number
  /** Refuse zero when the expected gap to the next request < cold start × this factor. */
  keepWarmFactor: number
}

export interface ModelConfig {
  name: string
  workload: {kind: 'Deployment' | 'StatefulSet'; namespace: string; name: string}
  replicas: {min: number; max: number}
  gpu: GpuNeed
  /** Weights and how fast they load; `loadSeconds` wins when both are given. */
  weights: {sizeGiB: number; loadGiBps?: number; loadSeconds?: number}
  /** Expected KV-cache and activation headroom on top of the weights, in GiB. */
  kvCacheGiB: number
  tolerations: Toleration[]
  nodeSelector: Record<string, string>
  signals: SignalConfig[]
  /** The config named no signals (or `signals: default`): `signals` are gpu-scale's defaults. */
  signalsDefaulted?: boolean
  behavior: {scaleUp: ScalingRules; scaleDown: ScalingRules}
  /** `hpa` reproduces autoscaling/v2 exactly; `gpu-scale` adds smoothing, signal reliability and cross-layer checks. */
  algorithm: 'gpu-scale' | 'hpa'
  /**
   * `algorithm: 'hpa'` only: reproduce an HPA *without* `spec.behavior` (the controller's legacy path: max-of-window
   * scale-down stabilization over `behavior.scaleDown.stabilizationWindowSeconds`, then the `max(2×current, 4)`
   * scale-up cap). Default false.
   */
  legacyHpaBehavior?: boolean
  healthCheckGraceSeconds: number
  terminationGraceSeconds: number
  /** Critical models are never placed on spot capacity. */
  critical: boolean
  scaleToZero?: ScaleToZeroConfig
}

export interface Settings {
  loopIntervalSeconds: number
  /**
   * Service-level objectives. `tpotSeconds` is the mean time per output token after the first, (e2e − TTFT) ÷
   * (output tokens − 1), as vLLM reports TPOT: `simulate` counts a request within SLO only when it holds too.
   */
  slo: {p95LatencySeconds?: number; ttftSeconds?: number; tpotSeconds?: number}
  budget: {maxGpus?: number; maxHourlyCost?: number}
  /** How the device plugin advertises MIG instances (k8s-device-plugin MIG_STRATEGY). */
  migStrategy: 'none' | 'single' | 'mixed'
  /** Ordered expander chain for choosing a node group; later entries break ties of earlier ones. */
  expanders: Array<'least-waste' | 'price' | 'priority' | 'spot-first'>
  scaleDown: {
    /** The Cluster Autoscaler timer: `unneededTime` as set, else CA's 10 minutes (see `defaulted`). */
    unneededSeconds: number
    gpuUtilizationThreshold: number
    /** As set, else CA's 10 minutes (see `defaulted`). */
    delayAfterAddSeconds: number
    /**
     * The timers the config left unset. In predictive node mode an unset timer follows the node's cold start
     * instead of its 10-minute value (ski rental: src/core/policy/nodes/scale-down.ts, resolveScaleDownTimers);
     * a timer the user set always wins, and reactive mode always keeps Cluster Autoscaler's.
     */
    defaulted?: Array<'unneededTime' | 'delayAfterAdd'>
  }
  /** Telemetry older than this is stale (never used to scale down). */
  staleAfterSeconds: number
  /** Extra capacity kept warm ahead of forecast demand, in GPUs. */
  warmHeadroomGpus: number
  /**
   * How the node layer adds nodes. `predictive` (default): for replicas that must start, and ahead of the demand
   * forecast (warming). `reactive`: only for replicas that must start, with no warming and no warm headroom, as
   * Cluster Autoscaler adds nodes only for Pending pods; `simulate`'s CA-like baselines run this way.
   */
  nodes: {mode: NodeMode}
}

export type NodeMode = 'predictive' | 'reactive'

export interface PolicyConfig {
  apiVersion: typeof CONFIG_API_VERSION
  kind: typeof CONFIG_KIND
  name: string
  settings: Settings
  nodeGroups: NodeGroupConfig[]
  models: ModelConfig[]
}
