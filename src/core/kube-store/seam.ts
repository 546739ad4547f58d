/**
 * The seam between the API server and the twin that drives the fleet behind it.
 *
 * The API layer (./api.ts) is the apiserver: storage, validation, optimistic concurrency, PodDisruptionBudget
 * checks on eviction. What a kubelet, the controllers, Cluster API, the MIG manager or a cloud provider would do
 * in reaction is the twin's: the API layer tells it through `TwinSeam`, and the twin writes what happens next
 * back through `TwinWriter` (now or later, in simulated time). `sim serve` binds the discrete-event twin
 * (src/core/twin-serve/binding.ts); `BuiltinTwin` (./builtin-twin.ts), which reacts at once like a settled
 * cluster, remains for the API server's own tests.
 */
import type {KubeObject} from './types.js'

/** Kinds whose replica count clients write (through `spec.replicas` or the `scale` subresource). */
export type ScalableKind = 'Deployment' | 'ReplicaSet' | 'MachineDeployment'

export interface TwinSeam {
  /**
   * A client changed a replica count, or asked for one through the scale subresource (then the value may equal
   * the old one: kubectl scale always writes).
   */
  onScale(kind: ScalableKind, namespace: string, name: string, replicas: number): void
  /** A client changed a node: labels (e.g. `nvidia.com/mig.config`), taints or `spec.unschedulable`. */
  onNodePatch(name: string, node: KubeObject, previous: KubeObject): void
  /**
   * A pod must go: an eviction that its PodDisruptionBudget allowed, or a DELETE. The twin removes it now or
   * after its termination grace period (`TwinWriter.removeObject`); until then it marks the pod terminating by
   * upserting it with `metadata.deletionTimestamp`, which keeps it visible but unready and outside its budget,
   * as a terminating pod is (kubectl drain then polls until the pod is gone).
   */
  onEvict(namespace: string, name: string, pod: KubeObject, cause: 'eviction' | 'delete'): void
}

/** How the twin writes the world back. These writes are the cluster's own: they never call the seam again. */
export interface TwinWriter {
  /** Creates the object, or replaces it whole (status included) when it exists. */
  upsertObject(object: KubeObject): KubeObject
  /** Replaces only the status, as a controller writing `/status` does. */
  setStatus(kind: string, namespace: string | undefined, name: string, status: unknown): KubeObject
  /** Removes the object now (a pod whose grace period ended, a deleted node). Missing objects are ignored. */
  removeObject(kind: string, namespace: string | undefined, name: string): void
  getObject(kind: string, namespace: string | undefined, name: string): KubeObject | undefined
  listObjects(kind: string, namespace?: string): KubeObject[]
}
