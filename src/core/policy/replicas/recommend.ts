/**
 * The pod layer's entry point: the planner calls `recommendReplicas` for every model. `algorithm: 'hpa'` reproduces
 * an autoscaling/v2 HPA exactly (hpa-algorithm.ts); the default `gpu-scale` algorithm adds smoothing, signal
 * reliability, capacity-arriving and scale-to-zero rules (gpu-scale-algorithm.ts).
 */
import {recommendGpuScale} from './gpu-scale-algorithm.js'
import {recommendHpa} from './hpa-algorithm.js'
import type {ReplicaDecision, ReplicaInput} from './types.js'

export {REPLICA_REASON_CODES} from '../../model/reason-codes.js'
export type {ReplicaDecision, ReplicaInput, SignalProposal} from './types.js'

export function recommendReplicas(input: ReplicaInput): ReplicaDecision {
  return input.model.algorithm === 'hpa' ? recommendHpa(input) : recommendGpuScale(input)
}
