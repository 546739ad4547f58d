/**
 * The twin's stand-in until the discrete-event twin (src/core/twin, issue 9) is bound: a settled cluster where
 * every reaction is immediate. It does what the controllers behind a real apiserver do, in their smallest form:
 *
 * - Deployment → one ReplicaSet (`<name>-<hash>`, label `pod-template-hash`) → pods, owned through controller
 *   ownerReferences as upstream (kubectl drain checks them, facts §1); surplus pods go pending ones first, then
 *   the newest (pkg/controller/replicaset `ActivePodsWithRanks`, simplified);
 * - a scheduler-lite: a pod goes to the first node, in name order, that is schedulable, Ready, matches the pod's
 *   nodeSelector, tolerates its NoSchedule/NoExecute taints and has the `nvidia.com/*` it requests free;
 *   otherwise it stays Pending with `PodScheduled=False/Unschedulable`. A scheduled pod is Running and Ready at
 *   once (no image pull, no weight load: those delays are the discrete-event twin's);
 * - pods that must go (eviction, DELETE) are removed at once, and their ReplicaSet replaces them;
 * - a MachineDeployment's status follows its spec.replicas (no nodes appear: provisioning is the twin's);
 * - a node whose `nvidia.com/mig.config` label changes reports `nvidia.com/mig.config.state=success` at once,
 *   as NVIDIA's MIG manager does when the layout is already applied (facts §6).
 */
import type {KubeApi} from './api.js'
import {isPodReady} from './api.js'
import type {ScalableKind, TwinSeam} from './seam.js'
import {matchesLabels} from './selectors.js'
import {formatTime} from './store.js'
import type {KubeObject} from './types.js'

const MIG_CONFIG = 'nvidia.com/mig.config'
const MIG_CONFIG_STATE = 'nvidia.com/mig.config.state'

export class BuiltinTwin implements TwinSeam {
  private podCounter = 0

  constructor(private readonly api: KubeApi) {}

  onScale(kind: ScalableKind, namespace: string, name: string): void {
    if (kind === 'Deployment') this.reconcileDeployment(namespace, name)
    else if (kind === 'ReplicaSet') this.reconcileReplicaSet(namespace, name)
    else this.settleMachineDeployment(namespace, name)
  }

  onNodePatch(_name: string, node: KubeObject, previous: KubeObject): void {
    const config = node.metadata.labels?.[MIG_CONFIG]
    // A real manager goes pending → success; settled, the twin shows only the end state.
    if (
      config !== undefined &&
      config !== previous.metadata.labels?.[MIG_CONFIG] &&
      node.metadata.labels?.[MIG_CONFIG_STATE] !== 'success'
    ) {
      this.api.upsertObject({
        ...node,
        metadata: {...node.metadata, labels: {...node.metadata.labels, [MIG_CONFIG_STATE]: 'success'}},
      })
    }
    if (previous.spec?.unschedulable && !node.spec?.unschedulable) this.schedulePending()
  }

  onEvict(namespace: string, name: string, pod: KubeObject): void {
    this.api.removeObject('Pod', namespace, name)
    // The owner may be gone already (a cascading delete): then nothing replaces the pod.
    const owner = pod.metadata.ownerReferences?.find((o) => o.controller && o.kind === 'ReplicaSet')
    if (owner) this.reconcileReplicaSet(namespace, owner.name)
    this.schedulePending()
  }

  /** Brings every workload to its spec: used once after seeding, and safe to call any time. */
  reconcileAll(): void {
    for (const deployment of this.api.listObjects('Deployment'))
      this.reconcileDeployment(deployment.metadata.namespace ?? '', deployment.metadata.name)
    for (const md of this.api.listObjects('MachineDeployment'))
      this.settleMachineDeployment(md.metadata.namespace ?? '', md.metadata.name)
    this.schedulePending()
  }

