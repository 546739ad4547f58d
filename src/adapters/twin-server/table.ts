/**
 * meta.k8s.io/v1 Table responses, for `kubectl get`'s human output: kubectl asks for `as=Table` and prints only
 * `NAME AGE` from a plain list (facts §1). Column sets follow the apiserver's printers
 * (kubernetes/kubernetes pkg/printers/internalversion/printers.go); `priority: 1` columns show with `-o wide`.
 * Ages are rendered server-side as upstream does (apimachinery/pkg/util/duration HumanDuration).
 */
import {isPodReady, type KubeObject} from '../../core/kube-store/index.js'

interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  format?: string
  priority?: number
  description: string
  cell: (o: KubeObject, now: number) => string | number
}

const name: Column = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description: 'Name must be unique within a namespace.',
  cell: (o) => o.metadata.name,
}
const age: Column = {
  name: 'Age',
  type: 'string',
  description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
  cell: (o, now) => humanAge(o.metadata.creationTimestamp, now),
}

const COLUMNS: Record<string, Column[]> = {
  Node: [
    name,
    {
      name: 'Status',
      type: 'string',
      description: 'The status of the node',
      cell: (o) => {
        const ready = o.status?.conditions?.find((c: {type: string}) => c.type === 'Ready')
        const state = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown'
        return o.spec?.unschedulable ? `${state},SchedulingDisabled` : state
      },
    },
    {
      name: 'Roles',
      type: 'string',
      description: 'The roles of the node',
      cell: (o) => {
        const roles = Object.keys(o.metadata.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
        return roles.length > 0 ? roles.sort().join(',') : '<none>'
      },
    },
    age,
    {
      name: 'Version',
      type: 'string',
      description: 'Kubelet Version reported by the node.',
      cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '',
    },
    {
      name: 'Internal-IP',
      type: 'string',
      priority: 1,
      description: 'List of internal IPs.',
      cell: (o) => address(o, 'InternalIP'),
    },
    {
      name: 'External-IP',
      type: 'string',
      priority: 1,
      description: 'List of external IPs.',
      cell: (o) => address(o, 'ExternalIP'),
    },
    {
      name: 'OS-Image',
      type: 'string',
      priority: 1,
      description: 'OS image reported by the node.',
      cell: (o) => o.status?.nodeInfo?.osImage ?? '<unknown>',
    },
    {
      name: 'Kernel-Version',
      type: 'string',
      priority: 1,
      description: 'Kernel version reported by the node.',
      cell: (o) => o.status?.nodeInfo?.kernelVersion ?? '<unknown>',
    },
    {
      name: 'Container-Runtime',
      type: 'string',
      priority: 1,
      description: 'Container runtime version reported by the node.',
      cell: (o) => o.status?.nodeInfo?.containerRuntimeVersion ?? '<unknown>',
    },
  ],
  Pod: [
    name,
    {
      name: 'Ready',
      type: 'string',
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      cell: (o) => {
        const statuses: Array<{ready: boolean}> = o.status?.containerStatuses ?? []
        return `${statuses.filter((s) => s.ready && isPodReady(o)).length}/${(o.spec?.containers ?? []).length}`
      },
    },
    {
      name: 'Status',
      type: 'string',
      description: 'The aggregate status of the containers in this pod.',
      cell: (o) => (o.metadata.deletionTimestamp ? 'Terminating' : (o.status?.phase ?? 'Unknown')),
    },
    {
      name: 'Restarts',
      type: 'string',
      description: 'The number of times the containers in this pod have been restarted.',
      cell: () => '0',
    },
    age,
    {
      name: 'IP',
      type: 'string',
      priority: 1,
      description: 'IP address allocated to the pod.',
      cell: (o) => o.status?.podIP ?? '<none>',
    },
    {
      name: 'Node',
      type: 'string',
      priority: 1,
      description: 'Name of the Node this pod is assigned to.',
      cell: (o) => o.spec?.nodeName ?? '<none>',
    },
    {
      name: 'Nominated Node',
      type: 'string',
      priority: 1,
      description: 'Name of the node where the pod is nominated.',
      cell: () => '<none>',
    },
    {name: 'Readiness Gates', type: 'string', priority: 1, description: 'Pod readiness gates.', cell: () => '<none>'},
  ],
  Deployment: [
    name,
    {
      name: 'Ready',
      type: 'string',
      description: 'Number of the pod with ready state',
      cell: (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`,
    },
    {
      name: 'Up-to-date',
      type: 'integer',
      description:
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
      cell: (o) => o.status?.updatedReplicas ?? 0,
    },
    {
      name: 'Available',
      type: 'integer',
      description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
      cell: (o) => o.status?.availableReplicas ?? 0,
    },
    age,
    {
      name: 'Containers',
      type: 'string',
      priority: 1,
      description: 'Names of each container in the template.',
      cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: {name: string}) => c.name).join(','),
    },
    {
      name: 'Images',
      type: 'string',
      priority: 1,
      description: 'Images referenced by each container in the template.',
      cell: (o) => (o.spec?.template?.spec?.containers ?? []).map((c: {image: string}) => c.image).join(','),
    },
    {
      name: 'Selector',
      type: 'string',
      priority: 1,
      description: 'Label selector for pods.',
      cell: (o) =>
        Object.entries(o.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(','),
    },
  ],
  PodDisruptionBudget: [
    name,
    {
      name: 'Min Available',
      type: 'string',
      description: 'The minimum number of pods that must be available.',
      cell: (o) => String(o.spec?.minAvailable ?? 'N/A'),
    },
    {
      name: 'Max Unavailable',
      type: 'string',
      description: 'The maximum number of pods that may be unavailable.',
      cell: (o) => String(o.spec?.maxUnavailable ?? 'N/A'),
    },
    {
      name: 'Allowed Disruptions',
      type: 'integer',
      description: 'Calculated number of pods that may be disrupted at this time.',
      cell: (o) => o.status?.disruptionsAllowed ?? 0,
    },
    age,
  ],
  MachineDeployment: [
    name,
    {name: 'Cluster', type: 'string', description: 'Cluster', cell: (o) => o.spec?.clusterName ?? ''},
    {
      name: 'Desired',
      type: 'integer',
      description: 'Total number of machines desired by this MachineDeployment',
      cell: (o) => o.spec?.replicas ?? 0,
    },
    {
      name: 'Current',
      type: 'integer',
      description: 'Total number of machines targeted by this MachineDeployment',
      cell: (o) => o.status?.replicas ?? 0,
    },
    {
      name: 'Ready',
      type: 'integer',
      description: 'Total number of ready machines targeted by this MachineDeployment',
      cell: (o) => o.status?.readyReplicas ?? 0,
    },
    age,
  ],
}

function address(o: KubeObject, type: string): string {
  return (
    (o.status?.addresses ?? [])
      .filter((a: {type: string}) => a.type === type)
      .map((a: {address: string}) => a.address)
      .join(',') || '<none>'
  )
}

/** HumanDuration: `45s`, `3m12s`, `25m`, `5h3m`, `30h`, `3d4h`, `12d`, `2y30d`. */
export function humanAge(timestamp: string | undefined, now: number): string {
  if (!timestamp) return '<unknown>'
  const seconds = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000))
  const minutes = Math.floor(seconds / 60)
  const hours = Math.floor(minutes / 60)
  const days = Math.floor(hours / 24)
  if (seconds < 120) return `${seconds}s`
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`
  if (minutes < 180) return `${minutes}m`
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`
  if (hours < 48) return `${hours}h`
  if (hours < 192) return hours % 24 === 0 ? `${days}d` : `${days}d${hours % 24}h`
  if (days < 730) return `${days}d`
  return `${Math.floor(days / 365)}y${days % 365 === 0 ? '' : `${days % 365}d`}`
}

function columnsOf(kind: string): Column[] {
  return COLUMNS[kind] ?? [name, age]
}

/** A Table of objects of one kind; `withColumns: false` for watch events after the first (kubectl accepts both). */
export function toTable(
  kind: string,
  objects: KubeObject[],
  resourceVersion: string,
  now: number,
  withColumns = true,
): object {
  const columns = columnsOf(kind)
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {resourceVersion},
    ...(withColumns
      ? {
          columnDefinitions: columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: c.description,
            priority: c.priority ?? 0,
          })),
        }
      : {}),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o, now)),
      object: {kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata},
    })),
  }
}

/** Whether an Accept header asks for a meta.k8s.io/v1 Table. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some((part) => /as=Table/.test(part) && /g=meta\.k8s\.io/.test(part) && /v=v1(;|$|\s)/.test(part))
}
