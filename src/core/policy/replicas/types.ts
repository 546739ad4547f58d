/**
 * The pod layer's contract with the planner: given one model's config, workload, pods and telemetry, recommend a
 * replica count, with every signal's proposal and the reasons for the decision.
 */
import type {ModelConfig, Settings} from '../../model/config.js'
import type {Diagnostic, Evidence, Reason, SignalProposal} from '../../model/plan.js'
import type {PodState, WorkloadState} from '../../model/snapshot.js'
import type {TelemetryIndex} from '../../signals/telemetry-index.js'

export interface ReplicaInput {
  model: ModelConfig
  /** Absent when the workload does not exist in the cluster (a diagnostic, no change). */
  workload: WorkloadState
  /** The workload's pods (any phase). */
  pods: PodState[]
  telemetry: TelemetryIndex
  settings: Settings
  now: number
  /**
   * Seconds from "scale from zero" to a serving replica, for the keep-warm rule. The planner passes node cold start
   * plus model load when it knows a node must be added; default: the model's weight load time.
   */
  coldStartSeconds?: number
}

export type {SignalProposal} from '../../model/plan.js'

export interface ReplicaDecision {
  current: number
  desired: number
  proposals: SignalProposal[]
  /** The signal whose proposal won, or null when none applied (no change, or bounds decided). */
  decidedBy: string | null
  reasons: Reason[]
  diagnostics: Diagnostic[]
  /** Which algorithm decided. */
  algorithm?: 'gpu-scale' | 'hpa'
  /**
   * The raw (pre-stabilization) recommendation to append to `WorkloadState.recommendations` for the next loop, as
   * HPA records it; absent when the algorithm recorded nothing (HPA pre-checks, no valid metric).
   */
  recommendation?: {at: number; replicas: number}
  /** Pods by role at decision time: serving (ready), arriving (pending or loading), unhealthy. */
  pods?: {serving: number; arriving: number; unhealthy: number}
  /**
   * What limits the replicas, from correlated GPU and server telemetry (gpu-scale algorithm only): read only when
   * a utilization proposal is judged against it or the model is sized by memory (`analyze` reads it for every model).
   */
  bottleneck?: {kind: string; evidence: Evidence}
}
