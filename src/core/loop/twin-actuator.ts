/**
 * The write ports over the digital twin: what a live actuator does to a cluster, with the cluster's real delays.
 *
 * - Replicas: the workload's `spec.replicas` is set at once; pods then go Pending → scheduled → loading → ready
 *   in the twin, so new capacity serves only after weight load.
 * - Node groups: a scale-up raises the target size now, and nodes serve only after provisioning and driver init
 *   (the twin's cold start); a removal drains the named node first (honouring PodDisruptionBudgets).
 * - MIG: as NVIDIA's MIG manager requires, and as the plan's steps say — cordon, drain the pods on the GPUs that
 *   change, and only when they are gone set `nvidia.com/mig.config`; the manager reconfigures and reports
 *   `nvidia.com/mig.config.state`; then uncordon. That takes virtual time, so the change is accepted now
 *   (`applied`: the actuator owns it) and advanced by `progress()`, which the loop calls every tick, as a
 *   controller's reconcile would. `operations()` says where each one is.
 *
 * Preconditions are read from the twin's current state (`read`), the fields the planner writes them against.
 */
import type {FieldReader} from '../apply/index.js'
import type {PolicyConfig} from '../model/config.js'
import type {Change, MigChange} from '../model/plan.js'
import type {ChangeResult, ClusterWriter, NodeGroupWriter, NodeGroupWriteResult} from '../ports.js'
import type {Twin} from '../twin/index.js'
import {gpuHasPods} from '../twin/mig-manager.js'

/** Where a MIG change is: draining its pods, waiting for the MIG manager, or finished. */
export interface MigOperation {
  changeId: string
  node: string
  config: string
  phase: 'draining' | 'reconfiguring' | 'succeeded' | 'failed'
  since: number
  /** A drain not finished by then fails (a PDB that never allows the eviction must not cordon a node forever). */
  drainDeadline: number
  message?: string
}

/** kubectl drain's habit when no timeout is given is to wait forever; an unattended loop must not. */
const DEFAULT_DRAIN_TIMEOUT_SECONDS = 900

/** The label path MIG preconditions use (`kubectl get node -o json`'s metadata.labels key). */
const MIG_LABEL_PATH = 'metadata.labels["nvidia.com/mig.config"]'

export class TwinActuator implements ClusterWriter<Change>, NodeGroupWriter {
  private readonly migOps: MigOperation[] = []
  private readonly modelOfWorkload = new Map<string, string>()

  constructor(
    private readonly twin: Twin,
    config: PolicyConfig,
  ) {
    for (const m of config.models)
      this.modelOfWorkload.set(workloadId(m.workload.kind, m.workload.namespace, m.workload.name), m.name)
  }

  readonly read: FieldReader = (resource, path) => {
    if (resource.kind === 'NodeGroup' && path === 'status.targetSize') return this.twin.groupTargetSize(resource.name)
    if ((resource.kind === 'Deployment' || resource.kind === 'StatefulSet') && path === 'spec.replicas') {
      const model = this.modelOfWorkload.get(workloadId(resource.kind, resource.namespace ?? '', resource.name))
      return model === undefined ? undefined : this.twin.workloadReplicas(model)
    }
    if (resource.kind === 'Node' && path === MIG_LABEL_PATH) {
      const node = this.twin.nodeState(resource.name)
      return node ? (node.labels['nvidia.com/mig.config'] ?? null) : undefined
    }
    return undefined
  }

  async apply(change: Change): Promise<ChangeResult> {
    for (const precondition of change.preconditions) {
      const actual = this.read(precondition.resource, precondition.path)
      const holds =
        precondition.equals === null ? actual === null || actual === undefined : actual === precondition.equals
      if (!holds) return {changeId: change.id, status: 'precondition-failed', precondition, actual}
    }
    if (change.action === 'scale-replicas') {
      const {kind, namespace, name} = change.payload.workload
      const model = this.modelOfWorkload.get(workloadId(kind, namespace, name))
      if (model === undefined)
        return {
          changeId: change.id,
          status: 'failed',
          message: `no workload ${namespace}/${name} in the twin`,
          retryable: false,
        }
      const result = this.twin.scaleWorkload(model, change.payload.to)
      return result.ok
        ? {changeId: change.id, status: 'applied'}
        : {changeId: change.id, status: 'failed', message: result.message, retryable: false}
    }
    if (change.action === 'repartition-gpu') return this.startMig(change)
    return {
      changeId: change.id,
      status: 'failed',
      message: `${change.action} goes through the NodeGroupWriter`,
      retryable: false,
    }
  }

