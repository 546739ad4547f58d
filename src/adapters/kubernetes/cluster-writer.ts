/**
 * The ClusterWriter for a live cluster: replica and MIG changes, each re-checking its preconditions against the
 * object it is about to write, in the same read-then-write step (the write carries the read resourceVersion, so a
 * write in between is a 409 and the whole step runs again on a fresh read: ./retry.ts).
 *
 * Replicas: the `scale` subresource, a merge patch `{spec: {replicas}}` with its content type said explicitly
 * (facts §3). Already at the target: nothing to write (a rerun is a no-op).
 *
 * MIG repartition, in this order (why each is where it is):
 *   1. cordon: nothing new may land on GPUs about to be cut (unless the node was cordoned already: then it stays
 *      cordoned at the end too);
 *   2. evict the node's GPU pods (the plan's `drain` list and any GPU pod that landed since) through policy/v1
 *      Eviction, so PodDisruptionBudgets are respected: a PDB's 429 is waited out, retried every `pollSeconds`
 *      until `evictionTimeoutSeconds`, then the change fails naming the budget, and the node is uncordoned
 *      again (nothing was reconfigured, so the node goes back as it was); then wait until the pods are gone
 *      (the MIG manager fails on busy GPUs, facts §6);
 *   3. set `nvidia.com/mig.config`: NVIDIA's MIG manager reconfigures;
 *   4. wait for `nvidia.com/mig.config.state=success`. `failed`, or still not success after `migTimeoutSeconds`:
 *      the change fails and the node STAYS cordoned (its GPUs are in an unknown layout; pods must not land there),
 *      with a message naming the node and the state;
 *   5. uncordon.
 * After each of steps 1–3 the progress is saved (the journal), so a rerun after a crash resumes at the next step
 * without checking the preconditions its own writes changed.
 */
import type {Change, MigChange, ReplicaChange} from '../../core/model/plan.js'
import type {ChangeResult, Clock, ClusterWriter, Precondition} from '../../core/ports.js'
import type {FieldReader} from '../../core/apply/index.js'
import {type MigProgress, reached} from '../../core/apply/journal.js'
import {formatDuration} from '../../core/model/duration.js'
import {
  type KubeApi,
  type KubeObject,
  MIG_CONFIG_LABEL,
  MIG_STATE_LABEL,
  valueAtPath,
  workloadPath,
} from './kube-api.js'
import {readWorkload} from './field-reader.js'
import {ApiCallError} from './retry.js'

export interface LiveClusterWriterOptions {
  clock: Clock
  /** Reads preconditions on objects other than the one being written. */
  read: FieldReader
  /** How long to wait for `nvidia.com/mig.config.state=success` (default 600 s). */
  migTimeoutSeconds?: number
  /** How long evictions may be refused by PodDisruptionBudgets and pods take to go (default 300 s). */
  evictionTimeoutSeconds?: number
  /** Between polls of a node's MIG state, a pod's deletion, a refused eviction (default 5 s, kubectl drain's). */
  pollSeconds?: number
  /** A MIG change's progress from the journal, and where to save each step. */
  progress?: {
    get(changeId: string): MigProgress | undefined
    save(change: MigChange, progress: MigProgress): Promise<void>
    clear(changeId: string): Promise<void>
  }
  /** One line per step, for the progress display. */
  log?: (line: string) => void
}

class PreconditionFailed extends Error {
  constructor(
    readonly precondition: Precondition,
    readonly actual: unknown,
  ) {
    super('precondition failed')
  }
}

export class LiveClusterWriter implements ClusterWriter<Change> {
  private readonly migTimeout: number
  private readonly evictionTimeout: number
  private readonly poll: number

  constructor(
    private readonly api: KubeApi,
    private readonly options: LiveClusterWriterOptions,
  ) {
    this.migTimeout = options.migTimeoutSeconds ?? 600
    this.evictionTimeout = options.evictionTimeoutSeconds ?? 300
    this.poll = options.pollSeconds ?? 5
  }

  async apply(change: Change): Promise<ChangeResult> {
    try {
      if (change.action === 'scale-replicas') return await this.scaleReplicas(change)
      if (change.action === 'repartition-gpu') return await this.repartition(change)
      return {
        changeId: change.id,
        status: 'failed',
        message: `${change.action} is a node-group change`,
        retryable: false,
      }
    } catch (error) {
      if (error instanceof PreconditionFailed)
        return {
          changeId: change.id,
          status: 'precondition-failed',
          precondition: error.precondition,
          actual: error.actual,
        }
      if (error instanceof ApiCallError)
        return {changeId: change.id, status: 'failed', message: error.message, retryable: error.retryable}
      throw error
    }
  }

  /** Checks the preconditions: on `object` when they are about it, else through the reader. */
  private async check(change: Change, object: unknown, isAbout: (p: Precondition) => boolean): Promise<void> {
    for (const precondition of change.preconditions) {
      const actual = isAbout(precondition)
        ? valueAtPath(object, precondition.path)
        : await this.options.read(precondition.resource, precondition.path)
      const holds =
        precondition.equals === null ? actual === null || actual === undefined : actual === precondition.equals
      if (!holds) throw new PreconditionFailed(precondition, actual)
    }
  }