  private reconcileDeployment(namespace: string, name: string): void {
    const deployment = this.api.getObject('Deployment', namespace, name)
    if (!deployment) return
    const rsName = `${name}-${templateHash(name)}`
    const labels = {...(deployment.spec?.template?.metadata?.labels ?? {}), 'pod-template-hash': templateHash(name)}
    const existing = this.api.getObject('ReplicaSet', namespace, rsName)
    const replicas = deployment.spec?.replicas ?? 1
    if (!existing || existing.spec?.replicas !== replicas) {
      this.api.upsertObject({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          ...(existing?.metadata ?? {}),
          name: rsName,
          namespace,
          labels,
          annotations: {'deployment.kubernetes.io/desired-replicas': String(replicas)},
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'Deployment',
              name,
              uid: deployment.metadata.uid ?? '',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          replicas,
          selector: {
            matchLabels: {...(deployment.spec?.selector?.matchLabels ?? {}), 'pod-template-hash': templateHash(name)},
          },
          template: {...deployment.spec?.template, metadata: {...deployment.spec?.template?.metadata, labels}},
        },
        status: existing?.status ?? {replicas: 0},
      })
    }
    this.reconcileReplicaSet(namespace, rsName)
  }

  private reconcileReplicaSet(namespace: string, name: string): void {
    const rs = this.api.getObject('ReplicaSet', namespace, name)
    if (!rs) return
    const desired = rs.spec?.replicas ?? 1
    const pods = this.ownedPods(rs)
    for (let i = pods.length; i < desired; i++) this.createPod(rs)
    if (pods.length > desired) {
      // Pending pods go first, then the newest, as the ReplicaSet controller ranks them.
      const ranked = [...pods].sort(
        (a, b) =>
          Number(Boolean(a.spec?.nodeName)) - Number(Boolean(b.spec?.nodeName)) ||
          compareDesc(a.metadata.creationTimestamp, b.metadata.creationTimestamp) ||
          compareDesc(a.metadata.name, b.metadata.name),
      )
      for (const pod of ranked.slice(0, pods.length - desired))
        this.api.removeObject('Pod', namespace, pod.metadata.name)
    }
    this.schedulePending()
    this.updateStatuses(namespace, name)
  }

  private updateStatuses(namespace: string, rsName: string): void {
    const rs = this.api.getObject('ReplicaSet', namespace, rsName)
    if (!rs) return
    const pods = this.ownedPods(rs)
    const owner = rs.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')
    rollUpWorkloadStatus(this.api, namespace, rs, owner?.name, pods.length, pods.filter(isPodReady).length)
  }

  private ownedPods(rs: KubeObject): KubeObject[] {
    return this.api
      .listObjects('Pod', rs.metadata.namespace)
      .filter(
        (p) =>
          p.metadata.ownerReferences?.some((o) => o.controller && o.uid === rs.metadata.uid) &&
          !p.metadata.deletionTimestamp,
      )
  }

  private createPod(rs: KubeObject): void {
    this.podCounter++
    const template = rs.spec?.template ?? {}
    const suffix = ((this.podCounter * 2_654_435_761) % 60_466_176).toString(36).padStart(5, '0')
    this.api.upsertObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${rs.metadata.name}-${suffix}`,
        namespace: rs.metadata.namespace,
        labels: {...(template.metadata?.labels ?? {})},
        ownerReferences: [replicaSetOwner(rs)],
      },
      spec: structuredClone(template.spec ?? {containers: []}),
      status: {phase: 'Pending'},
    })
  }

  /** Places every unscheduled pod it can, in name order; see the header for the rules. */
  schedulePending(): void {
    const pending = this.api.listObjects('Pod').filter((p) => !p.spec?.nodeName && !p.metadata.deletionTimestamp)
    if (pending.length === 0) return
    const touched = new Set<string>()
    for (const pod of pending) {
      const nodes = this.api.listObjects('Node')
      const pods = this.api.listObjects('Pod')
      const node = nodes.find((n) => fits(pod, n, pods))
      const now = formatTime(this.api.store.clock())
      if (node) {
        this.api.upsertObject({
          ...pod,
          spec: {...pod.spec, nodeName: node.metadata.name},
          status: {
            phase: 'Running',
            startTime: now,
            podIP: podIp(this.podCounter + pods.length),
            hostIP: node.status?.addresses?.find((a: {type: string}) => a.type === 'InternalIP')?.address,
            conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
              type,
              status: 'True',
              lastTransitionTime: now,
            })),
            containerStatuses: (pod.spec?.containers ?? []).map((c: {name: string; image?: string}) => ({
              name: c.name,
              image: c.image ?? '',
              ready: true,
              started: true,
              restartCount: 0,
              state: {running: {startedAt: now}},
            })),
          },
        })
      } else if (pod.status?.conditions?.[0]?.reason !== 'Unschedulable') {
        this.api.setStatus('Pod', pod.metadata.namespace, pod.metadata.name, {
          phase: 'Pending',
          conditions: [
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message: `0/${nodes.length} nodes are available to schedule this pod.`,
              lastTransitionTime: now,
            },
          ],
        })
      }
      const owner = pod.metadata.ownerReferences?.find((o) => o.kind === 'ReplicaSet')
      if (owner) touched.add(`${pod.metadata.namespace}/${owner.name}`)
    }
    for (const key of touched) {
      const [namespace, rs] = key.split('/') as [string, string]
      this.updateStatuses(namespace, rs)
    }
  }

  private settleMachineDeployment(namespace: string, name: string): void {
    const md = this.api.getObject('MachineDeployment', namespace, name)
    if (!md) return
    const replicas = md.spec?.replicas ?? 0
    this.api.setStatus('MachineDeployment', namespace, name, {
      ...(md.status ?? {}),
      observedGeneration: md.metadata.generation ?? 1,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      upToDateReplicas: replicas,
      phase: 'Running',
    })
  }
}

/** A stable pod-template-hash per Deployment (the real one hashes the template; one template per Deployment here). */
export function templateHash(name: string): string {
  const fnv = (seed: number) => {
    let h = seed
    for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0
    return h.toString(36)
  }
  return (fnv(2166136261) + fnv(84696351)).slice(0, 9)
}

function compareDesc(a: string | undefined, b: string | undefined): number {
  return (b ?? '').localeCompare(a ?? '')
}

/** The owner reference a ReplicaSet's pods carry: it controls them, and deleting it waits for them. */
export function replicaSetOwner(rs: KubeObject) {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    name: rs.metadata.name,
    uid: rs.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  }
}

export function podIp(n: number): string {
  return `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`
}

/** GPU resources a pod asks for: the sum of its containers' `nvidia.com/*` limits (device plugins use limits). */
export function gpuRequests(pod: KubeObject): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of pod.spec?.containers ?? []) {
    for (const [resource, value] of Object.entries((c.resources?.limits ?? {}) as Record<string, string | number>)) {
      if (resource.startsWith('nvidia.com/')) out[resource] = (out[resource] ?? 0) + Number(value)
    }
  }
  return out
}

