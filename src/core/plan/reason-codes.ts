/**
 * Reason and diagnostic codes of the planner itself and of the feasibility checks it shares with `validate`
 * (each layer keeps its own list: policy/replicas, policy/nodes, mig). Stable and PascalCase; the plan schema documents all of them.
 */
export const PLANNER_REASON_CODES = {
  ReplicasPlaced: 'new replicas were placed on free GPUs or on capacity already arriving',
  NoCapacityForReplicas: 'replicas that no free, arriving or addable capacity can host: a blocked change',
  PodsPendingForever: 'pending pods fit no free, arriving or addable capacity',
  MigProfileNeeded: 'an idle MIG-capable node is repartitioned to the profile replicas need',
  WorkloadNotFound: 'the model\'s workload is not in the cluster',
  GpuShareRecommendation: 'for a model sized by memory: the smallest MIG profile (or whole GPUs) that serves it, per GPU model',
  UnmanagedNodeGroup: 'nodes of a group the policy does not name: used for placement, never scaled',
  ManagedByOtherAutoscaler: 'another autoscaler owns the workload\'s replica count',
  TaintNotTolerated: 'the group has a taint the model does not tolerate',
  NodeSelectorMismatch: 'the group\'s labels do not match the model\'s nodeSelector',
  NotEnoughGpusPerNode: 'a replica needs more GPUs than one node of the group has',
  GpuMemoryTooSmall: 'the group\'s GPUs have less memory than a replica needs',
  MigNotSupported: 'the model needs a MIG profile and the group\'s GPU has no MIG',
  MigProfileUnavailable: 'no allowed MIG config of the group provides the profile',
  CriticalOffSpot: 'critical models are never placed on spot capacity',
} as const
