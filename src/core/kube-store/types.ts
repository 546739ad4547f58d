/** Plain JSON shapes of Kubernetes objects as the twin stores and serves them. */

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json}
export type JsonObject = {[key: string]: Json}

export interface ObjectMeta {
  name: string
  namespace?: string
  uid?: string
  resourceVersion?: string
  generation?: number
  creationTimestamp?: string
  deletionTimestamp?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: Array<{
    apiVersion: string
    kind: string
    name: string
    uid: string
    controller?: boolean
    blockOwnerDeletion?: boolean
  }>
  [key: string]: unknown
}

/** Any stored object: kind, apiVersion and metadata are always there, the rest is the resource's own. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  // Objects are free-form JSON beyond metadata; handlers read spec/status through the helpers below.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** One entry of the store's change history. `previous` lets a filtered watch turn "stopped matching" into DELETED. */
export interface StoreEvent {
  type: WatchEventType
  /** Plural of the resource (`pods`), with its group: `apps/deployments`. */
  resourceKey: string
  resourceVersion: number
  object: KubeObject
  previous?: KubeObject
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
