/**
 * The apiserver's behaviour over the store, independent of HTTP: create, replace, patch and delete with the
 * validation and concurrency rules clients rely on, the `scale` and `eviction` subresources, Lease MicroTime
 * validation, and PodDisruptionBudget status kept current from the pods (the disruption controller's job, done
 * here because eviction decisions read it). Everything a client changes is reported to the bound `TwinSeam`.
 */
import {applyJsonPatch, applyMergePatch, applyStrategicMergePatch} from './patch.js'
import {qualifiedKind, resourceByKind, type ResourceType} from './resources.js'
import type {ScalableKind, TwinSeam, TwinWriter} from './seam.js'
import {formatSelector, matchesLabels, selectorFromObject} from './selectors.js'
import {badRequest, conflict, invalid, notFound, StatusError} from './status.js'
import {KubeStore, type ListFilter} from './store.js'
import {isObject, type KubeObject} from './types.js'

export const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const

const NAMESPACES = resourceByKind('Namespace')
const PODS = resourceByKind('Pod')
const PDBS = resourceByKind('PodDisruptionBudget')
const REPLICASETS = resourceByKind('ReplicaSet')

/** Seam used until a twin is bound: a cluster with no controllers, where nothing reacts. */
const NO_TWIN: TwinSeam = {onScale() {}, onNodePatch() {}, onEvict() {}}

/**
 * metav1.MicroTime serializes and parses with RFC3339Micro, exactly six fraction digits
 * (apimachinery/pkg/apis/meta/v1/micro_time.go). client-node passes a Date through as toISOString()'s three
 * digits and a real apiserver rejects it (facts §3), so the twin rejects it too.
 */
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/

export interface ScaleObject {
  apiVersion: 'autoscaling/v1'
  kind: 'Scale'
  metadata: {name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string}
  spec: {replicas?: number}
  status: {replicas: number; selector?: string}
}

export class KubeApi implements TwinWriter {
  readonly store: KubeStore
  private seam: TwinSeam = NO_TWIN
  private nameCounter = 0

  constructor(store: KubeStore) {
    this.store = store
  }

  /** Binds the twin that reacts to client writes (see ./seam.ts). */
  bind(seam: TwinSeam): void {
    this.seam = seam
  }

