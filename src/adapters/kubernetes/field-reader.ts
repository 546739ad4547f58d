/**
 * The FieldReader `applyPlan` checks preconditions with, reading the live object right before each change:
 * Deployments and StatefulSets (apps/v1), Nodes, and NodeGroups, whose `status.targetSize` is what the snapshot
 * mapping counted (the MachineDeployment's replicas for a machine-deployment group, else its registered nodes).
 * A missing object or field reads as undefined, which matches a precondition of `null` ("absent").
 */
import type {FieldReader} from '../../core/apply/index.js'
import type {PolicyConfig} from '../../core/model/config.js'
import {type KubeApi, valueAtPath, workloadPath} from './kube-api.js'
import {readGroupTargetSize} from './node-group-actuators.js'

export function createFieldReader(api: KubeApi, config: PolicyConfig): FieldReader {
  return async (resource, path) => {
    switch (resource.kind) {
      case 'Deployment':
      case 'StatefulSet': {
        const namespace = resource.namespace ?? 'default'
        const object = await readWorkload(api, resource.kind, namespace, resource.name)
        return object === undefined ? undefined : valueAtPath(object, path)
      }
      case 'Node': {
        const object = await api.optional('GET', `/api/v1/nodes/${resource.name}`, () =>
          api.core.readNode({name: resource.name}),
        )
        return object === undefined ? undefined : valueAtPath(object, path)
      }
      case 'NodeGroup':
        return path === 'status.targetSize' ? readGroupTargetSize(api, config, resource.name) : undefined
    }
  }
}

export function readWorkload(
  api: KubeApi,
  kind: 'Deployment' | 'StatefulSet',
  namespace: string,
  name: string,
): Promise<unknown> {
  return api.optional('GET', workloadPath(kind, namespace, name), () =>
    kind === 'Deployment'
      ? api.apps.readNamespacedDeployment({namespace, name})
      : api.apps.readNamespacedStatefulSet({namespace, name}),
  )
}
