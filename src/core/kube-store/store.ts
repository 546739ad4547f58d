/**
 * An in-memory object store with the apiserver's storage semantics, pure (time comes from an injected clock):
 *
 * - one global resourceVersion counter, bumped on every write and stamped on the written object (RVs are opaque
 *   strings to clients, so a single counter is enough, facts §2);
 * - optimistic concurrency: a write that carries a `metadata.resourceVersion` other than the stored one is a 409;
 * - `uid`, `creationTimestamp` and, for kinds that have it, `generation` (bumped when `spec` changes);
 * - a bounded change history for watches. Watching from an RV older than the history is 410 Expired, as the
 *   watch cache answers once etcd compacted (apiserver/pkg/storage/cacher/cacher.go); `compactHistory()` makes
 *   that happen on demand (fault injection, tests).
 *
 * Listeners are called synchronously, after the write, in write order.
 */
import {groupVersionOf, type ResourceType} from './resources.js'
import {matchesFields, matchesLabels, type FieldRequirement, type Selector} from './selectors.js'
import {alreadyExists, conflict, expired, notFound} from './status.js'
import type {KubeObject, StoreEvent} from './types.js'

export interface StoreOptions {
  /** Epoch milliseconds. */
  clock: () => number
  /** Events kept for watches; older resourceVersions are expired. */
  historyLimit?: number
  /**
   * How long events are kept, in ms (none by default). etcd compacts every 5 minutes by default
   * (kube-apiserver `--etcd-compaction-interval=5m`): a watch from an RV older than that is 410 Expired.
   */
  historyWindowMs?: number
}

export interface ListFilter {
  namespace?: string
  labelSelector?: Selector
  fieldSelector?: FieldRequirement[]
}

export type StoreListener = (event: StoreEvent) => void

