/**
 * The resource types the twin's API server serves: one table drives routing, discovery (legacy and aggregated
 * v2), scale subresources and which patch types are accepted.
 *
 * Shapes follow the real API: short names and scopes from `kubectl api-resources` on a 1.32 cluster; the
 * MachineDeployment scale paths from Cluster API's CRD markers (`+kubebuilder:subresource:scale:specpath=
 * .spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector`, v1beta2 being the storage version
 * since CAPI v1.11); see ../shared/reference/kubernetes-api-facts.md §1 and §5.
 */

export interface ResourceType {
  group: string
  version: string
  kind: string
  /** The URL segment: `deployments`. */
  plural: string
  singular: string
  namespaced: boolean
  shortNames: string[]
  /** `status` (PUT/PATCH only the status), `scale` (autoscaling/v1 Scale), `eviction` (policy/v1 Eviction). */
  subresources: Array<'status' | 'scale' | 'eviction'>
  /**
   * Custom resources (CRDs) reject strategic-merge patches with 415: they carry no Go struct tags to merge by
   * (facts §3, "CustomObjects patch offers no SMP").
   */
  custom: boolean
  /** Whether `metadata.generation` counts spec changes (workloads and policies do; nodes, pods, leases do not). */
  generation: boolean
  categories?: string[]
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

function type(
  t: Omit<ResourceType, 'custom' | 'generation'> & Partial<Pick<ResourceType, 'custom' | 'generation'>>,
): ResourceType {
  return {custom: false, generation: false, ...t}
}

/** An apps/v1 workload: namespaced, generation-tracked, in `all`; plural and singular are the kind in lower case. */
function appsWorkload(kind: string, shortName: string, subresources: ResourceType['subresources']): ResourceType {
  return type({
    group: 'apps',
    version: 'v1',
    kind,
    plural: `${kind.toLowerCase()}s`,
    singular: kind.toLowerCase(),
    namespaced: true,
    shortNames: [shortName],
    subresources,
    generation: true,
    categories: ['all'],
  })
}

export const RESOURCE_TYPES: readonly ResourceType[] = [
  type({
    group: '',
    version: 'v1',
    kind: 'Namespace',
    plural: 'namespaces',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
  }),
  type({
    group: '',
    version: 'v1',
    kind: 'Node',
    plural: 'nodes',
    singular: 'node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
  }),
  type({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'eviction'],
    categories: ['all'],
  }),
  type({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
  }),
  type({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    subresources: [],
  }),
  appsWorkload('Deployment', 'deploy', ['status', 'scale']),
  appsWorkload('ReplicaSet', 'rs', ['status', 'scale']),
  appsWorkload('DaemonSet', 'ds', ['status']),
  type({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: ['status'],
    generation: true,
  }),
  type({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    singular: 'lease',
    namespaced: true,
    shortNames: [],
    subresources: [],
  }),
  // apply's headroom actuator creates its negative-priority class (scheduling.k8s.io/v1, cluster-scoped, `pc`).
  type({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    singular: 'priorityclass',
    namespaced: false,
    shortNames: ['pc'],
    subresources: [],
  }),
  type({
    group: 'autoscaling',
    version: 'v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    subresources: ['status'],
    generation: true,
    categories: ['all'],
  }),
  type({
    group: 'keda.sh',
    version: 'v1alpha1',
    kind: 'ScaledObject',
    plural: 'scaledobjects',
    singular: 'scaledobject',
    namespaced: true,
    shortNames: ['so'],
    subresources: ['status'],
    custom: true,
    generation: true,
  }),
  type({
    group: 'cluster.x-k8s.io',
    version: 'v1beta2',
    kind: 'MachineDeployment',
    plural: 'machinedeployments',
    singular: 'machinedeployment',
    namespaced: true,
    shortNames: ['md'],
    subresources: ['status', 'scale'],
    custom: true,
    generation: true,
    categories: ['cluster-api'],
  }),
]

/** The verbs every served resource accepts (the twin implements the whole generic REST surface for each). */
export function verbsOf(_resource: ResourceType): string[] {
  return VERBS
}

/** `apps/v1`, or `v1` for the core group. */
export function groupVersionOf(resource: Pick<ResourceType, 'group' | 'version'>): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`
}

/** `deployments.apps`, or `nodes` for the core group: how the apiserver names a resource in messages. */
export function qualifiedName(resource: ResourceType): string {
  return resource.group === '' ? resource.plural : `${resource.plural}.${resource.group}`
}

/** `Deployment.apps`, or `Pod`: how Invalid errors name the kind. */
export function qualifiedKind(resource: ResourceType): string {
  return resource.group === '' ? resource.kind : `${resource.kind}.${resource.group}`
}

export function findResource(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((r) => r.group === group && r.version === version && r.plural === plural)
}

export function resourceByKind(kind: string): ResourceType {
  const found = RESOURCE_TYPES.find((r) => r.kind === kind)
  if (!found) throw new Error(`kube-store: no served resource of kind ${kind}`)
  return found
}

/** Served group versions in the order discovery lists them (core first, as the apiserver does). */
export function servedGroupVersions(): Array<{group: string; version: string}> {
  const seen = new Map<string, {group: string; version: string}>()
  for (const r of RESOURCE_TYPES) seen.set(groupVersionOf(r), {group: r.group, version: r.version})
  return [...seen.values()]
}
