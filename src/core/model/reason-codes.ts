/**
 * Every reason and diagnostic code gpu-scale emits, one dictionary per layer, with its meaning. Stable and
 * PascalCase: the plan schema documents them (`$defs.reasonCodes`) and users grep for them. They live in model/
 * so that `Reason.code` is a TypeScript union of exactly these names: a code not listed here does not compile.
 */

// The planner's own codes, and the feasibility checks it shares with validate
export const PLANNER_REASON_CODES = {
  ReplicasPlaced: 'new replicas were placed on free GPUs or on capacity already arriving',
  NoCapacityForReplicas: 'replicas that no free, arriving or addable capacity can host: a blocked change',
  PodsPendingForever: 'pending pods fit no free, arriving or addable capacity',
  MigProfileNeeded: 'an idle MIG-capable node is repartitioned to the profile replicas need',
  WorkloadNotFound: "the model's workload is not in the cluster",
  GpuShareRecommendation:
    'for a model sized by memory: the smallest MIG profile (or whole GPUs) that serves it, per GPU model',
  UnmanagedNodeGroup: 'nodes of a group the policy does not name: used for placement, never scaled',
  ManagedByOtherAutoscaler: "another autoscaler owns the workload's replica count",
  TaintNotTolerated: 'the group has a taint the model does not tolerate',
  NodeSelectorMismatch: "the group's labels do not match the model's nodeSelector",
  NotEnoughGpusPerNode: 'a replica needs more GPUs than one node of the group has',
  GpuMemoryTooSmall: "the group's GPUs have less memory than a replica needs",
  MigNotSupported: "the model needs a MIG profile and the group's GPU has no MIG",
  MigProfileUnavailable: 'no allowed MIG config of the group provides the profile',
  CriticalOffSpot: 'critical models are never placed on spot capacity',
  PlanInvariantViolated:
    'a bug: a change would have held a non-finite or negative number, so nothing is planned for its target',
} as const

// The pod layer (HPA's own condition reasons keep HPA's spelling)
export const REPLICA_REASON_CODES = {
  ScaleUpSignal: 'a signal is above its target and proposes more replicas',
  ScaleDownSignal: 'every valid signal is below its target',
  WithinTolerance: 'the usage ratio is inside the tolerance band: no change',
  ScaleUpStabilized: 'a lower recommendation inside the scale-up stabilization window holds the count (HPA)',
  ScaleDownStabilized: 'a higher recommendation inside the scale-down stabilization window holds the count (HPA)',
  ScaleUpLimit: 'a scale-up rate policy caps the increase (HPA)',
  ScaleDownLimit: 'a scale-down rate policy caps the decrease (HPA)',
  TooManyReplicas: 'capped at replicas.max',
  TooFewReplicas: 'raised to replicas.min',
  Cooldown: 'a recent scale event blocks a move in this direction',
  MissingTelemetry: 'a signal has no samples: never scale down on it',
  NoRecentRequests:
    'every signal is a latency histogram in whose window no request finished: replicas hold (an idle latency signal abstains; it never blocks the other signals)',
  StaleTelemetry: "a signal's newest sample is older than settings.staleAfterSeconds: never scale down on it",
  PartialTelemetry: 'some serving pods have no samples: the signal may scale up, never down',
  QueueAtBatchCapacity:
    'a backlog asks for the replicas that run the running and waiting requests at the batch serving replicas run now, not waiting ÷ target',
  LatencyFromBacklog:
    'while a backlog is sized at batch capacity, a latency signal asks for no more replicas than the backlog does',
  BacklogAtSloCapacity:
    "while the capacity at SLO is known, a backlog asks for no more replicas than the capacity-at-SLO signal, whose demand includes the queue's growth and its drain within a minute",
  LatencyWithoutBacklog:
    'with a capacity-at-SLO signal sizing the count, latency above its target adds no replica while no request waits (the burst that made it has drained)',
  SecondaryHold: 'a secondary signal above its target holds the count: it may keep replicas, never add one',
  UnreliableSignal: 'GPU utilization is low while other evidence says the replicas are saturated',
  CapacityArriving: 'pods still pending or loading their model count as capacity arriving, never as idle',
  UnhealthyPod: 'a pod is running but not ready past its health-check grace: neither capacity nor arriving',
  Activation: 'an activation signal above its threshold wakes a model from zero',
  BelowActivationThreshold: 'a model at zero stays at zero: no activation signal is above its threshold',
  ScaleToZeroIdle: 'idle for the configured period: scale to zero',
  KeepWarm: 'requests are expected sooner than a cold start would finish: keep one replica warm',
  NoSignals: 'the model has no signals configured',
  CapacityUnknown:
    'the capacity-at-SLO signal has no fit yet (too few intervals, or a load that has not moved): it holds the count, and the guards may add',
  MetricFallback: 'a metric was read through its documented fallback (e.g. GR_ENGINE_ACTIVE on MIG)',
  ScalingDisabled: 'HPA: spec.replicas is 0 and minReplicas is not: autoscaling is disabled',
  InvalidMetric: 'HPA: a metric could not be computed; with a scale-down proposed, nothing changes',
  CurrentAboveMax: 'HPA: the current count is above maxReplicas and is set to it',
  CurrentBelowMin: 'HPA: the current count is below minReplicas and is set to it',
} as const

