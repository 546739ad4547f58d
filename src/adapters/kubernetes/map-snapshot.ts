/**
 * Live Kubernetes objects → the ClusterSnapshot the planner reads (the same format `plan --snapshot` loads).
 * Pure: objects, config and capture time in; snapshot parts and diagnostics out. Tested by table.
 *
 * - A node's group: `gpu-scale.dev/node-group`, Cluster API's `cluster.x-k8s.io/deployment-name`, Karpenter's
 *   `karpenter.sh/nodepool`, else the config group whose labels the node carries. GPUs come from GPU Feature
 *   Discovery (`nvidia.com/gpu.product`, `.count`, `.memory`) and the device plugin's capacity (facts §6): whole
 *   GPUs as `nvidia.com/gpu`; MIG instances from `nvidia.com/mig.config` resolved as mig-parted's default config
 *   does (exact starts), else from the `nvidia.com/mig-<profile>` capacity packed first-fit. Allocatable 0 with
 *   capacity > 0 means the device plugin has not registered yet (`gpusAllocatable: false`).
 * - Pods: those of configured workloads, plus every pod bound to a GPU node (another pod on a node decides whether
 *   it may go). Owner: the pod's ReplicaSet's Deployment (name minus the template hash) or StatefulSet.
 *   Only names, phase, readiness (and when it last changed), node, times, GPU requests and each container's CPU and
 *   memory requests (for HPA Resource metrics) are kept: no env values, no secrets, no specs.
 * - A workload owned by an HPA or a KEDA ScaledObject gets `managedBy` (apply refuses to fight it) and a warning.
 */
import type {PolicyConfig} from '../../core/model/config.js'
import type {
  ClusterSnapshot,
  ContainerRequests,
  GpuDevice,
  MigInstance,
  NodeGroupState,
  NodeState,
  PodDisruptionBudget,
  PodState,
  WorkloadState,
} from '../../core/model/snapshot.js'
import {findGpuModel} from '../../core/mig/catalog.js'
import {findStart, findMigProfile} from '../../core/mig/index.js'
import {parseQuantity} from '../../core/input/quantity.js'
import {layoutOfMigConfig} from '../../core/scheduling/mig-configs.js'
import type {LiveDiagnostic} from '../live-diagnostic.js'
import type {KubeObject, LiveObjects} from './read-cluster.js'

const GPU = 'nvidia.com/gpu'
const MIG_RESOURCE = /^nvidia\.com\/mig-(.+)$/
const GROUP_LABELS = ['gpu-scale.dev/node-group', 'cluster.x-k8s.io/deployment-name', 'karpenter.sh/nodepool'] as const
const MIG_STATES = new Set(['pending', 'rebooting', 'success', 'failed'])

export type ClusterParts = Omit<ClusterSnapshot, 'telemetry' | 'state'>

