/**
 * The plan: a typed, versioned value a human reviews and a machine applies (Terraform's model). Every change and
 * every target left alone carries reasons `{code, message, evidence}`. Reasons explain; they never steer: the
 * applier acts on `action` and its typed `payload` only, after checking the change's `preconditions`.
 *
 * Deterministic: the same config and snapshot give byte-identical JSON (no wall clock, stable ordering).
 * Format: schemas/plan.schema.json (generated from src/core/plan/schema.ts).
 */

export const PLAN_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const PLAN_KIND = 'Plan'
/**
 * Bumped on any incompatible change of the plan's shape; `apply --plan` refuses other versions. 2: typed payloads,
 * preconditions, optional fingerprint, `state`.
 */
export const PLAN_FORMAT_VERSION = 2

export type Layer = 'pod' | 'node' | 'gpu'

import type {ReasonCode} from './reason-codes.js'
import type {ControllerState} from './state.js'

export type {ReasonCode} from './reason-codes.js'

export type Evidence = Record<string, string | number | boolean | null>

/** Why something is or is not changing. `code` is PascalCase and stable (listed in the plan schema). */
export interface Reason {
  code: ReasonCode
  message: string
  evidence: Evidence
}

export type ChangeAction = 'scale-replicas' | 'scale-node-group' | 'remove-node' | 'repartition-gpu'

export interface Target {
  kind: 'Deployment' | 'StatefulSet' | 'NodeGroup' | 'Node' | 'GPU'
  name: string
  namespace?: string
  /** For GPU targets: the node and GPU index. */
  node?: string
  gpu?: number
}

/** One ordered step of a multi-step change (MIG repartition: cordon → drain → relabel → wait → uncordon). */
export interface ChangeStep {
  action: 'cordon' | 'drain' | 'set-mig-config' | 'wait-mig-config' | 'uncordon'
  description: string
  timeoutSeconds?: number
}

/** A Deployment or StatefulSet, as the workload of a model and the object a replica change scales. */
export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet'
  namespace: string
  name: string
}

/**
 * What must still hold in the cluster for a change to be safe to apply: the field at `path` of `resource` equals
 * `equals` (null: the field is absent). `apply` checks each change's preconditions right before acting and
 * refuses or replans that one change when one fails: staleness is per change, never a hash of the telemetry.
 * Paths are as `kubectl get -o json` shows the object; a NodeGroup is the provider's group (`status.targetSize`).
 */
export interface Precondition {
  resource: {kind: 'Deployment' | 'StatefulSet' | 'Node' | 'NodeGroup'; name: string; namespace?: string}
  path: string
  equals: string | number | boolean | null
}

interface ChangeCommon {
  /** Stable id, e.g. `pod:llm/llama-8b`, `node:standard`, `gpu:node-a/0`. */
  id: string
  target: Target
  /** `planned` changes are applied; `blocked` ones show what would be needed and why it cannot happen. */
  status: 'planned' | 'blocked'
  /** When the change takes effect, counting node cold start and model load (null for blocked changes). */
  eta: {seconds: number; at: string} | null
  /** Ids of changes that must complete first. */
  dependsOn: string[]
  reasons: Reason[]
  /** What must still hold in the cluster when the change is applied (checked per change by `apply`). */
  preconditions: Precondition[]
  steps?: ChangeStep[]
  /** Layer-specific detail for people (signal proposals, forecasts, group verdicts); never read by code. */
  details?: Record<string, unknown>
}

/** What one signal of the pod layer says (shown by `plan --detailed`). `replicas` is null when the signal has no valid value. */
export interface SignalProposal {
  signal: string
  metric: string
  value: number | null
  target: number
  windowSeconds: number
  aggregation: string
  replicas: number | null
  /** `idle`: a latency histogram in whose window no request finished; it abstains. */
  status: 'ok' | 'missing' | 'stale' | 'unreliable' | 'idle'
  note?: string
  /** Some serving pods reported no fresh samples: this proposal may scale up, never down. */
  partial?: boolean
  /** value / target as the algorithm compared it with the tolerance band (per replica for AverageValue). */
  ratio?: number | null
}

/** Set a workload's replica count. `from`/`to` repeat the payload's counts for readers of the plan. */
export interface ReplicaChange extends ChangeCommon {
  layer: 'pod'
  action: 'scale-replicas'
  from: number
  to: number
  payload: {workload: WorkloadRef; from: number; to: number}
  /** Every signal's proposal and which one decided: the pod layer's evidence, typed for views. */
  signals?: {proposals: SignalProposal[]; decidedBy: string | null}
}

/** Grow a node group: ask the provider for `delta` more nodes (target size `from` → `to`). */
export interface NodeGroupChange extends ChangeCommon {
  layer: 'node'
  action: 'scale-node-group'
  from: number
  to: number
  payload: {group: string; from: number; to: number; delta: number}
}

/** Drain and remove one named node, shrinking its group by one (atomically: never "set size" next to it). */
export interface NodeRemovalChange extends ChangeCommon {
  layer: 'node'
  action: 'remove-node'
  /** The group's size before and after. */
  from: number
  to: number
  payload: {group: string; node: string; groupFrom: number; groupTo: number; drain: string[]}
}

/**
 * Repartition a node's MIG GPUs by setting its `nvidia.com/mig.config` label to `migConfig` after draining the
 * pods in `drain`. `from`/`to` are the layouts in words (`3g.40gb@0,2g.20gb@4`) for readers.
 */
export interface MigChange extends ChangeCommon {
  layer: 'gpu'
  action: 'repartition-gpu'
  from: string
  to: string
  payload: {
    node: string
    /** The value `nvidia.com/mig.config` is set to. */
    migConfig: string
    /** The label's value when the plan was made (null: unset). */
    previousMigConfig: string | null
    /** GPU indexes whose layout changes. */
    gpus: number[]
    /** Pods evicted before the reconfiguration, `namespace/name`. */
    drain: string[]
    /** The mig-parted entry to add first, when no named config gives the layouts (the change is blocked then). */
    migConfigEntry?: string
  }
}

/** A change an actuator can execute: one typed payload per action, with its preconditions. */
export type Change = ReplicaChange | NodeGroupChange | NodeRemovalChange | MigChange

/** A target that was considered and left alone, with why. */
export interface Skipped {
  layer: Layer
  target: Target
  reasons: Reason[]
}

export interface Diagnostic {
  severity: 'info' | 'warning' | 'error'
  code: ReasonCode
  message: string
  target?: Target
  evidence?: Evidence
}

export interface Plan {
  apiVersion: typeof PLAN_API_VERSION
  kind: typeof PLAN_KIND
  formatVersion: typeof PLAN_FORMAT_VERSION
  /** The snapshot's capture time: the instant the plan is valid for. */
  plannedAt: string
  /**
   * sha256 of the input files, when the caller had their bytes (cheap). Optional and never computed by the
   * planner: staleness is judged per change by its preconditions, so no tick pays for hashing its telemetry.
   */
  inputFingerprint?: string
  summary: {
    changes: number
    blocked: number
    byLayer: Record<Layer, number>
  }
  changes: Change[]
  skipped: Skipped[]
  diagnostics: Diagnostic[]
  /** The controller state to persist and pass in with the next snapshot (stabilization, scale events, backoff). */
  state: ControllerState
}

/** A Reason, built with a code the dictionaries list (model/reason-codes.ts): the typed constructor. */
export function reason(code: ReasonCode, message: string, evidence: Evidence = {}): Reason {
  return {code, message, evidence}
}