  // --- client verbs -------------------------------------------------------------------------------------------

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    return this.store.require(resource, namespace, name)
  }

  list(resource: ResourceType, filter: ListFilter = {}): {items: KubeObject[]; resourceVersion: string} {
    return this.store.list(resource, filter)
  }

  create(resource: ResourceType, namespace: string | undefined, body: unknown): KubeObject {
    const object = this.asObject(body)
    if (resource.namespaced) {
      const ns = object.metadata.namespace ?? namespace
      if (namespace !== undefined && ns !== namespace)
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
      object.metadata.namespace = ns
      if (!this.store.get(NAMESPACES, undefined, ns ?? '')) throw notFound(NAMESPACES, ns ?? '')
    }
    if (!object.metadata.name && typeof object.metadata.generateName === 'string')
      object.metadata.name = object.metadata.generateName + this.nextSuffix()
    if (!object.metadata.name)
      throw new StatusError(
        422,
        'Invalid',
        `${qualifiedKind(resource)} "" is invalid: metadata.name: Required value: name or generateName is required`,
      )
    this.validate(resource, object)
    if (resource.kind === 'Namespace') object.status = {phase: 'Active'}
    const created = this.store.create(resource, object)
    this.afterClientWrite(resource, created, undefined)
    return created
  }

  /** PUT: the whole object (or only its status with `part: 'status'`); a stale resourceVersion is a 409. */
  replace(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    part: 'main' | 'status' = 'main',
  ): KubeObject {
    const object = this.asObject(body)
    if (object.metadata.name !== name)
      throw badRequest(`the name of the object (${object.metadata.name}) does not match the name on the URL (${name})`)
    if (resource.namespaced) object.metadata.namespace = namespace
    const previous = this.store.require(resource, namespace, name)
    this.validate(resource, object)
    const updated = this.store.update(resource, object, resource.subresources.includes('status') ? part : 'all')
    this.afterClientWrite(resource, updated, previous)
    return updated
  }

  /**
   * PATCH by content type. A `metadata.resourceVersion` in the patch is a precondition (409 when stale), as the
   * apiserver treats it; server-side apply is approximated as a merge patch (real field ownership is out of
   * scope, facts §1), creating the object when it does not exist.
   */
  patch(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    body: unknown,
    part: 'main' | 'status' = 'main',
  ): KubeObject {
    const type = contentType.split(';')[0]!.trim().toLowerCase()
    const current = this.store.get(resource, namespace, name)
    if (!current) {
      if (type === PATCH_TYPES.apply && isObject(body))
        return this.create(resource, namespace, {...body, metadata: {...(body.metadata as object), name}})
      throw notFound(resource, name)
    }
    const patched = this.applyPatch(resource, current, type, body) as KubeObject
    if (!isObject(patched) || !isObject(patched.metadata)) throw badRequest('the patch removed the object metadata')
    const expected = patched.metadata.resourceVersion
    if (expected !== undefined && expected !== current.metadata.resourceVersion) throw conflict(resource, name)
    patched.metadata.resourceVersion = current.metadata.resourceVersion
    return this.replace(resource, namespace, name, patched, part)
  }

  /**
   * DELETE. A pod goes through the twin (it may terminate gracefully); anything else is removed now, and what it
   * owns through a controller ownerReference follows, as the garbage collector's background propagation does
   * (a Deployment takes its ReplicaSet, which takes its pods).
   */
  delete(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const current = this.store.require(resource, namespace, name)
    if (resource.kind === 'Pod') {
      this.seam.onEvict(current.metadata.namespace ?? '', name, current, 'delete')
      return current
    }
    const removed = this.store.remove(resource, namespace, name)
    this.afterWrite(resource, removed)
    this.collectDependents(removed)
    return removed
  }

  private collectDependents(owner: KubeObject): void {
    for (const kind of ['ReplicaSet', 'Pod']) {
      for (const dependent of this.listObjects(kind, owner.metadata.namespace)) {
        if (!dependent.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid)) continue
        if (kind === 'Pod')
          this.seam.onEvict(dependent.metadata.namespace ?? '', dependent.metadata.name, dependent, 'delete')
        else this.delete(resourceByKind(kind), dependent.metadata.namespace, dependent.metadata.name)
      }
    }
  }

  // --- scale subresource --------------------------------------------------------------------------------------

  getScale(resource: ResourceType, namespace: string | undefined, name: string): ScaleObject {
    return this.scaleOf(resource, this.store.require(resource, namespace, name))
  }

  /** PUT (`mode: 'replace'`) or PATCH of the Scale; its resourceVersion is the object's (409 when stale). */
  updateScale(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    mode: {patchType?: string},
  ): ScaleObject {
    const current = this.store.require(resource, namespace, name)
    const currentScale = this.scaleOf(resource, current)
    let scale: ScaleObject
    if (mode.patchType !== undefined) {
      const type = mode.patchType.split(';')[0]!.trim().toLowerCase()
      scale = this.applyPatch(resource, currentScale as unknown as KubeObject, type, body) as unknown as ScaleObject
    } else {
      scale = body as ScaleObject
      if (!isObject(scale) || !isObject(scale.metadata))
        throw badRequest("Object 'Kind' is missing in the request body")
      if (scale.metadata.name !== name)
        throw badRequest(`the name of the object (${scale.metadata.name}) does not match the name on the URL (${name})`)
    }
    const expected = scale.metadata?.resourceVersion
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion)
      throw conflict(resource, name)
    const replicas = scale.spec?.replicas
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw new StatusError(
        422,
        'Invalid',
        `Scale.autoscaling "${name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
        {
          name,
          group: 'autoscaling',
          kind: 'Scale',
          causes: [
            {
              reason: 'FieldValueInvalid',
              message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
              field: 'spec.replicas',
            },
          ],
        },
      )
    }
    const next = {...current, spec: {...current.spec, replicas}}
    const updated = this.store.update(resource, next, 'main')
    this.afterClientWrite(resource, updated, current, true)
    return this.scaleOf(resource, updated)
  }

  private scaleOf(resource: ResourceType, object: KubeObject): ScaleObject {
    if (!resource.subresources.includes('scale')) throw notFound(resource, object.metadata.name)
    const selector = resource.custom
      ? object.status?.selector
      : formatSelector(selectorFromObject(object.spec?.selector))
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec: {replicas: object.spec?.replicas ?? 0},
      status: {replicas: object.status?.replicas ?? 0, ...(selector ? {selector} : {})},
    }
  }

  // --- eviction subresource -----------------------------------------------------------------------------------

  /**
   * policy/v1 Eviction, as pkg/registry/core/pod/storage/eviction.go decides it: a pod already terminating, or
   * not covered by a budget, goes; a budget with no disruption left refuses with 429 TooManyRequests (no
   * Retry-After, so kubectl's own 5 s retry paces it, facts §2); two budgets over one pod are a 500.
   */
  evict(namespace: string, name: string): void {
    const pod = this.store.require(PODS, namespace, name)
    if (!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed') {
      const budgets = this.store
        .list(PDBS, {namespace})
        .items.filter((pdb) => matchesLabels(selectorFromObject(pdb.spec?.selector), pod.metadata.labels))
      if (budgets.length > 1)
        throw new StatusError(
          500,
          'InternalError',
          'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
        )
      const pdb = budgets[0]
      if (pdb) {
        const status = computePdbStatus(
          pdb,
          this.store.list(PODS, {namespace}).items,
          (rs) => this.store.get(REPLICASETS, namespace, rs)?.spec?.replicas,
        )
        const healthy = isPodReady(pod)
        // An unhealthy pod may go while the budget is met (unhealthyPodEvictionPolicy IfHealthyBudget, the default).
        const allowed = healthy ? status.disruptionsAllowed > 0 : status.currentHealthy >= status.desiredHealthy
        if (!allowed) {
          throw new StatusError(
            429,
            'TooManyRequests',
            "Cannot evict pod as it would violate the pod's disruption budget.",
            {
              causes: [
                {
                  reason: 'DisruptionBudget',
                  message: `The disruption budget ${pdb.metadata.name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
                },
              ],
            },
          )
        }
      }
    }
    this.seam.onEvict(namespace, name, pod, 'eviction')
  }

  // --- TwinWriter: the cluster's own writes ------------------------------------------------------------------

  upsertObject(object: KubeObject): KubeObject {
    const resource = resourceByKind(object.kind)
    const existing = this.store.get(resource, object.metadata.namespace, object.metadata.name)
    const written = existing
      ? this.store.update(resource, {...object, metadata: {...object.metadata, resourceVersion: undefined}}, 'all')
      : this.store.create(resource, object)
    this.afterWrite(resource, written)
    return written
  }

  setStatus(kind: string, namespace: string | undefined, name: string, status: unknown): KubeObject {
    const resource = resourceByKind(kind)
    const current = this.store.require(resource, namespace, name)
    const written = this.store.update(
      resource,
      {...current, status, metadata: {...current.metadata, resourceVersion: undefined}},
      'status',
    )
    this.afterWrite(resource, written)
    return written
  }

  removeObject(kind: string, namespace: string | undefined, name: string): void {
    const resource = resourceByKind(kind)
    if (!this.store.get(resource, namespace, name)) return
    const removed = this.store.remove(resource, namespace, name)
    this.afterWrite(resource, removed)
  }

  getObject(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.store.get(resourceByKind(kind), namespace, name)
  }

  listObjects(kind: string, namespace?: string): KubeObject[] {
    return this.store.list(resourceByKind(kind), namespace === undefined ? {} : {namespace}).items
  }

  // --- internals ---------------------------------------------------------------------------------------------

  private asObject(body: unknown): KubeObject {
    if (!isObject(body) || !isObject(body.metadata))
      throw badRequest("Object 'metadata' is missing in the request body")
    return structuredClone(body) as KubeObject
  }

  private applyPatch(resource: ResourceType, current: KubeObject, type: string, body: unknown): unknown {
    switch (type) {
      case PATCH_TYPES.merge:
      case PATCH_TYPES.apply:
        if (!isObject(body)) throw badRequest('the body of a merge patch must be a JSON object')
        return applyMergePatch(current, body)
      case PATCH_TYPES.strategic:
        if (resource.custom)
          throw new StatusError(
            415,
            'UnsupportedMediaType',
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          )
        if (!isObject(body)) throw badRequest('the body of a strategic merge patch must be a JSON object')
        return applyStrategicMergePatch(current, body)
      case PATCH_TYPES.json:
        return applyJsonPatch(current, body)
      default:
        throw new StatusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml${resource.custom ? '' : ', application/strategic-merge-patch+json'}`,
        )
    }
  }

  /** The field rules clients meet most: replica counts, Lease times and durations. */
  private validate(resource: ResourceType, object: KubeObject): void {
    const name = object.metadata.name
    if (
      ['Deployment', 'ReplicaSet', 'MachineDeployment'].includes(resource.kind) &&
      object.spec?.replicas !== undefined
    ) {
      const replicas = object.spec.replicas
      if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
        throw invalid(resource, name, 'spec.replicas', replicas, 'must be greater than or equal to 0')
    }
    if (resource.kind === 'Lease') {
      for (const field of ['acquireTime', 'renewTime']) {
        const value = object.spec?.[field]
        if (value === undefined || value === null) continue
        if (typeof value !== 'string' || !MICRO_TIME.test(value)) {
          const fraction = typeof value === 'string' ? (value.match(/\.\d*.*$/)?.[0] ?? value) : String(value)
          throw badRequest(
            `parsing time "${String(value)}" as "2006-01-02T15:04:05.000000Z07:00": cannot parse "${fraction}" as ".000000"`,
          )
        }
      }
      const duration = object.spec?.leaseDurationSeconds
      if (duration !== undefined && duration !== null && (typeof duration !== 'number' || duration <= 0))
        throw invalid(resource, name, 'spec.leaseDurationSeconds', duration, 'must be greater than 0')
    }
  }

  /**
   * After a client's write: keep derived state current, then tell the twin what the client asked for. A replica
   * count is reported when it changed, or when it came through the scale subresource (an explicit request, even
   * of the same value).
   */
  private afterClientWrite(
    resource: ResourceType,
    written: KubeObject,
    previous: KubeObject | undefined,
    scaleRequest = false,
  ): void {
    this.afterWrite(resource, written)
    const kind = resource.kind
    if (kind === 'Deployment' || kind === 'ReplicaSet' || kind === 'MachineDeployment') {
      const replicas = written.spec?.replicas
      if (typeof replicas === 'number' && (scaleRequest || previous?.spec?.replicas !== replicas)) {
        this.seam.onScale(kind as ScalableKind, written.metadata.namespace ?? '', written.metadata.name, replicas)
      }
    }
    if (kind === 'Node' && previous) this.seam.onNodePatch(written.metadata.name, written, previous)
  }

  /** Budgets read pods: any pod or budget write refreshes the budgets of its namespace (the disruption controller). */
  private afterWrite(resource: ResourceType, written: KubeObject): void {
    if (resource.kind === 'Pod' || resource.kind === 'PodDisruptionBudget' || resource.kind === 'ReplicaSet')
      this.refreshBudgets(written.metadata.namespace ?? '')
  }

  private refreshBudgets(namespace: string): void {
    const pods = this.store.list(PODS, {namespace}).items
    for (const pdb of this.store.list(PDBS, {namespace}).items) {
      const status = computePdbStatus(pdb, pods, (rs) => this.store.get(REPLICASETS, namespace, rs)?.spec?.replicas)
      const next = {...status, observedGeneration: pdb.metadata.generation ?? 1}
      if (JSON.stringify(next) !== JSON.stringify(pdb.status)) {
        this.store.update(
          PDBS,
          {...pdb, status: next, metadata: {...pdb.metadata, resourceVersion: undefined}},
          'status',
        )
      }
    }
  }

  /** generateName suffixes: five base-36 characters, deterministic (the store is pure). */
  private nextSuffix(): string {
    this.nameCounter++
    return ((this.nameCounter * 7_919_731) % 60_466_176).toString(36).padStart(5, '0')
  }
}

export function isPodReady(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false
  const conditions: Array<{type: string; status: string}> = pod.status?.conditions ?? []
  return conditions.some((c) => c.type === 'Ready' && c.status === 'True')
}

export interface PdbStatus {
  disruptionsAllowed: number
  currentHealthy: number
  desiredHealthy: number
  expectedPods: number
  conditions: Array<{type: string; status: string; reason: string; message: string}>
}

/**
 * A budget's status as the disruption controller computes it (pkg/controller/disruption/disruption.go):
 * expected pods come from the owners' replica counts (a ReplicaSet's spec.replicas; one per ownerless pod),
 * healthy pods are the Ready ones not terminating, and percentages round up.
 */
export function computePdbStatus(
  pdb: KubeObject,
  podsInNamespace: KubeObject[],
  replicaSetReplicas: (name: string) => number | undefined,
): PdbStatus {
  const selector = selectorFromObject(pdb.spec?.selector)
  const pods = podsInNamespace.filter((p) => matchesLabels(selector, p.metadata.labels))
  const owners = new Map<string, number>()
  let ownerless = 0
  for (const pod of pods) {
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller)
    if (owner?.kind === 'ReplicaSet') owners.set(owner.name, replicaSetReplicas(owner.name) ?? 0)
    else if (owner) owners.set(`${owner.kind}/${owner.name}`, (owners.get(`${owner.kind}/${owner.name}`) ?? 0) + 1)
    else ownerless++
  }
  const expectedPods = [...owners.values()].reduce((a, b) => a + b, 0) + ownerless
  const currentHealthy = pods.filter(isPodReady).length
  const scaled = (value: unknown): number => {
    if (typeof value === 'number') return value
    const percent = Number(String(value).replace('%', ''))
    return Math.ceil((percent / 100) * expectedPods)
  }
  let desiredHealthy = 0
  if (pdb.spec?.minAvailable !== undefined) desiredHealthy = scaled(pdb.spec.minAvailable)
  else if (pdb.spec?.maxUnavailable !== undefined)
    desiredHealthy = Math.max(0, expectedPods - scaled(pdb.spec.maxUnavailable))
  const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy)
  return {
    disruptionsAllowed,
    currentHealthy,
    desiredHealthy,
    expectedPods,
    conditions: [
      {
        type: 'DisruptionAllowed',
        status: disruptionsAllowed > 0 ? 'True' : 'False',
        reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
        message: '',
      },
    ],
  }
}