export function mapLiveObjects(
  objects: LiveObjects,
  config: PolicyConfig,
  capturedAt: number,
): {cluster: ClusterParts; diagnostics: LiveDiagnostic[]} {
  const diagnostics: LiveDiagnostic[] = []
  const migStrategy = config.settings.migStrategy
  const nodes = objects.nodes.map((n) => mapNode(n, config, migStrategy, capturedAt)).sort(byName)
  const gpuNodes = new Set(nodes.filter((n) => n.gpus.length > 0).map((n) => n.name))
  const nodeNames = new Set(nodes.map((n) => n.name))

  const workloadSelectors = objects.workloads.flatMap((w) =>
    w.object ? [{w, selector: (w.object.spec?.selector?.matchLabels ?? {}) as Record<string, string>}] : [],
  )
  const pods: PodState[] = []
  for (const object of objects.pods) {
    const namespace = object.metadata?.namespace ?? ''
    const labels = object.metadata?.labels ?? {}
    const owned = workloadSelectors.find(
      ({w, selector}) => w.namespace === namespace && Object.keys(selector).length > 0 && matches(selector, labels),
    )
    const node = object.spec?.nodeName as string | undefined
    // apply's headroom placeholders (node-group-actuators.ts) are capacity on its way, not load: any real pod
    // preempts them, so they hold no GPU here; pending ones count in their group's target size below.
    if (labels[HEADROOM_LABEL] !== undefined) continue
    if (!owned && !(node !== undefined && gpuNodes.has(node))) continue
    const pod = mapPod(object, capturedAt, owned ? {kind: owned.w.kind, name: owned.w.name} : undefined)
    if (pod.node !== undefined && !nodeNames.has(pod.node)) delete pod.node // bound to a node that is gone: pending again
    pods.push(pod)
  }
  pods.sort((a, b) => compare(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))
  assignGpus(nodes, pods)

  const workloads: WorkloadState[] = []
  for (const w of objects.workloads) {
    if (!w.object) {
      diagnostics.push({
        severity: 'warning',
        code: 'WorkloadNotFound',
        message: `${w.kind} ${w.namespace}/${w.name} named in the config does not exist in the cluster`,
      })
      continue
    }
    const owner = findAutoscaler(w, objects)
    if (owner)
      diagnostics.push({
        severity: 'warning',
        code: 'OwnedByAutoscaler',
        message: `${w.kind} ${w.namespace}/${w.name} is scaled by ${owner}; apply will refuse to change its replicas`,
      })
    workloads.push({
      kind: w.kind,
      namespace: w.namespace,
      name: w.name,
      specReplicas: Number(w.object.spec?.replicas ?? 1),
      readyReplicas: Number(w.object.status?.readyReplicas ?? 0),
      ...(owner ? {managedBy: owner} : {}),
      scaleEvents: [],
      recommendations: [],
    })
  }
  if (!objects.scaledObjects)
    diagnostics.push({
      severity: 'info',
      code: 'KedaNotInstalled',
      message: 'keda.sh/v1alpha1 ScaledObjects are not served: no KEDA autoscaler was looked for',
    })

  const pdbs: PodDisruptionBudget[] = []
  for (const object of objects.pdbs) {
    const selector = (object.spec?.selector?.matchLabels ?? {}) as Record<string, string>
    const match = workloadSelectors.find(
      ({w, selector: s}) =>
        w.namespace === object.metadata?.namespace &&
        Object.keys(selector).length > 0 &&
        matches(selector, (w.object?.spec?.template?.metadata?.labels ?? s) as Record<string, string>),
    )
    if (!match) continue
    const replicas = Number(match.w.object?.spec?.replicas ?? 1)
    pdbs.push({
      namespace: match.w.namespace,
      name: object.metadata?.name ?? '',
      workload: `${match.w.kind}/${match.w.name}`,
      maxUnavailable: maxUnavailableOf(object.spec ?? {}, replicas),
    })
  }
  pdbs.sort((a, b) => compare(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`))

  const nodeGroups = mapNodeGroups(objects, config, nodes, diagnostics)
  return {
    cluster: {
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ClusterSnapshot',
      capturedAt,
      migStrategy,
      nodeGroups,
      nodes,
      pods,
      workloads,
      pdbs,
    },
    diagnostics,
  }
}

function mapNode(
  object: KubeObject,
  config: PolicyConfig,
  migStrategy: ClusterSnapshot['migStrategy'],
  capturedAt: number,
): NodeState {
  const name = object.metadata?.name ?? ''
  const labels = object.metadata?.labels ?? {}
  const capacity = (object.status?.capacity ?? {}) as Record<string, string>
  const allocatable = (object.status?.allocatable ?? {}) as Record<string, string>
  const group = groupOfNode(labels, config)
  const groupConfig = config.nodeGroups.find((g) => g.name === group)
  const ready = ((object.status?.conditions ?? []) as Array<{type: string; status: string}>).some(
    (c) => c.type === 'Ready' && c.status === 'True',
  )
  const capacityType =
    labels['gpu-scale.dev/capacity-type'] ??
    labels['karpenter.sh/capacity-type'] ??
    groupConfig?.capacityType ??
    'on-demand'
  const gpuResources = Object.keys(capacity).filter((k) => k === GPU || MIG_RESOURCE.test(k))
  const gpuCapacity = gpuResources.reduce((sum, k) => sum + quantity(capacity[k]), 0)
  const gpuAllocatable = gpuResources.reduce((sum, k) => sum + quantity(allocatable[k]), 0)
  const migConfig = labels['nvidia.com/mig.config']
  const migConfigState = labels['nvidia.com/mig.config.state']
  return {
    name,
    group,
    labels,
    taints: (
      (object.spec?.taints ?? []) as Array<{key: string; value?: string; effect: NodeState['taints'][number]['effect']}>
    ).map((t) => ({
      key: t.key,
      ...(t.value !== undefined && t.value !== null ? {value: t.value} : {}),
      effect: t.effect,
    })),
    ready,
    cordoned: Boolean(object.spec?.unschedulable),
    createdAt: epoch(object.metadata?.creationTimestamp) ?? capturedAt,
    gpusAllocatable: gpuCapacity === 0 || gpuAllocatable > 0,
    capacityType: capacityType === 'spot' ? 'spot' : 'on-demand',
    ...(migConfig !== undefined ? {migConfig} : {}),
    ...(migConfigState !== undefined && MIG_STATES.has(migConfigState)
      ? {migConfigState: migConfigState as NodeState['migConfigState']}
      : {}),
    gpus: gpusOfNode(
      labels,
      capacity,
      migStrategy,
      groupConfig?.gpu.model,
      object.metadata?.annotations?.['gpu-scale.dev/gpu-uuids'],
    ),
  }
}

/** The node's group by label, else the config group whose labels all match (first in config order). */
export function groupOfNode(labels: Record<string, string>, config: PolicyConfig): string {
  for (const key of GROUP_LABELS) if (labels[key]) return labels[key]
  const byLabels = config.nodeGroups.find((g) => Object.keys(g.labels).length > 0 && matches(g.labels, labels))
  return byLabels?.name ?? ''
}

export function gpusOfNode(
  labels: Record<string, string>,
  capacity: Record<string, string>,
  migStrategy: ClusterSnapshot['migStrategy'],
  fallbackModel?: string,
  uuids?: string,
): GpuDevice[] {
  const product = labels['nvidia.com/gpu.product']
  const info = product ? findGpuModel(product) : fallbackModel ? findGpuModel(fallbackModel) : undefined
  const model = info?.name ?? product ?? fallbackModel ?? 'unknown'
  const memoryMiB = Number(labels['nvidia.com/gpu.memory'] ?? info?.memoryMiB ?? 0) || (info?.memoryMiB ?? 0)
  const migCounts = Object.entries(capacity)
    .flatMap(([k, v]) => {
      const m = MIG_RESOURCE.exec(k)
      return m && quantity(v) > 0 ? [[m[1] as string, quantity(v)] as const] : []
    })
    .sort((a, b) => compare(a[0], b[0]))
  const wholeGpus = quantity(capacity[GPU])
  const labelled = Number(labels['nvidia.com/gpu.count'] ?? 0)
  const migOnNode = migStrategy === 'mixed' ? migCounts.length > 0 : false
  const count = Math.max(labelled, migOnNode ? 0 : wholeGpus) || (migOnNode ? 1 : 0)
  if (count === 0) return []
  const uuidList = (uuids ?? '').split(',')
  const layout =
    migOnNode && labels['nvidia.com/mig.config'] ? layoutOfMigConfig(model, labels['nvidia.com/mig.config']) : undefined
  const remaining = new Map(migCounts)
  const gpus: GpuDevice[] = []
  // With `mixed`, whole GPUs still advertise nvidia.com/gpu: those come last, after the MIG GPUs.
  const migGpus = migOnNode ? Math.max(0, count - wholeGpus) : 0
  for (let index = 0; index < count; index++) {
    let instances: MigInstance[] = []
    const mig = index < migGpus
    if (mig) {
      if (layout?.kind === 'mig')
        instances = layout.instances.map((i) => ({profile: i.profile, start: i.start, size: i.size}))
      else instances = packFirstFit(model, remaining)
      for (const i of instances) remaining.set(i.profile, (remaining.get(i.profile) ?? 0) - 1)
    }
    gpus.push({
      index,
      ...(uuidList[index] ? {uuid: uuidList[index]} : {}),
      model,
      memoryMiB,
      mig: {enabled: mig, instances},
      pods: [],
    })
  }
  return gpus
}

/** MIG instances of unknown position: as many of the advertised ones as fit one GPU, largest first. */
function packFirstFit(model: string, remaining: Map<string, number>): MigInstance[] {
  const instances: MigInstance[] = []
  const profiles = [...remaining.keys()].sort(
    (a, b) =>
      (findMigProfile(model, b)?.memorySlices ?? 0) - (findMigProfile(model, a)?.memorySlices ?? 0) || compare(a, b),
  )
  for (const profile of profiles) {
    const info = findMigProfile(model, profile)
    if (!info) continue
    let left = remaining.get(profile) ?? 0
    while (left > 0) {
      const start = findStart(model, instances, profile)
      if (start === undefined) break
      instances.push({profile, start, size: info.memorySlices})
      left--
    }
  }
  return instances.sort((a, b) => a.start - b.start)
}

function mapPod(object: KubeObject, capturedAt: number, workload: PodState['workload']): PodState {
  const status = object.status ?? {}
  const conditions = (status.conditions ?? []) as Array<{
    type: string
    status: string
    lastTransitionTime?: Date | string
  }>
  const readyCondition = conditions.find((c) => c.type === 'Ready')
  const ready = readyCondition?.status === 'True'
  const owner = (object.metadata?.ownerReferences ?? []).find((o) => o.controller)
  const phase = (
    ['Pending', 'Running', 'Succeeded', 'Failed'].includes(status.phase) ? status.phase : 'Pending'
  ) as PodState['phase']
  const request = gpuRequestOf(object.spec?.containers ?? [])
  const startedAt = epoch(status.startTime)
  const readyAt = ready ? epoch(readyCondition?.lastTransitionTime) : undefined
  const notReadySince = readyCondition && !ready ? epoch(readyCondition.lastTransitionTime) : undefined
  const containerRequests = containerRequestsOf(object.spec ?? {})
  return {
    name: object.metadata?.name ?? '',
    namespace: object.metadata?.namespace ?? '',
    ...(workload
      ? {workload}
      : owner && owner.kind !== 'ReplicaSet' && owner.kind !== 'DaemonSet'
        ? {workload: {kind: owner.kind, name: owner.name}}
        : {}),
    phase,
    ...(object.spec?.nodeName ? {node: object.spec.nodeName as string} : {}),
    ready,
    deleting: object.metadata?.deletionTimestamp !== undefined && object.metadata?.deletionTimestamp !== null,
    createdAt: epoch(object.metadata?.creationTimestamp) ?? capturedAt,
    ...(startedAt !== undefined ? {startedAt} : {}),
    ...(readyAt !== undefined ? {readyAt} : {}),
    ...(notReadySince !== undefined ? {notReadySince} : {}),
    ...(containerRequests.length > 0 ? {containerRequests} : {}),
    ...(request ? {gpuRequest: request} : {}),
    daemon: owner?.kind === 'DaemonSet' || object.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined,
  }
}

type ContainerSpec = {
  name?: string
  restartPolicy?: string
  resources?: {limits?: Record<string, string>; requests?: Record<string, string>}
}

/**
 * CPU and memory requests per container, for HPA Resource metrics: the containers and the restartable (sidecar)
 * init containers, as the HPA's calculateRequests counts them. A request not set is absent (the HPA then refuses
 * utilization); an unparseable one too. Only these two numbers are kept from the spec.
 */
export function containerRequestsOf(spec: {
  containers?: ContainerSpec[]
  initContainers?: ContainerSpec[]
}): ContainerRequests[] {
  const sidecars = (spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')
  return [...(spec.containers ?? []), ...sidecars].map((c) => {
    const requests: ContainerRequests['requests'] = {}
    const cpu = parseQuantity(c.resources?.requests?.cpu)
    const memory = parseQuantity(c.resources?.requests?.memory)
    if (cpu !== undefined && cpu >= 0) requests.cpu = cpu
    if (memory !== undefined && memory >= 0) requests.memory = memory
    return {name: c.name ?? '', requests}
  })
}

/** The pod's GPU request: limits win (extended resources must set limits; requests default to them). */
export function gpuRequestOf(
  containers: Array<{resources?: {limits?: Record<string, string>; requests?: Record<string, string>}}>,
): PodState['gpuRequest'] {
  const totals = new Map<string, number>()
  for (const c of containers) {
    const resources = {...c.resources?.requests, ...c.resources?.limits}
    for (const [name, value] of Object.entries(resources))
      if (name === GPU || MIG_RESOURCE.test(name)) totals.set(name, (totals.get(name) ?? 0) + quantity(value))
  }
  const [first] = [...totals.entries()].filter(([, n]) => n > 0).sort((a, b) => compare(a[0], b[0]))
  return first ? {resource: first[0], count: first[1]} : undefined
}

/**
 * Which GPU a pod holds is not in the Kubernetes API (the device plugin's allocation is kubelet-local), so pods are
 * assigned to free GPUs or MIG instances of their profile in name order: the counts are exact, the indices a guess
 * that changes no plan (the planner reads free capacity per node).
 */
function assignGpus(nodes: NodeState[], pods: PodState[]): void {
  const byName = new Map(nodes.map((n) => [n.name, n]))
  for (const pod of pods) {
    const node = pod.node ? byName.get(pod.node) : undefined
    if (!node || !pod.gpuRequest || pod.phase === 'Succeeded' || pod.phase === 'Failed') continue
    const key = `${pod.namespace}/${pod.name}`
    const m = MIG_RESOURCE.exec(pod.gpuRequest.resource)
    for (let n = 0; n < pod.gpuRequest.count; n++) {
      if (m) {
        const instance = node.gpus
          .flatMap((g) => g.mig.instances)
          .find((i) => i.profile === m[1] && i.pod === undefined)
        if (instance) instance.pod = key
      } else {
        const gpu =
          node.gpus.find((g) => !g.mig.enabled && g.pods.length === 0) ??
          node.gpus.find((g) => g.mig.enabled && g.mig.instances.some((i) => i.pod === undefined))
        if (gpu && !gpu.mig.enabled) gpu.pods.push(key)
        else if (gpu) (gpu.mig.instances.find((i) => i.pod === undefined) as MigInstance).pod = key
      }
    }
  }
}

/** `HorizontalPodAutoscaler/name` or `ScaledObject/name` whose scale target is this workload. */
export function findAutoscaler(
  workload: {kind: string; namespace: string; name: string},
  objects: Pick<LiveObjects, 'hpas' | 'scaledObjects'>,
): string | undefined {
  const targets = (o: KubeObject, ref: {kind?: string; name?: string} | undefined) =>
    o.metadata?.namespace === workload.namespace &&
    ref?.name === workload.name &&
    (ref.kind ?? 'Deployment') === workload.kind
  // KEDA creates an HPA (`keda-hpa-<so>`) for each ScaledObject: name the ScaledObject, the object a person edits.
  const so = (objects.scaledObjects ?? []).find((o) => targets(o, o.spec?.scaleTargetRef))
  if (so) return `ScaledObject/${so.metadata?.name}`
  const hpa = objects.hpas.find((o) => targets(o, o.spec?.scaleTargetRef))
  return hpa ? `HorizontalPodAutoscaler/${hpa.metadata?.name}` : undefined
}

function mapNodeGroups(
  objects: LiveObjects,
  config: PolicyConfig,
  nodes: NodeState[],
  diagnostics: LiveDiagnostic[],
): NodeGroupState[] {
  const mds = new Map((objects.machineDeployments ?? []).map((md) => [md.metadata?.name ?? '', md]))
  if (!objects.machineDeployments)
    diagnostics.push({
      severity: 'info',
      code: 'MachineDeploymentsNotServed',
      message:
        'cluster.x-k8s.io/v1beta2 MachineDeployments are not served: node-group sizes are counted from the nodes',
    })
  return config.nodeGroups.map((g) => {
    // The MachineDeployment apply scales (nodeGroups[].actuator) when there is one, else the one named as the group:
    // the size read here is what apply's preconditions compare with (node-group-actuators.ts readGroupTargetSize).
    const actuator = g.actuator?.kind === 'machine-deployment' ? g.actuator : undefined
    const md = actuator
      ? (objects.machineDeployments ?? []).find(
          (m) => m.metadata?.name === actuator.name && m.metadata?.namespace === actuator.namespace,
        )
      : mds.get(g.name)
    const registered = nodes.filter((n) => n.group === g.name).length
    // Pending headroom placeholders are nodes asked for and not yet there. Under Cluster API the autoscaler may
    // already have raised the MachineDeployment for one: counted twice for those minutes, which plans less, never more.
    const targetSize =
      (md ? Number(md.spec?.replicas ?? registered) : registered) + pendingPlaceholders(objects.pods, g.name)
    return {name: g.name, targetSize, failures: []}
  })
}

/** The label of apply's headroom placeholder pods (the value is the group). */
export const HEADROOM_LABEL = 'gpu-scale.dev/headroom'

/**
 * A headroom group's nodes on their way: one per placeholder pod still pending (the autoscaler has not added its
 * node yet). Counted in the group's target size, so the next plan does not ask for the same nodes again.
 */
export function pendingPlaceholders(pods: readonly KubeObject[], group: string): number {
  return pods.filter(
    (p) => p.metadata?.labels?.[HEADROOM_LABEL] === group && !p.spec?.nodeName && !p.metadata?.deletionTimestamp,
  ).length
}

function maxUnavailableOf(
  spec: {maxUnavailable?: number | string; minAvailable?: number | string},
  replicas: number,
): number {
  const resolve = (v: number | string, roundUp: boolean) =>
    typeof v === 'number'
      ? v
      : /%$/.test(v)
        ? (roundUp ? Math.ceil : Math.floor)((Number.parseFloat(v) / 100) * replicas)
        : Number(v)
  // As the disruption controller rounds: a percentage of maxUnavailable rounds up, of minAvailable up too.
  if (spec.maxUnavailable !== undefined) return Math.max(0, resolve(spec.maxUnavailable, true))
  if (spec.minAvailable !== undefined) return Math.max(0, replicas - resolve(spec.minAvailable, true))
  return 0
}

/** A Kubernetes quantity of a countable resource ("4", "4k" never occurs for GPUs); NaN-safe. */
function quantity(value: string | number | undefined): number {
  const n = Number(value ?? 0)
  return Number.isFinite(n) ? n : 0
}

function epoch(value: Date | string | undefined | null): number | undefined {
  if (value === undefined || value === null) return undefined
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v)
}

const byName = (a: {name: string}, b: {name: string}) => compare(a.name, b.name)
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