export function resourceKeyOf(resource: Pick<ResourceType, 'group' | 'plural'>): string {
  return `${resource.group}/${resource.plural}`
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`
}

/** RFC 3339 in UTC with seconds precision, as metav1.Time serializes. */
export function formatTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

export function matchesFilter(object: KubeObject, filter: ListFilter): boolean {
  if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace) return false
  if (filter.labelSelector && !matchesLabels(filter.labelSelector, object.metadata.labels)) return false
  if (filter.fieldSelector && !matchesFields(filter.fieldSelector, object)) return false
  return true
}

export class KubeStore {
  readonly clock: () => number
  private readonly historyLimit: number
  private readonly historyWindowMs: number | undefined
  /** When each retained event was written (epoch ms), parallel to `history`. */
  private historyTimes: number[] = []
  private readonly objects = new Map<string, Map<string, KubeObject>>()
  private history: StoreEvent[] = []
  private revision = 1
  /** The highest RV no longer in history: watching from below it is 410. */
  private compactedRevision = 0
  private uidCounter = 0
  private readonly listeners = new Set<StoreListener>()

  constructor(options: StoreOptions) {
    this.clock = options.clock
    this.historyLimit = options.historyLimit ?? 10_000
    this.historyWindowMs = options.historyWindowMs
  }

  /** The current resourceVersion, as a list's `metadata.resourceVersion`. */
  get resourceVersion(): string {
    return String(this.revision)
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(objectKey(resource.namespaced ? namespace : undefined, name))
    return found ? structuredClone(found) : undefined
  }

  /** Like get, but a missing object is the apiserver's 404. */
  require(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(resource, namespace, name)
    if (!found) throw notFound(resource, name)
    return found
  }

  /** Items sorted by namespace then name, as etcd's key order returns them. */
  list(resource: ResourceType, filter: ListFilter = {}): {items: KubeObject[]; resourceVersion: string} {
    const items = [...this.bucket(resource).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => matchesFilter(o, filter))
      .map((o) => structuredClone(o))
    return {items, resourceVersion: this.resourceVersion}
  }

  create(resource: ResourceType, input: KubeObject): KubeObject {
    const bucket = this.bucket(resource)
    const namespace = resource.namespaced ? input.metadata.namespace : undefined
    const key = objectKey(namespace, input.metadata.name)
    if (bucket.has(key)) throw alreadyExists(resource, input.metadata.name)
    const object = structuredClone(input)
    object.apiVersion = groupVersionOf(resource)
    object.kind = resource.kind
    const {resourceVersion: _rv, ...meta} = object.metadata
    object.metadata = {
      ...meta,
      ...(namespace !== undefined ? {namespace} : {}),
      uid: meta.uid ?? this.nextUid(),
      creationTimestamp: meta.creationTimestamp ?? formatTime(this.clock()),
      ...(resource.generation ? {generation: 1} : {}),
    }
    if (!resource.namespaced) delete object.metadata.namespace
    return this.commit(resource, 'ADDED', key, object)
  }

  /**
   * Replaces an object. A `metadata.resourceVersion` in the input must match the stored one (409 otherwise); an
   * input without one writes unconditionally, as the apiserver allows for PUT of most kinds. `part: 'status'`
   * keeps everything but `status` (the status subresource); `part: 'main'` keeps the stored status.
   */
  update(resource: ResourceType, input: KubeObject, part: 'all' | 'main' | 'status' = 'all'): KubeObject {
    const namespace = resource.namespaced ? input.metadata.namespace : undefined
    const key = objectKey(namespace, input.metadata.name)
    const current = this.bucket(resource).get(key)
    if (!current) throw notFound(resource, input.metadata.name)
    const expected = input.metadata.resourceVersion
    if (expected !== undefined && expected !== '' && expected !== current.metadata.resourceVersion)
      throw conflict(resource, input.metadata.name)
    let object: KubeObject
    if (part === 'status') {
      object = {...structuredClone(current), status: structuredClone(input.status)}
    } else {
      object = structuredClone(input)
      if (part === 'main') {
        if (current.status !== undefined) object.status = structuredClone(current.status)
        else delete object.status
      }
    }
    object.apiVersion = current.apiVersion
    object.kind = current.kind
    // Identity and server-set fields are not the client's to change (ObjectMeta validation on update).
    object.metadata = {
      ...object.metadata,
      name: current.metadata.name,
      uid: current.metadata.uid,
      creationTimestamp: current.metadata.creationTimestamp,
      ...(current.metadata.deletionTimestamp ? {deletionTimestamp: current.metadata.deletionTimestamp} : {}),
    }
    if (namespace !== undefined) object.metadata.namespace = namespace
    else delete object.metadata.namespace
    if (resource.generation) {
      const specChanged = JSON.stringify(object.spec) !== JSON.stringify(current.spec)
      object.metadata.generation = (current.metadata.generation ?? 1) + (specChanged && part !== 'status' ? 1 : 0)
    } else delete object.metadata.generation
    // A write that changes nothing is not a write: the apiserver keeps the RV and sends no watch event.
    const unchanged =
      JSON.stringify({...object, metadata: {...object.metadata, resourceVersion: undefined}}) ===
      JSON.stringify({...current, metadata: {...current.metadata, resourceVersion: undefined}})
    if (unchanged) return structuredClone(current)
    return this.commit(resource, 'MODIFIED', key, object, current)
  }

  /** Deletes an object; the DELETED event carries it with a new resourceVersion, as upstream. */
  remove(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const ns = resource.namespaced ? namespace : undefined
    const key = objectKey(ns, name)
    const current = this.bucket(resource).get(key)
    if (!current) throw notFound(resource, name)
    return this.commit(resource, 'DELETED', key, structuredClone(current), current)
  }

  /**
   * Follows changes of one resource after `fromRevision`: first replays the retained history, then calls the
   * listener on every new write until the returned function is called. Throws 410 Expired when the history no
   * longer reaches back to `fromRevision`.
   */
  watch(resource: ResourceType, fromRevision: number, listener: StoreListener): () => void {
    this.expireHistory()
    if (fromRevision < this.compactedRevision) throw expired(fromRevision, this.compactedRevision + 1)
    const key = resourceKeyOf(resource)
    for (const event of this.history) {
      if (event.resourceKey === key && event.resourceVersion > fromRevision) listener(structuredClone(event))
    }
    const wrapped: StoreListener = (event) => {
      if (event.resourceKey === key) listener(structuredClone(event))
    }
    this.listeners.add(wrapped)
    return () => this.listeners.delete(wrapped)
  }

  /** Forgets the whole history: every watch from an older RV gets 410 Expired (as after an etcd compaction). */
  compactHistory(): void {
    this.compactedRevision = this.revision
    this.history = []
    this.historyTimes = []
  }

  private commit(
    resource: ResourceType,
    type: StoreEvent['type'],
    key: string,
    object: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    this.revision++
    object.metadata.resourceVersion = String(this.revision)
    const bucket = this.bucket(resource)
    if (type === 'DELETED') bucket.delete(key)
    else bucket.set(key, object)
    const event: StoreEvent = {
      type,
      resourceKey: resourceKeyOf(resource),
      resourceVersion: this.revision,
      object,
      ...(previous ? {previous} : {}),
    }
    this.history.push(event)
    this.historyTimes.push(this.clock())
    this.expireHistory()
    for (const listener of [...this.listeners]) listener(event)
    return structuredClone(object)
  }

  /** Drops events beyond the count limit or older than the time window; watching from before them is 410. */
  private expireHistory(): void {
    let drop = Math.max(0, this.history.length - this.historyLimit)
    if (this.historyWindowMs !== undefined) {
      const oldest = this.clock() - this.historyWindowMs
      while (drop < this.historyTimes.length && this.historyTimes[drop]! < oldest) drop++
    }
    if (drop === 0) return
    this.compactedRevision = this.history[drop - 1]!.resourceVersion
    this.history.splice(0, drop)
    this.historyTimes.splice(0, drop)
  }

  private bucket(resource: ResourceType): Map<string, KubeObject> {
    const key = resourceKeyOf(resource)
    let bucket = this.objects.get(key)
    if (!bucket) {
      bucket = new Map()
      this.objects.set(key, bucket)
    }
    return bucket
  }

  /** Deterministic UUID-shaped uids: the store is pure, and tests compare runs. */
  private nextUid(): string {
    this.uidCounter++
    return `00000000-0000-4000-8000-${this.uidCounter.toString(16).padStart(12, '0')}`
  }
}
