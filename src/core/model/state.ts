/**
 * Controller state: what one planning tick hands to the next, as HPA's controller keeps it between syncs
 * (recommendations for stabilization windows, scale events for rate policies) and Cluster Autoscaler keeps it per
 * node group (last scale-up, backoff). The snapshot carries the last persisted state (`ClusterSnapshot.state`);
 * the plan carries the next one (`Plan.state`). Persist `plan.state` and pass it with the next snapshot: two
 * ticks in a row then behave as one controller across syncs.
 *
 * Versioned (`formatVersion`) with a JSON Schema (schemas/controller-state.schema.json). Times are epoch seconds,
 * in memory and in the file: state is machine-written and machine-read.
 */
import type {ChangeAction} from './plan.js'

export const CONTROLLER_STATE_API_VERSION = 'gpu-scale.dev/v1alpha1'
export const CONTROLLER_STATE_KIND = 'ControllerState'
/** Bumped on any incompatible change of the state's shape; a state of another version is ignored, never guessed. */
export const CONTROLLER_STATE_FORMAT_VERSION = 1

/** Per model (keyed by workload, `namespace/Kind/name`): the history HPA's behavior needs. */
export interface ModelControllerState {
  /** Raw recommendations inside the longest stabilization window. */
  recommendations: Array<{at: number; replicas: number}>
  /** Replica changes inside the longest rate-policy period or cooldown. */
  scaleEvents: Array<{at: number; from: number; to: number}>
}

export interface NodeGroupControllerState {
  lastScaleUpAt?: number
  lastScaleDownAt?: number
  /** Set while the group is backed off after provisioning failures. */
  backoff?: {until: number; consecutiveFailures: number}
}

/** A change a plan asked for and the actuator has not reported finished. */
export interface InFlightChange {
  id: string
  action: ChangeAction
  /** When the plan asked for it. */
  since: number
  /** `pending`: planned, not started; the actuator moves it on. */
  status: 'pending' | 'in-progress' | 'succeeded' | 'failed'
}

export interface ControllerState {
  apiVersion: typeof CONTROLLER_STATE_API_VERSION
  kind: typeof CONTROLLER_STATE_KIND
  formatVersion: typeof CONTROLLER_STATE_FORMAT_VERSION
  /** The instant of the tick that wrote it. */
  updatedAt: number
  models: Record<string, ModelControllerState>
  nodeGroups: Record<string, NodeGroupControllerState>
  changes: InFlightChange[]
}

export function emptyControllerState(at: number): ControllerState {
  return {
    apiVersion: CONTROLLER_STATE_API_VERSION,
    kind: CONTROLLER_STATE_KIND,
    formatVersion: CONTROLLER_STATE_FORMAT_VERSION,
    updatedAt: at,
    models: {},
    nodeGroups: {},
    changes: [],
  }
}