  async increaseSize(group: string, delta: number): Promise<NodeGroupWriteResult> {
    const result = this.twin.scaleNodeGroup(group, delta)
    if (result.ok) return {status: 'done'}
    return {
      status: 'failed',
      failure: result.reason === 'UnknownNodeGroup' ? 'not-found' : 'other',
      message: result.message,
    }
  }

  async removeNode(_group: string, node: string): Promise<NodeGroupWriteResult> {
    const result = this.twin.removeNode(node)
    if (result.ok) return {status: 'done'}
    // A PodDisruptionBudget refusal clears once replacements are ready: a conflict, worth retrying.
    return {
      status: 'failed',
      failure:
        result.reason === 'UnknownNode' ? 'not-found' : result.reason === 'PodDisruptionBudget' ? 'conflict' : 'other',
      message: result.message,
    }
  }

  /** Every MIG operation so far, in the order they started. */
  operations(): readonly MigOperation[] {
    return this.migOps
  }

  /** Moves MIG operations on: drained → set the label; the manager reported → uncordon. Called every tick. */
  progress(): void {
    for (const op of this.migOps) {
      if (op.phase === 'draining') {
        const node = this.twin.nodeState(op.node)
        if (!node) {
          this.finish(op, 'failed', 'the node left before it was drained')
          continue
        }
        if (node.gpus.some((gpu) => gpuHasPods(gpu) && this.changes(op, gpu.index))) {
          if (this.twin.now >= op.drainDeadline) this.finish(op, 'failed', 'the drain did not finish in time')
          // A PDB refuses an eviction until a replacement is ready elsewhere: ask again, as kubectl drain retries.
          else for (const pod of this.drainOf.get(op.changeId) ?? []) this.twin.evictPod(pod)
          continue
        }
        const result = this.twin.setMigConfig(op.node, op.config)
        if (!result.ok) this.finish(op, 'failed', result.message)
        else op.phase = 'reconfiguring'
      } else if (op.phase === 'reconfiguring') {
        const state = this.twin.nodeState(op.node)?.migConfigState
        if (state === undefined) this.finish(op, 'failed', 'the node left during the reconfiguration')
        else if (state === 'success' || state === 'failed')
          this.finish(
            op,
            state === 'success' ? 'succeeded' : 'failed',
            state === 'failed' ? 'the MIG manager reported failed' : undefined,
          )
      }
    }
  }

  private readonly gpusOf = new Map<string, ReadonlySet<number>>()
  private readonly drainOf = new Map<string, readonly string[]>()

  private changes(op: MigOperation, gpu: number): boolean {
    return this.gpusOf.get(op.changeId)?.has(gpu) ?? true
  }

  private startMig(change: MigChange): ChangeResult {
    const {node, migConfig, drain, gpus} = change.payload
    const busy = this.migOps.find((op) => op.node === node && (op.phase === 'draining' || op.phase === 'reconfiguring'))
    if (busy)
      return {
        changeId: change.id,
        status: 'failed',
        message: `${node} is already being reconfigured (${busy.changeId})`,
        retryable: true,
      }
    const cordon = this.twin.setCordoned(node, true)
    if (!cordon.ok) return {changeId: change.id, status: 'failed', message: cordon.message, retryable: false}
    // Evictions honour PDBs; a refused one leaves its pod and the operation waits until its drain deadline.
    for (const pod of drain) this.twin.evictPod(pod)
    this.gpusOf.set(change.id, new Set(gpus))
    this.drainOf.set(change.id, drain)
    const timeout = change.steps?.find((s) => s.action === 'drain')?.timeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS
    this.migOps.push({
      changeId: change.id,
      node,
      config: migConfig,
      phase: 'draining',
      since: this.twin.now,
      drainDeadline: this.twin.now + timeout,
    })
    this.progress()
    return {changeId: change.id, status: 'applied'}
  }

  private finish(op: MigOperation, phase: 'succeeded' | 'failed', message?: string): void {
    op.phase = phase
    if (message !== undefined) op.message = message
    this.twin.setCordoned(op.node, false)
  }
}

function workloadId(kind: string, namespace: string, name: string): string {
  return `${namespace}/${kind}/${name}`
}
