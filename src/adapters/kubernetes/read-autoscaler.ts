/**
 * Reads one HorizontalPodAutoscaler or KEDA ScaledObject, and the workload it scales, as raw JSON (the API's own
 * field names, quantities as strings) for `gpu-scale import`. Only `get`, on exactly those objects. A 404 for the
 * autoscaler is an error that names it; for the workload, a missing object (the caller then assumes a GPU need).
 */
import {UserError} from '../../core/errors.js'
import type {ClusterConnection} from './connection.js'
import {describeApiError} from './read-cluster.js'

const APIS = {
  HorizontalPodAutoscaler: {group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers'},
  ScaledObject: {group: 'keda.sh', version: 'v1alpha1', plural: 'scaledobjects'},
} as const

export interface FetchedObject {
  /** The object's URL, where errors about it point. */
  url: string
  object: unknown
}

export async function readAutoscaler(
  connection: ClusterConnection,
  kind: keyof typeof APIS,
  namespace: string,
  name: string,
): Promise<FetchedObject> {
  const api = APIS[kind]
  const path = `/apis/${api.group}/${api.version}/namespaces/${namespace}/${api.plural}/${name}`
  const object = await get(connection, path, {...api, namespace, name})
  if (object === undefined)
    throw new UserError(`${kind} ${namespace}/${name} not found at ${connection.server}${path}`, {
      hint: `list them with kubectl get ${api.plural}${api.group === 'autoscaling' ? '' : `.${api.group}`} -n ${namespace}; -n/--namespace picks the namespace`,
    })
  return {url: `${connection.server}${path}`, object}
}

/** The Deployment or StatefulSet an autoscaler targets; undefined when it does not exist. */
export async function readWorkload(
  connection: ClusterConnection,
  kind: 'Deployment' | 'StatefulSet',
  namespace: string,
  name: string,
): Promise<unknown> {
  const plural = kind === 'Deployment' ? 'deployments' : 'statefulsets'
  return get(connection, `/apis/apps/v1/namespaces/${namespace}/${plural}/${name}`, {
    group: 'apps',
    version: 'v1',
    plural,
    namespace,
    name,
  })
}

async function get(
  connection: ClusterConnection,
  path: string,
  args: {group: string; version: string; plural: string; namespace: string; name: string},
): Promise<unknown> {
  const custom = connection.kc.makeApiClient(connection.k8s.CustomObjectsApi)
  try {
    return await custom.getNamespacedCustomObject(args)
  } catch (error) {
    if ((error as {code?: unknown}).code === 404) return undefined
    throw describeApiError(connection, path, error)
  }
}
