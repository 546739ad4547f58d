/**
 * Reason and diagnostic codes of the node layer. Stable and PascalCase; the plan schema documents them with the
 * other layers' codes.
 */
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
  SpotInterruption: 'a spot interruption notice: the node\'s pods need new capacity now',
  PredictiveScaleUp: 'the demand forecast over the cold-start lead time needs nodes before they could arrive',
  PredictiveScaleUpBlocked: 'the forecast needs nodes that no group can add',
  NoForecastGrowth: 'the forecast does not exceed the capacity already there',
  NodeUnneeded: 'the node has had no GPU work for the unneeded window: removed',
  NodeUnderutilized: 'the node\'s GPU work fits elsewhere: drained and removed',
  CpuPodsOnGpuNode: 'a GPU node kept alive only by CPU pods that fit elsewhere: drained and removed',
  CpuPodsWouldNotFit: 'the node\'s CPU pods have nowhere else to go: kept',
  PodsOnNode: 'the node has no GPU work but non-DaemonSet pods that must move first',
  PodsWouldNotFit: 'the node\'s GPU pods would not fit elsewhere: kept',
  PodDisruptionBudget: 'a PodDisruptionBudget forbids draining the node now: kept',
  ReplicaWarmingUp: 'a replica on the node is loading or inside its health-check grace: kept',
  ScaleDownDelayAfterAdd: 'the group scaled up recently: no scale-down yet',
  NotUnneededLongEnough: 'the node has not been idle for the whole unneeded window',
  ScaleToZero: 'an idle group with min 0 goes to zero nodes',
} as const