function fits(pod: KubeObject, node: KubeObject, pods: KubeObject[]): boolean {
  if (node.spec?.unschedulable) return false
  if (!node.status?.conditions?.some((c: {type: string; status: string}) => c.type === 'Ready' && c.status === 'True'))
    return false
  const selector = Object.entries((pod.spec?.nodeSelector ?? {}) as Record<string, string>).map(([key, value]) => ({
    key,
    op: '=' as const,
    values: [value],
  }))
  if (!matchesLabels(selector, node.metadata.labels)) return false
  const tolerations: Array<{key?: string; operator?: string; value?: string; effect?: string}> =
    pod.spec?.tolerations ?? []
  for (const taint of (node.spec?.taints ?? []) as Array<{key: string; value?: string; effect: string}>) {
    if (taint.effect === 'PreferNoSchedule') continue
    const tolerated = tolerations.some(
      (t) =>
        (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
        (t.operator === 'Exists'
          ? t.key === undefined || t.key === '' || t.key === taint.key
          : t.key === taint.key && (t.value ?? '') === (taint.value ?? '')),
    )
    if (!tolerated) return false
  }
  const used: Record<string, number> = {}
  for (const other of pods) {
    if (
      other.spec?.nodeName !== node.metadata.name ||
      other.status?.phase === 'Succeeded' ||
      other.status?.phase === 'Failed'
    )
      continue
    for (const [r, n] of Object.entries(gpuRequests(other))) used[r] = (used[r] ?? 0) + n
  }
  for (const [r, n] of Object.entries(gpuRequests(pod))) {
    if (Number(node.status?.allocatable?.[r] ?? 0) - (used[r] ?? 0) < n) return false
  }
  return true
}

/**
 * The status a ReplicaSet and its Deployment report for `pods` pods of which `ready` are ready, as their upstream
 * controllers write it (the Available condition with its reasons and messages). One rollup for the built-in
 * behaviour and the bound twin.
 */
export function rollUpWorkloadStatus(
  api: KubeApi,
  namespace: string,
  rs: KubeObject | undefined,
  deploymentName: string | undefined,
  pods: number,
  ready: number,
): void {
  if (rs)
    api.setStatus('ReplicaSet', namespace, rs.metadata.name, {
      replicas: pods,
      readyReplicas: ready,
      availableReplicas: ready,
      fullyLabeledReplicas: pods,
      observedGeneration: rs.metadata.generation ?? 1,
    })
  const deployment = deploymentName === undefined ? undefined : api.getObject('Deployment', namespace, deploymentName)
  if (!deployment) return
  const desired = deployment.spec?.replicas ?? 1
  const available = ready >= desired
  api.setStatus('Deployment', namespace, deployment.metadata.name, {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas: pods,
    updatedReplicas: pods,
    readyReplicas: ready,
    availableReplicas: ready,
    ...(pods - ready > 0 ? {unavailableReplicas: pods - ready} : {}),
    conditions: [
      {
        type: 'Available',
        status: available ? 'True' : 'False',
        reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
    ],
  })
}