// The node layer
export const NODE_REASON_CODES = {
  UnschedulableReplicas: 'a node group scales up for replicas nothing else can host',
  ExpanderChose: 'the expander chain chose this node group',
  ExpanderRejected: 'an eligible node group the expander chain ranked lower',
  GroupAtMax: 'the node group is at its max size',
  GroupAtMin: 'the node group is at its min size: the node is kept',
  BudgetExceeded: 'adding a node would exceed the GPU or cost budget',
  NoRoomOnTemplate: 'a new node of the group cannot host a replica with its boot MIG layout',
  GroupBackedOff: 'the group failed to provision recently and is backed off (5 min doubling to 30 min)',
  NodeProvisionTimeout: 'a node did not get allocatable GPUs within maxNodeProvisionTime',
  SpotCapacityUnavailable: 'a recent spot capacity error: the group is skipped for 3 minutes (on-demand fallback)',
  SpotInterruption: "a spot interruption notice: the node's pods need new capacity now",
  PredictiveScaleUp: 'the demand forecast over the cold-start lead time needs nodes before they could arrive',
  PredictiveScaleUpBlocked: 'the forecast needs nodes that no group can add',
  NoForecastGrowth: 'the forecast does not exceed the capacity already there',
  NodeUnneeded: 'the node has had no GPU work for the unneeded window: removed',
  NodeUnderutilized: "the node's GPU work fits elsewhere: drained and removed",
  CpuPodsOnGpuNode: 'a GPU node kept alive only by CPU pods that fit elsewhere: drained and removed',
  CpuPodsWouldNotFit: "the node's CPU pods have nowhere else to go: kept",
  PodsOnNode: 'the node has no GPU work but non-DaemonSet pods that must move first',
  PodsWouldNotFit: "the node's GPU pods would not fit elsewhere: kept",
  PodDisruptionBudget: 'a PodDisruptionBudget forbids draining the node now: kept',
  ReplicaWarmingUp: 'a replica on the node is loading or inside its health-check grace: kept',
  ScaleDownDelayAfterAdd: 'the group scaled up recently: no scale-down yet',
  NotUnneededLongEnough: 'the node has not been idle for the whole unneeded window',
  ForecastNeedsNode:
    'the demand forecast needs the node within a cold start plus a loop interval: not unneeded, kept (predictive mode)',
  ScaleToZero: 'an idle group with min 0 goes to zero nodes',
} as const

// The GPU allocation layer (MIG)
export const MIG_REASON_CODES = {
  MigLayoutChange: "a GPU's MIG layout changes from one set of instances to another",
  MigConfigMatched: 'a named mig-parted config gives every GPU of the node its target layout',
  MigConfigEntryMissing:
    'no named mig-parted config gives the target layouts: the entry to add is in the change details',
  MigManagerBusy: "the node's nvidia.com/mig.config.state is pending or rebooting: a reconfiguration is in progress",
  MigManagerFailed: "the node's nvidia.com/mig.config.state is failed",
  MigConfigFailed: 'MIG Manager reported failed: the node stays cordoned',
  MigConfigTimedOut: 'MIG Manager stayed pending past the timeout (a known wedge): the node stays cordoned',
  MigFragmentation: 'free MIG memory slices cannot host the profile in demand because placements are fixed',
  PdbBlocksDrain: 'a PodDisruptionBudget allows no disruption of a pod that must be drained',
  PdbLimitsDrain: 'a PodDisruptionBudget makes the drain go in waves',
  BarePodEvicted: 'a pod without an owner would be deleted by the drain and not recreated',
  FreeMigInstancesUsed: 'replicas go to existing free MIG instances first',
  MigRepartitionNeeded: 'the current layouts cannot host the demand: GPUs get new layouts',
  MigDemandUnplaced: 'MIG demand that no GPU can host even after repartitioning',
  PackingLowerBound: 'the packing compared with the lower bound of GPUs it must touch',
  MigSliceChosen: "the smallest MIG profile that serves the model's memory and bandwidth need",
  SliceTooSmall: 'a MIG profile has less memory than the model needs',
  SliceBandwidthTooSmall: "a MIG slice's share of memory bandwidth is too small for a memory-bound model",
  NoSliceServes: 'no MIG profile serves the model: whole GPUs',
  SpansGpus: 'the model needs more memory than one GPU has: several whole GPUs',
  ExceedsOneGpu: 'the need exceeds one GPU',
  SharedGpuNotIsolated: 'time-sliced or MPS GPUs are shared, never isolated memory',
  MigNotAllowed: 'the caller does not allow MIG for this model',
  MigStrategyNone: 'the device plugin exposes no MIG resources (MIG_STRATEGY=none)',
  MigStrategySingle: 'MIG strategy single: slices are advertised as nvidia.com/gpu',
  UnknownProfile: 'a MIG profile the GPU model does not have',
  UnknownProfiles: 'MIG profiles the GPU model does not have',
  InvalidProfileName: 'text that is not a MIG profile name',
  NotForThisGpu: 'a mig-parted entry that does not apply to this GPU model',
  Fits: 'the MIG instances fit together on one GPU',
} as const

