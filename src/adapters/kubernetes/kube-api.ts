/**
 * The write side's one door to the API server: client-node's typed clients, each call named by method and path and
 * run through ./retry.ts (409 re-run, 429/5xx backoff, everything else one line naming the URL). Patches always
 * say their content type: client-node would otherwise send an object body as a JSON patch (facts §3).
 */
import type {ClusterConnection} from './connection.js'
import {ApiCallError, classifyApiError, type RetryOptions, withRetry} from './retry.js'

export type {KubeObject} from './read-cluster.js'

export const MIG_CONFIG_LABEL = 'nvidia.com/mig.config'
export const MIG_STATE_LABEL = 'nvidia.com/mig.config.state'
export const CAPI = {group: 'cluster.x-k8s.io', version: 'v1beta2'}
export const KEDA = {group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects'}

export class KubeApi {
  readonly core
  readonly apps
  readonly custom
  readonly autoscaling
  readonly scheduling
  /** `Content-Type: application/merge-patch+json`, passed as the options of every patch call. */
  readonly mergePatch

  constructor(
    readonly connection: ClusterConnection,
    readonly retry: RetryOptions,
  ) {
    const {k8s, kc} = connection
    this.core = kc.makeApiClient(k8s.CoreV1Api)
    this.apps = kc.makeApiClient(k8s.AppsV1Api)
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi)
    this.autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api)
    this.scheduling = kc.makeApiClient(k8s.SchedulingV1Api)
    this.mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch)
  }

  get server(): string {
    return this.connection.server
  }

  /** One call with retries; a 409 re-runs `run` (which re-reads), 429/5xx back off. */
  call<T>(method: string, path: string, run: () => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
    return withRetry({server: this.server, method, path}, run, {...this.retry, ...options})
  }

  /** A read whose 404 means "absent". */
  async optional<T>(method: string, path: string, run: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(method, path, run)
    } catch (error) {
      if (error instanceof ApiCallError && error.kind === 'not-found') return undefined
      throw error
    }
  }

  /** One try, classified but not retried (the caller decides, e.g. an eviction's PDB 429). */
  async once<T>(method: string, path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (error) {
      throw classifyApiError({server: this.server, method, path}, error)
    }
  }
}

/** The REST path of a Deployment or StatefulSet, for messages. */
export function workloadPath(kind: 'Deployment' | 'StatefulSet', namespace: string, name: string): string {
  return `/apis/apps/v1/namespaces/${namespace}/${kind === 'Deployment' ? 'deployments' : 'statefulsets'}/${name}`
}

/**
 * The value at a precondition path of an object: `spec.replicas`, `metadata.labels["nvidia.com/mig.config"]`
 * (bracketed keys hold dots), as `kubectl get -o json` shows it. Undefined when any step is missing.
 */
export function valueAtPath(object: unknown, path: string): unknown {
  let value: unknown = object
  for (const key of splitPath(path)) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value instanceof Date ? value.toISOString() : value
}

export function splitPath(path: string): string[] {
  const keys: string[] = []
  const pattern = /([^.[\]]+)|\["((?:[^"\\]|\\.)*)"\]/g
  for (const match of path.matchAll(pattern)) keys.push(match[1] ?? (match[2] as string).replace(/\\(.)/g, '$1'))
  return keys
}