  private async scaleReplicas(change: ReplicaChange): Promise<ChangeResult> {
    const {kind, namespace, name} = change.payload.workload
    const path = `${workloadPath(kind, namespace, name)}/scale`
    const isAbout = (p: Precondition) =>
      p.resource.kind === kind && p.resource.name === name && (p.resource.namespace ?? 'default') === namespace
    await this.api.call('PATCH', path, async () => {
      const object = (await this.api.once('GET', workloadPath(kind, namespace, name), () =>
        readWorkload(this.api, kind, namespace, name),
      )) as KubeObject | undefined
      if (!object)
        throw new ApiCallError(
          `GET ${this.api.server}${workloadPath(kind, namespace, name)}: ${kind} ${namespace}/${name} not found`,
          'not-found',
          404,
          'NotFound',
        )
      await this.check(change, object, isAbout)
      if (object.spec?.replicas === change.payload.to) return
      const body = {
        metadata: {resourceVersion: (object.metadata as {resourceVersion?: string}).resourceVersion},
        spec: {replicas: change.payload.to},
      }
      await this.api.once('PATCH', path, () =>
        kind === 'Deployment'
          ? this.api.apps.patchNamespacedDeploymentScale({namespace, name, body}, this.api.mergePatch)
          : this.api.apps.patchNamespacedStatefulSetScale({namespace, name, body}, this.api.mergePatch),
      )
    })
    this.options.log?.(
      `${change.id}: ${kind} ${namespace}/${name} replicas ${change.payload.from} → ${change.payload.to}`,
    )
    return {changeId: change.id, status: 'applied'}
  }

  private async readNode(name: string): Promise<KubeObject> {
    const path = `/api/v1/nodes/${name}`
    const node = (await this.api.optional('GET', path, () => this.api.core.readNode({name}))) as KubeObject | undefined
    if (!node)
      throw new ApiCallError(`GET ${this.api.server}${path}: node ${name} not found`, 'not-found', 404, 'NotFound')
    return node
  }

  /** A merge patch of the node, conditional on the version read (409: re-read and patch again). */
  private async patchNode(name: string, patch: (node: KubeObject) => object | undefined): Promise<void> {
    const path = `/api/v1/nodes/${name}`
    await this.api.call('PATCH', path, async () => {
      const node = await this.readNode(name)
      const body = patch(node)
      if (!body) return
      const resourceVersion = (node.metadata as {resourceVersion?: string}).resourceVersion
      await this.api.once('PATCH', path, () =>
        this.api.core.patchNode(
          {name, body: {...body, metadata: {...(body as {metadata?: object}).metadata, resourceVersion}}},
          this.api.mergePatch,
        ),
      )
    })
  }

  private async saveProgress(change: MigChange, progress: MigProgress): Promise<void> {
    await this.options.progress?.save(change, progress)
  }

  private async repartition(change: MigChange): Promise<ChangeResult> {
    const {node: nodeName, migConfig} = change.payload
    const log = (line: string) => this.options.log?.(`${change.id}: ${line}`)
    let progress = this.options.progress?.get(change.id)
    if (!progress) {
      const node = await this.readNode(nodeName)
      await this.check(change, node, (p) => p.resource.kind === 'Node' && p.resource.name === nodeName)
      const cordonedByUs = !node.spec?.unschedulable
      if (cordonedByUs) {
        await this.patchNode(nodeName, (n) => (n.spec?.unschedulable ? undefined : {spec: {unschedulable: true}}))
        log(`cordoned ${nodeName}`)
      }
      progress = {step: 'cordoned', cordonedByUs}
      await this.saveProgress(change, progress)
    } else log(`resuming after step ${progress.step}`)

    if (!reached(progress, 'drained')) {
      const drained = await this.drain(change)
      if (drained !== undefined) {
        if (progress.cordonedByUs) {
          await this.patchNode(nodeName, (n) => (n.spec?.unschedulable ? {spec: {unschedulable: null}} : undefined))
          log(`uncordoned ${nodeName}: the drain failed before anything was reconfigured`)
        }
        // The node is back as it was: the next run starts this change afresh, preconditions first.
        await this.options.progress?.clear(change.id)
        return {changeId: change.id, status: 'failed', message: drained, retryable: true}
      }
      progress = {...progress, step: 'drained'}
      await this.saveProgress(change, progress)
    }

    if (!reached(progress, 'labelled')) {
      await this.patchNode(nodeName, (n) =>
        n.metadata?.labels?.[MIG_CONFIG_LABEL] === migConfig
          ? undefined
          : {metadata: {labels: {[MIG_CONFIG_LABEL]: migConfig}}},
      )
      log(`set ${MIG_CONFIG_LABEL}=${migConfig} on ${nodeName}`)
      progress = {...progress, step: 'labelled'}
      await this.saveProgress(change, progress)
    }

    const state = await this.waitForMigState(nodeName, migConfig)
    if (state !== 'success') {
      const what =
        state === 'failed'
          ? `${MIG_STATE_LABEL}=failed`
          : `${MIG_STATE_LABEL} is ${state ?? 'unset'} after ${formatDuration(this.migTimeout)}`
      return {
        changeId: change.id,
        status: 'failed',
        retryable: state !== 'failed',
        message: `node ${nodeName} stays cordoned: ${what} (MIG manager did not apply ${migConfig}); check the nvidia-mig-manager pod on ${nodeName}, then rerun apply (it resumes waiting) or run kubectl uncordon ${nodeName}`,
      }
    }
    if (progress.cordonedByUs) {
      await this.patchNode(nodeName, (n) => (n.spec?.unschedulable ? {spec: {unschedulable: null}} : undefined))
      log(`uncordoned ${nodeName}`)
    }
    return {changeId: change.id, status: 'applied'}
  }

