/**
 * The StateStore port over a ConfigMap: the state as JSON under one key, writes compare-and-swap on the
 * ConfigMap's resourceVersion (a PUT carrying the version read; the API server answers 409 when someone wrote in
 * between, which is `{saved: false, reason: 'conflict'}` here, never a silent overwrite). The first save creates
 * the ConfigMap; two first saves race on create and the loser gets AlreadyExists, also a conflict.
 *
 * Shared by `apply` (its journal and controller state) and `apply --watch`; generic over what is stored, and
 * `parse` validates what is read (a hand-edited ConfigMap must fail with its name, not deep in the planner).
 */
import type {StateStore} from '../../core/ports.js'
import type {KubeApi} from './kube-api.js'
import {ApiCallError} from './retry.js'

export interface ConfigMapStateStoreOptions<S> {
  namespace: string
  /** Default `gpu-scale-state`. */
  name?: string
  /** Default `state.json`. */
  key?: string
  /** Checks and types what was read; throws with a message to show. Default: JSON as is. */
  parse?: (value: unknown) => S
}

export class ConfigMapStateStore<S> implements StateStore<S> {
  readonly namespace: string
  readonly name: string
  readonly key: string
  private readonly parse: (value: unknown) => S

  constructor(
    private readonly api: KubeApi,
    options: ConfigMapStateStoreOptions<S>,
  ) {
    this.namespace = options.namespace
    this.name = options.name ?? 'gpu-scale-state'
    this.key = options.key ?? 'state.json'
    this.parse = options.parse ?? ((value) => value as S)
  }

  private get path(): string {
    return `/api/v1/namespaces/${this.namespace}/configmaps/${this.name}`
  }

  async load(): Promise<{state: S; version: string} | undefined> {
    const cm = await this.api.optional('GET', this.path, () =>
      this.api.core.readNamespacedConfigMap({namespace: this.namespace, name: this.name}),
    )
    const text = cm?.data?.[this.key]
    if (!cm || text === undefined) return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new Error(
        `ConfigMap ${this.namespace}/${this.name} key ${this.key} is not JSON: ${(error as Error).message}`,
      )
    }
    return {state: this.parse(value), version: cm.metadata?.resourceVersion ?? ''}
  }

  async save(
    state: S,
    expectedVersion: string | undefined,
  ): Promise<{saved: true; version: string} | {saved: false; reason: 'conflict'}> {
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: {'app.kubernetes.io/managed-by': 'gpu-scale'},
        ...(expectedVersion !== undefined ? {resourceVersion: expectedVersion} : {}),
      },
      data: {[this.key]: JSON.stringify(state)},
    }
    try {
      // A conflict is the caller's to resolve (re-load, merge, save again), never retried blindly; 429/5xx back off.
      const once = {maxConflicts: 0}
      const written =
        expectedVersion === undefined
          ? await this.api.call(
              'POST',
              `/api/v1/namespaces/${this.namespace}/configmaps`,
              () => this.api.core.createNamespacedConfigMap({namespace: this.namespace, body}),
              once,
            )
          : await this.api.call(
              'PUT',
              this.path,
              () => this.api.core.replaceNamespacedConfigMap({namespace: this.namespace, name: this.name, body}),
              once,
            )
      return {saved: true, version: written.metadata?.resourceVersion ?? ''}
    } catch (error) {
      if (error instanceof ApiCallError && error.code === 409) return {saved: false, reason: 'conflict'}
      throw error
    }
  }
}
