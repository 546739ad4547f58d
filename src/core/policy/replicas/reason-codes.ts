/**
 * Every reason and diagnostic code the pod layer emits. Stable and PascalCase: the plan schema documents them and
 * users grep for them. HPA's own condition reasons keep HPA's spelling.
 */
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
  StaleTelemetry: 'a signal\'s newest sample is older than settings.staleAfterSeconds: never scale down on it',
  PartialTelemetry: 'some serving pods have no samples: the signal may scale up, never down',
  UnreliableSignal: 'GPU utilization is low while other evidence says the replicas are saturated',
  CapacityArriving: 'pods still pending or loading their model count as capacity arriving, never as idle',
  UnhealthyPod: 'a pod is running but not ready past its health-check grace: neither capacity nor arriving',
  Activation: 'an activation signal above its threshold wakes a model from zero',
  BelowActivationThreshold: 'a model at zero stays at zero: no activation signal is above its threshold',
  ScaleToZeroIdle: 'idle for the configured period: scale to zero',
  KeepWarm: 'requests are expected sooner than a cold start would finish: keep one replica warm',
  NoSignals: 'the model has no signals configured',
  MetricFallback: 'a metric was read through its documented fallback (e.g. GR_ENGINE_ACTIVE on MIG)',
  ScalingDisabled: 'HPA: spec.replicas is 0 and minReplicas is not: autoscaling is disabled',
  InvalidMetric: 'HPA: a metric could not be computed; with a scale-down proposed, nothing changes',
  CurrentAboveMax: 'HPA: the current count is above maxReplicas and is set to it',
  CurrentBelowMin: 'HPA: the current count is below minReplicas and is set to it',
} as const

export type ReplicaReasonCode = keyof typeof REPLICA_REASON_CODES