// Bottleneck classification (signals/bottleneck.ts), shown by `analyze`: what limits a model's replicas
export const BOTTLENECK_REASON_CODES = {
  NoEvidence: 'no GPU or model-server telemetry for the pods: the bottleneck is unknown',
  KvCacheBound: 'KV cache or framebuffer nearly full while requests wait: memory-capacity bound',
  MemoryBandwidthBound: 'DRAM active dominates: memory-bandwidth bound, GPU utilization under-reports it',
  PcieBound: 'PCIe transfers high while GPU utilization is not: transfer bound',
  ComputeBound: 'SMs or GPU utilization high: compute bound',
  CpuBound: 'the GPU idles while requests wait: CPU or preprocessing bound',
  Underutilized: 'the GPU idles and nothing waits',
  Healthy: 'no bottleneck',
} as const

// The telemetry input boundary (signals/sanitize.ts): samples dropped before any signal reads them
export const SIGNAL_REASON_CODES = {
  ImpossibleSamplesDropped:
    'samples that cannot be measurements (NaN, ±Inf, negative counts, utilization outside its range, stamped after the capture) were dropped; signals read from the series never scale down while one is in their window',
} as const

// What the live readers (src/adapters/kubernetes, src/adapters/prometheus) noticed while capturing a cluster:
// printed on stderr and carried in the plan's diagnostics, so a saved plan says what it was planned without
export const LIVE_REASON_CODES = {
  OwnedByAutoscaler: 'an HPA or ScaledObject scales the workload: apply refuses to change its replicas',
  KedaNotInstalled: 'ScaledObjects are not served: no KEDA autoscaler was looked for',
  MachineDeploymentsNotServed: 'Cluster API MachineDeployments are not served: group sizes are counted from nodes',
  NoTelemetrySource: 'no Prometheus URL was given: planned without telemetry, so nothing scales down',
  TelemetryUnavailable: 'Prometheus did not answer (or a query failed): read as missing, so nothing scales down',
  TelemetryQueryRejected: 'Prometheus rejected a query (bad_data): read as missing, so nothing scales down on it',
  TelemetryEmpty: 'a query returned no series (not exported, or its targets are down): read as missing',
  PrometheusWarning: "a warning in Prometheus's answer, passed on",
  DuplicateSeries: 'series that differ only in job/instance: all dropped, as which is right cannot be known',
  NonFiniteSamples: 'NaN or infinite samples were dropped (a gap, not a zero)',
  ImpossibleSamples: 'samples outside their range, or stamped after the capture instant, were dropped',
  NoDailyHistory:
    'Prometheus holds nothing of a forecast metric a day back (retention under a day, or a series that new): its forecast has the trend only, no daily term',
  NoControllerState:
    'no controller state (stabilization windows, scale events) was read: the plan starts its windows afresh',
} as const

export const REASON_CODES = {
  ...PLANNER_REASON_CODES,
  ...REPLICA_REASON_CODES,
  ...NODE_REASON_CODES,
  ...MIG_REASON_CODES,
  ...BOTTLENECK_REASON_CODES,
  ...SIGNAL_REASON_CODES,
  ...LIVE_REASON_CODES,
} as const

/** Every code a Reason or Diagnostic may carry. */
export type ReasonCode = keyof typeof REASON_CODES
export type ReplicaReasonCode = keyof typeof REPLICA_REASON_CODES
