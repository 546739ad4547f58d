/**
 * The plan: a typed, versioned value a human reviews and a machine applies (Terraform's model). Every change and
 * every target left alone carries reasons `{code, message, evidence}`. Reasons explain; they never steer: the
 * applier acts on `action`, `target`, `from` and `to` only.
 *
 * Deterministic: the same config and snapshot give byte-identical JSON (no wall clock, stable ordering).
 * Format: schemas/plan.schema.json (generated from src/core/plan/schema.ts).
 */

export const PLAN_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const PLAN_KIND = 'Plan'
/** Bumped on any incompatible change of the plan's shape; `apply --plan` refuses other versions. */
export const PLAN_FORMAT_VERSION = 1

export type Layer = 'pod' | 'node' | 'gpu'

export type Evidence = Record<string, string | number | boolean | null>

/** Why something is or is not changing. `code` is PascalCase and stable (listed in the plan schema). */
export interface Reason {
  code: string
  message: string
  evidence: Evidence
}

export type ChangeAction =
  | 'scale-replicas'
  | 'scale-node-group'
  | 'remove-node'
  | 'repartition-gpu'

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

export interface Change {
  /** Stable id, e.g. `pod:llm/llama-8b`, `node:standard`, `gpu:node-a/0`. */
  id: string
  layer: Layer
  action: ChangeAction
  target: Target
  /** Replicas, node-group size, or a MIG layout (`3g.40gb@0,2g.20gb@4`). */
  from: number | string
  to: number | string
  /** `planned` changes are applied; `blocked` ones show what would be needed and why it cannot happen. */
  status: 'planned' | 'blocked'
  /** When the change takes effect, counting node cold start and model load (null for blocked changes). */
  eta: {seconds: number; at: string} | null
  /** Ids of changes that must complete first. */
  dependsOn: string[]
  reasons: Reason[]
  steps?: ChangeStep[]
  /** Layer-specific detail for humans (signal proposals, forecasts, placements); never read by the applier. */
  details?: Record<string, unknown>
}

/** A target that was considered and left alone, with why. */
export interface Skipped {
  layer: Layer
  target: Target
  reasons: Reason[]
}

export interface Diagnostic {
  severity: 'info' | 'warning' | 'error'
  code: string
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
  /** sha256 of the canonical config and snapshot: `apply --plan` refuses a plan whose inputs changed. */
  inputFingerprint: string
  summary: {
    changes: number
    blocked: number
    byLayer: Record<Layer, number>
  }
  changes: Change[]
  skipped: Skipped[]
  diagnostics: Diagnostic[]
}