  /**
   * Polls the node until the MIG manager reports the layout applied. A `success` read before any poll interval
   * passed is the previous configuration's (the manager has not seen the new label yet), so success counts only
   * when the label is ours and either `pending` was seen or one interval went by.
   */
  private async waitForMigState(nodeName: string, migConfig: string): Promise<string | undefined> {
    const deadline = this.options.clock.now() + this.migTimeout
    let sawPending = false
    let first = true
    for (;;) {
      const node = await this.readNode(nodeName)
      const state = node.metadata?.labels?.[MIG_STATE_LABEL]
      const ours = node.metadata?.labels?.[MIG_CONFIG_LABEL] === migConfig
      if (state === 'pending' || state === 'rebooting') sawPending = true
      if (ours && state === 'failed') return 'failed'
      if (ours && state === 'success' && (sawPending || !first)) return 'success'
      if (this.options.clock.now() >= deadline) return state
      first = false
      await this.options.clock.sleep(Math.min(this.poll, Math.max(0, deadline - this.options.clock.now())) || this.poll)
    }
  }

  /** Evicts the node's GPU pods and waits until they are gone; returns why it could not, or undefined when done. */
  private async drain(change: MigChange): Promise<string | undefined> {
    const nodeName = change.payload.node
    const deadline = this.options.clock.now() + this.evictionTimeout
    const listPath = `/api/v1/pods?fieldSelector=spec.nodeName=${nodeName}`
    const pods = await this.api.call('GET', listPath, () =>
      this.api.core.listPodForAllNamespaces({fieldSelector: `spec.nodeName=${nodeName}`}),
    )
    const planned = new Set(change.payload.drain)
    const victims = (pods.items as KubeObject[]).filter((pod) => {
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`
      if (pod.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet')) return false
      if (pod.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) return false
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return false
      return planned.has(key) || planned.has(pod.metadata?.name ?? '') || requestsGpu(pod)
    })
    for (const pod of victims) {
      const namespace = pod.metadata?.namespace ?? 'default'
      const name = pod.metadata?.name ?? ''
      const path = `/api/v1/namespaces/${namespace}/pods/${name}/eviction`
      for (;;) {
        try {
          await this.api.call('POST', path, () =>
            this.api.core.createNamespacedPodEviction({
              namespace,
              name,
              body: {apiVersion: 'policy/v1', kind: 'Eviction', metadata: {name, namespace}},
            }),
          )
          this.options.log?.(`${change.id}: evicted ${namespace}/${name}`)
          break
        } catch (error) {
          if (error instanceof ApiCallError && error.kind === 'not-found') break
          if (!(error instanceof ApiCallError && error.kind === 'budget')) throw error
          if (this.options.clock.now() >= deadline)
            return `cannot drain ${nodeName}: eviction of ${namespace}/${name} refused for ${formatDuration(this.evictionTimeout)} by a PodDisruptionBudget (${error.causes.join('; ') || error.message}); nothing was reconfigured`
          this.options.log?.(
            `${change.id}: eviction of ${namespace}/${name} refused by a PodDisruptionBudget, retrying in ${this.poll}s`,
          )
          await this.options.clock.sleep(this.poll)
        }
      }
    }
    for (const pod of victims) {
      const namespace = pod.metadata?.namespace ?? 'default'
      const name = pod.metadata?.name ?? ''
      const uid = (pod.metadata as {uid?: string}).uid
      for (;;) {
        const now = (await this.api.optional('GET', `/api/v1/namespaces/${namespace}/pods/${name}`, () =>
          this.api.core.readNamespacedPod({namespace, name}),
        )) as KubeObject | undefined
        if (!now || (now.metadata as {uid?: string}).uid !== uid) break
        if (this.options.clock.now() >= deadline)
          return `cannot drain ${nodeName}: pod ${namespace}/${name} still terminating after ${formatDuration(this.evictionTimeout)}; nothing was reconfigured`
        await this.options.clock.sleep(this.poll)
      }
    }
    return undefined
  }
}

function requestsGpu(pod: KubeObject): boolean {
  const containers = (pod.spec?.containers ?? []) as Array<{
    resources?: {requests?: Record<string, unknown>; limits?: Record<string, unknown>}
  }>
  return containers.some((c) =>
    Object.keys({...(c.resources?.requests ?? {}), ...(c.resources?.limits ?? {})}).some((k) =>
      k.startsWith('nvidia.com/'),
    ),
  )
}
