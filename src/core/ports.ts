/**
 * Ports: the interfaces through which the pure core meets the world. Adapters in src/adapters implement them;
 * tests and the digital twin provide fakes (src/adapters/fake/ records calls and scripts failures). Only
 * interfaces and their data types live here.
 *
 * Shaped by their first consumer, `apply` (and then `apply --watch`): it executes a plan's typed changes one at a
 * time, re-validating each against the live cluster right before acting (Karpenter's "validate before acting"),
 * and records a result per change so a rerun finishes what was left.
 */
import type {Precondition} from './model/plan.js'
import type {ClusterSnapshot, Series} from './model/snapshot.js'

/** Time, injected so plans are reproducible and tests exact. Epoch seconds. */
export interface Clock {
  now(): number
  /**
   * Resolves after `seconds` of this clock's time (a fake clock resolves when advanced past it). Rejects with the
   * signal's reason when aborted, so a controller loop stops promptly on shutdown.
   */
  sleep(seconds: number, signal?: AbortSignal): Promise<void>
}

export interface ClusterReader {
  /** Captures nodes, pods, workloads and telemetry as one snapshot. */
  snapshot(): Promise<ClusterSnapshot>
}

/**
 * What must still hold in the cluster for a change to be safe: one definition, the plan's (src/core/model/plan.ts),
 * so what the planner writes and what a writer checks can never drift apart. Staleness is per change: a change
 * whose preconditions no longer hold is refused or replanned alone, and the rest of the plan goes on.
 */
export type {Precondition}

/**
 * The least a writer needs from a change: an id for its result and what must hold before acting. The plan's typed
 * Change union satisfies it structurally, so the writer ports do not depend on the union's shape.
 */
export interface ExecutableChange {
  id: string
  preconditions: readonly Precondition[]
}

/** The outcome of one change. A writer never throws for a change it could not make: it says why here. */
export type ChangeResult =
  | {changeId: string; status: 'applied'}
  /** A precondition no longer holds: nothing was changed; the caller refuses or replans this change only. */
  | {changeId: string; status: 'precondition-failed'; precondition: Precondition; actual: unknown}
  /** The API refused or failed. `retryable`: a conflict, a timeout, a 5xx; not: forbidden, invalid, not found. */
  | {changeId: string; status: 'failed'; message: string; retryable: boolean}

/**
 * Applies one typed change to the cluster (replicas, MIG config label, cordon/drain): checks the change's
 * preconditions against the live object first and acts only when all hold, in one step per change.
 */
export interface ClusterWriter<C extends ExecutableChange = ExecutableChange> {
  apply(change: C): Promise<ChangeResult>
}

/** Why a node-group write failed: capacity errors drive the spot → on-demand fallback and the group's backoff. */
export type NodeGroupFailure = 'capacity' | 'quota' | 'not-found' | 'conflict' | 'other'

export type NodeGroupWriteResult = {status: 'done'} | {status: 'failed'; failure: NodeGroupFailure; message: string}

/**
 * Node groups as Cluster Autoscaler's NodeGroup sees them: grow by a delta, shrink only by naming the node.
 * There is deliberately no "set size": setting a smaller size lets the cloud pick which node dies (not the idle
 * one the plan chose), and a size set next to a node removal counts the removal twice.
 */
export interface NodeGroupWriter {
  /** Adds `delta` (> 0) nodes to the group's target size; relative, so a concurrent removal is not undone. */
  increaseSize(group: string, delta: number): Promise<NodeGroupWriteResult>
  /** Deletes this node and lowers the group's target size by one, atomically (never a different node). */
  removeNode(group: string, node: string): Promise<NodeGroupWriteResult>
}

export interface TelemetryQuery {
  metric: string
  query?: string
  rangeSeconds: number
  stepSeconds: number
}

export interface TelemetrySource {
  /** Returns the series for a metric over the last `rangeSeconds` before `at`. */
  range(query: TelemetryQuery, at: number): Promise<Series[]>
}

/**
 * Where the controller keeps the state a plan returns for the next tick (stabilization records, scale events,
 * backoff, changes in flight; a ConfigMap in a cluster). Writes are compare-and-swap on the version read, so two
 * controllers can never silently overwrite each other's state. Generic over the state type the planner defines.
 */
export interface StateStore<S> {
  /** The last saved state and its version; undefined before the first save. */
  load(): Promise<{state: S; version: string} | undefined>
  /** Saves when the stored version is still `expectedVersion` (undefined: nothing stored yet). */
  save(
    state: S,
    expectedVersion: string | undefined,
  ): Promise<{saved: true; version: string} | {saved: false; reason: 'conflict'}>
}

export type LeaseStatus = {held: true; expiresAt: number} | {held: false; holder: string; expiresAt: number}

/**
 * Leader election, as a coordination.k8s.io Lease: only the holder acts, so two `apply --watch` replicas never
 * execute the same plan. Times are the Clock's epoch seconds.
 */
export interface Lease {
  /** Takes the lease when it is free or expired, or renews it when `holder` has it; otherwise reports who has it. */
  tryAcquireOrRenew(holder: string, durationSeconds: number): Promise<LeaseStatus>
  /** Gives the lease up early (on shutdown) when `holder` has it; a no-op otherwise. */
  release(holder: string): Promise<void>
}
