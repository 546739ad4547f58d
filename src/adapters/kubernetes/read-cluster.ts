/**
 * Reads what a plan needs from a live cluster through client-node 1.4, as plain objects (mapping them into a
 * ClusterSnapshot is ./map-snapshot.ts). Only `get`/`list` verbs, on exactly these resources (the RBAC the README's
 * live-mode section lists):
 * - nodes (cluster-wide), pods (all namespaces: a GPU node's other pods decide whether it can go);
 * - the Deployments/StatefulSets the config names, and the PodDisruptionBudgets, HorizontalPodAutoscalers and
 *   KEDA ScaledObjects in those workloads' namespaces;
 * - Cluster API MachineDeployments (cluster-wide), for node-group sizes.
 * KEDA and Cluster API are optional: a 404 for their API means "not installed", said in a diagnostic.
 *
 * Every failure names the URL it came from in one line: client-node's ApiException carries the response body as a
 * raw string (facts §3), parsed here for the Status message; transport errors carry a `code` (ECONNREFUSED).
 */
import {UserError} from '../../core/errors.js'
import type {ModelConfig} from '../../core/model/config.js'
import {type ClusterConnection, firstLine} from './connection.js'

/** A Kubernetes object as JSON (timestamps may be Date objects from client-node's typed lists). */
export type KubeObject = {
  metadata?: {
    name?: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    creationTimestamp?: Date | string
    deletionTimestamp?: Date | string
    ownerReferences?: Array<{kind: string; name: string; controller?: boolean}>
  }
  // Specs and statuses of many kinds, read field by field where used: typing each kind here would copy client-node.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  status?: any
}

export interface LiveObjects {
  nodes: KubeObject[]
  pods: KubeObject[]
  workloads: Array<{kind: 'Deployment' | 'StatefulSet'; namespace: string; name: string; object?: KubeObject}>
  pdbs: KubeObject[]
  hpas: KubeObject[]
  /** Undefined when KEDA's API is not served. */
  scaledObjects?: KubeObject[]
  /** Undefined when Cluster API's MachineDeployments are not served. */
  machineDeployments?: KubeObject[]
}

const CAPI = {group: 'cluster.x-k8s.io', version: 'v1beta2', plural: 'machinedeployments'}
const KEDA = {group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects'}

export async function readLiveObjects(
  connection: ClusterConnection,
  models: readonly ModelConfig[],
): Promise<LiveObjects> {
  const {k8s, kc} = connection
  const core = kc.makeApiClient(k8s.CoreV1Api)
  const apps = kc.makeApiClient(k8s.AppsV1Api)
  const policy = kc.makeApiClient(k8s.PolicyV1Api)
  const autoscaling = kc.makeApiClient(k8s.AutoscalingV2Api)
  const custom = kc.makeApiClient(k8s.CustomObjectsApi)
  const call = <T>(path: string, run: () => Promise<T>) => callApi(connection, path, run)
  const namespaces = [...new Set(models.map((m) => m.workload.namespace))].sort()

  const [nodes, pods] = await Promise.all([
    call('/api/v1/nodes', () => core.listNode()),
    call('/api/v1/pods', () => core.listPodForAllNamespaces()),
  ])
  const workloads = await Promise.all(
    models.map(async (m) => {
      const {kind, namespace, name} = m.workload
      const path = `/apis/apps/v1/namespaces/${namespace}/${kind === 'Deployment' ? 'deployments' : 'statefulsets'}/${name}`
      const object = await callOptional(connection, path, () =>
        kind === 'Deployment'
          ? apps.readNamespacedDeployment({namespace, name})
          : apps.readNamespacedStatefulSet({namespace, name}),
      )
      return {kind, namespace, name, ...(object ? {object: object as KubeObject} : {})}
    }),
  )
  const perNamespace = await Promise.all(
    namespaces.map(async (namespace) => {
      const [pdbs, hpas, scaledObjects] = await Promise.all([
        call(`/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`, () =>
          policy.listNamespacedPodDisruptionBudget({namespace}),
        ),
        call(`/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`, () =>
          autoscaling.listNamespacedHorizontalPodAutoscaler({namespace}),
        ),
        callOptional(
          connection,
          `/apis/${KEDA.group}/${KEDA.version}/namespaces/${namespace}/${KEDA.plural}`,
          () => custom.listNamespacedCustomObject({...KEDA, namespace}) as Promise<{items: KubeObject[]}>,
        ),
      ])
      return {pdbs: pdbs.items as KubeObject[], hpas: hpas.items as KubeObject[], scaledObjects: scaledObjects?.items}
    }),
  )
  const machineDeployments = await callOptional(
    connection,
    `/apis/${CAPI.group}/${CAPI.version}/${CAPI.plural}`,
    () => custom.listClusterCustomObject(CAPI) as Promise<{items: KubeObject[]}>,
  )
  const kedaServed = namespaces.length === 0 || perNamespace.some((n) => n.scaledObjects !== undefined)
  return {
    nodes: nodes.items as KubeObject[],
    pods: pods.items as KubeObject[],
    workloads,
    pdbs: perNamespace.flatMap((n) => n.pdbs),
    hpas: perNamespace.flatMap((n) => n.hpas),
    ...(kedaServed ? {scaledObjects: perNamespace.flatMap((n) => n.scaledObjects ?? [])} : {}),
    ...(machineDeployments ? {machineDeployments: machineDeployments.items} : {}),
  }
}

/** A read whose 404 means "absent" (a workload not created yet, an API not installed) rather than an error. */
async function callOptional<T>(
  connection: ClusterConnection,
  path: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await run()
  } catch (error) {
    if ((error as {code?: unknown}).code === 404) return undefined
    throw describeApiError(connection, path, error)
  }
}

async function callApi<T>(connection: ClusterConnection, path: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw describeApiError(connection, path, error)
  }
}

/** One line naming the URL: the Status message of an API error (body is a raw string), or the transport error. */
export function describeApiError(
  connection: Pick<ClusterConnection, 'server'>,
  path: string,
  error: unknown,
): UserError {
  const url = `${connection.server}${path}`
  const e = error as {code?: unknown; body?: unknown; cause?: {code?: string}; message?: string}
  if (typeof e.code === 'number') {
    const status = parseStatus(e.body)
    const why =
      status?.message ??
      (typeof e.body === 'string' && e.body.trim() !== '' ? e.body.trim().split('\n')[0] : 'no message')
    const hint =
      e.code === 401 || e.code === 403
        ? 'the credentials lack a permission gpu-scale needs (see the README, live mode: RBAC)'
        : 'check the cluster and the kubeconfig context'
    return new UserError(`GET ${url} failed: HTTP ${e.code}${status?.reason ? ` ${status.reason}` : ''}: ${why}`, {
      hint,
      cause: error,
    })
  }
  const code = typeof e.code === 'string' ? e.code : e.cause?.code
  return new UserError(`cannot reach the Kubernetes API at ${url}: ${code ? `${code}: ` : ''}${firstLine(error)}`, {
    hint: 'check --kubeconfig/--context (or KUBECONFIG) point at a running cluster',
    cause: error,
  })
}

function parseStatus(body: unknown): {message?: string; reason?: string} | undefined {
  if (typeof body === 'object' && body !== null) return body as {message?: string; reason?: string}
  if (typeof body !== 'string' || !body.trim().startsWith('{')) return undefined
  try {
    return JSON.parse(body) as {message?: string; reason?: string}
  } catch {
    return undefined
  }
}
