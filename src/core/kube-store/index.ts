/**
 * The twin's Kubernetes API, without HTTP: a pure object store (./store.ts), the apiserver's rules over it
 * (./api.ts), the seam the discrete-event twin binds to (./seam.ts) and, until it does, an immediate built-in
 * behaviour (./builtin-twin.ts). src/adapters/twin-server serves this over HTTP.
 */
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {KubeApi} from './api.js'
import {BuiltinTwin} from './builtin-twin.js'
import {seedCluster} from './seed.js'
import {KubeStore} from './store.js'

export {KubeApi, computePdbStatus, isPodReady, PATCH_TYPES, type ScaleObject} from './api.js'
export {BuiltinTwin, gpuRequests} from './builtin-twin.js'
export {
  RESOURCE_TYPES,
  findResource,
  groupVersionOf,
  resourceByKind,
  servedGroupVersions,
  verbsOf,
  type ResourceType,
} from './resources.js'
export type {ScalableKind, TwinSeam, TwinWriter} from './seam.js'
export {CAPI_ANNOTATIONS, MACHINE_NAMESPACE, TWIN_CLUSTER_NAME, gpuResourcesOf, seedCluster} from './seed.js'
export {matchesLabels, parseFieldSelector, parseLabelSelector} from './selectors.js'
export {StatusError, expired, successStatus, type Status} from './status.js'
export {KubeStore, formatTime, matchesFilter, resourceKeyOf, type ListFilter} from './store.js'
export type {KubeObject, StoreEvent} from './types.js'

export interface TwinCluster {
  store: KubeStore
  api: KubeApi
  /** The behaviour bound to the API until the discrete-event twin replaces it. */
  twin: BuiltinTwin
}

/**
 * A store seeded with a snapshot's fleet and the built-in twin bound. `clock` is epoch milliseconds (the server
 * passes the wall clock; tests pass a fixed one).
 */
export function createTwinCluster(input: {
  config: PolicyConfig
  snapshot: ClusterSnapshot
  clock: () => number
  historyLimit?: number
  historyWindowMs?: number
}): TwinCluster {
  const store = new KubeStore({
    clock: input.clock,
    historyLimit: input.historyLimit,
    historyWindowMs: input.historyWindowMs,
  })
  const api = new KubeApi(store)
  const twin = new BuiltinTwin(api)
  seedCluster(api, {config: input.config, snapshot: input.snapshot, now: input.clock()})
  api.bind(twin)
  twin.reconcileAll()
  return {store, api, twin}
}
