/**
 * Reason and diagnostic codes of the planner and the node and GPU layers (the pod layer keeps its own list in
 * policy/replicas/reason-codes.ts). Stable and PascalCase; the plan schema documents all of them.
 */
export const PLANNER_REASON_CODES = {
  ReplicasPlaced: 'new replicas were placed on free GPUs or on capacity already arriving',
  NoCapacityForReplicas: 'replicas that no free, arriving or addable capacity can host: a blocked change',
  PodsPendingForever: 'pending pods fit no free, arriving or addable capacity',
  WorkloadNotFound: 'the model\'s workload is not in the cluster',
  ManagedByOtherAutoscaler: 'another autoscaler owns the workload\'s replica count',
  UnschedulableReplicas: 'a node group scales up for replicas nothing else can host',
  ExpanderChose: 'the expander chain chose this node group',
  ExpanderRejected: 'an eligible node group the expander chain ranked lower',
  GroupAtMax: 'the node group is at its max size',
  GroupAtMin: 'the node group is at its min size: the node is kept',
  BudgetExceeded: 'adding a node would exceed the GPU or cost budget',
  NoRoomOnTemplate: 'a new node of the group cannot host a replica with its boot MIG layout',
  TaintNotTolerated: 'the group has a taint the model does not tolerate',
  NodeSelectorMismatch: 'the group\'s labels do not match the model\'s nodeSelector',
  NotEnoughGpusPerNode: 'a replica needs more GPUs than one node of the group has',
  GpuMemoryTooSmall: 'the group\'s GPUs have less memory than a replica needs',
  MigNotSupported: 'the model needs a MIG profile and the group\'s GPU has no MIG',
  MigProfileUnavailable: 'no allowed MIG config of the group provides the profile',
  CriticalOffSpot: 'critical models are never placed on spot capacity',
  MigProfileNeeded: 'an idle MIG-capable node is repartitioned to the profile replicas need',
  NodeUnneeded: 'the node has had no GPU work for the unneeded window: removed',
  PodsOnNode: 'the node has no GPU work but non-DaemonSet pods that must move first',
  ScaleDownDelayAfterAdd: 'the group scaled up recently: no scale-down yet',
  NotUnneededLongEnough: 'the node has not been idle for the whole unneeded window',
} as const
