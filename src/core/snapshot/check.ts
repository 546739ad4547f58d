/**
 * Checks across a snapshot's fields that a schema cannot express: references that must resolve (a pod's node, a
 * MIG instance's pod, names that must be unique) and MIG layouts that must be physically possible on their GPU.
 * A snapshot that breaks these was exported wrong; planning from it would place replicas on capacity that does
 * not exist, so each is an error naming the field.
 */
import type {Problem} from '../errors.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {checkInstances, findMigModel, UnknownProfileError} from '../mig/index.js'

export function checkSnapshot(snapshot: ClusterSnapshot, file: string): Problem[] {
  const problems: Problem[] = []
  const error = (code: string, message: string, path: string) => problems.push({severity: 'error', code, message, location: {file, path}})

  const nodes = new Map<string, number>()
  snapshot.nodes.forEach((node, i) => {
    if (nodes.has(node.name)) error('DuplicateName', `node ${node.name} is listed twice (also nodes[${nodes.get(node.name)}])`, `nodes[${i}].name`)
    nodes.set(node.name, i)
  })
  const pods = new Set<string>()
  snapshot.pods.forEach((pod, i) => {
    const key = `${pod.namespace}/${pod.name}`
    if (pods.has(key)) error('DuplicateName', `pod ${key} is listed twice`, `pods[${i}].name`)
    pods.add(key)
    if (pod.node !== undefined && !nodes.has(pod.node)) error('UnknownNode', `pod ${key} is on node ${pod.node}, which is not in nodes`, `pods[${i}].node`)
  })
  snapshot.nodes.forEach((node, i) => {
    node.gpus.forEach((gpu, j) => {
      const at = `nodes[${i}].gpus[${j}]`
      for (const [k, pod] of gpu.pods.entries()) {
        if (!pods.has(pod)) error('UnknownPod', `GPU ${gpu.index} of ${node.name} lists pod ${pod}, which is not in pods (expected namespace/name)`, `${at}.pods[${k}]`)
      }
      if (!gpu.mig.enabled) {
        if (gpu.mig.instances.length > 0) error('MigInstancesWithoutMig', `GPU ${gpu.index} of ${node.name} has MIG instances but mig.enabled is false`, `${at}.mig`)
        return
      }
      for (const [k, instance] of gpu.mig.instances.entries()) {
        if (instance.pod !== undefined && !pods.has(instance.pod)) error('UnknownPod', `MIG instance ${instance.profile}@${instance.start} lists pod ${instance.pod}, which is not in pods`, `${at}.mig.instances[${k}].pod`)
      }
      // Only GPUs whose geometry gpu-scale knows exactly can be checked; others are taken as reported.
      if (!findMigModel(gpu.model) || gpu.mig.instances.length === 0) return
      try {
        const result = checkInstances(gpu.model, gpu.mig.instances.map((x) => ({profile: x.profile, start: x.start})))
        if (!result.valid) error('ImpossibleMigLayout', `GPU ${gpu.index} of ${node.name} (${gpu.model}): ${result.reason}`, `${at}.mig.instances`)
      } catch (e) {
        if (!(e instanceof UnknownProfileError)) throw e
        error('UnknownMigProfile', e.message, `${at}.mig.instances`)
      }
    })
  })
  return problems
}
