/**
 * Checks across a snapshot's fields that a schema cannot express: references that must resolve (a pod's node, a
 * MIG instance's pod, names that must be unique), GPU models gpu-scale knows, GPU requests some node could hold,
 * and MIG layouts that must be physically possible on their GPU. A snapshot that breaks these was exported wrong;
 * planning from it would place replicas on capacity that does not exist, so each is an error naming the field.
 *
 * checkSnapshotAgainstConfig adds what needs the policy too: node groups the provider was asked to grow far past
 * their max, and pods asking for more GPUs than any node of any group has.
 */
import {suggestName} from '../config/suggest.js'
import type {Problem} from '../errors.js'
import {MAX_GPUS_PER_NODE} from '../input/limits.js'
import type {PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot} from '../model/snapshot.js'
import {findGpuModel, GPU_MODELS} from '../mig/catalog.js'
import {checkInstances, findMigModel, UnknownProfileError} from '../mig/index.js'

export function checkSnapshot(snapshot: ClusterSnapshot, file: string): Problem[] {
  const problems: Problem[] = []
  const error = (code: string, message: string, path: string) =>
    problems.push({severity: 'error', code, message, location: {file, path}})

  const nodes = new Map<string, number>()
  snapshot.nodes.forEach((node, i) => {
    if (nodes.has(node.name))
      error(
        'DuplicateName',
        `node ${node.name} is listed twice (also nodes[${nodes.get(node.name)}])`,
        `nodes[${i}].name`,
      )
    nodes.set(node.name, i)
  })
  const pods = new Set<string>()
  snapshot.pods.forEach((pod, i) => {
    const key = `${pod.namespace}/${pod.name}`
    if (pods.has(key)) error('DuplicateName', `pod ${key} is listed twice`, `pods[${i}].name`)
    pods.add(key)
    if (pod.node !== undefined && !nodes.has(pod.node))
      error('UnknownNode', `pod ${key} is on node ${pod.node}, which is not in nodes`, `pods[${i}].node`)
  })
  checkGpuModels(snapshot, error)
  snapshot.pods.forEach((pod, i) => {
    // With MIG strategy single, nvidia.com/gpu counts MIG slices, up to 7 per GPU; the schema bounds those.
    if (
      pod.gpuRequest?.resource === 'nvidia.com/gpu' &&
      pod.gpuRequest.count > MAX_GPUS_PER_NODE &&
      snapshot.migStrategy !== 'single'
    ) {
      error(
        'ImpossibleGpuRequest',
        `pod ${pod.namespace}/${pod.name} requests ${pod.gpuRequest.count} GPUs; no node has more than ${MAX_GPUS_PER_NODE}, so it can never run`,
        `pods[${i}].gpuRequest.count`,
      )
    }
  })
  snapshot.nodes.forEach((node, i) => {
    node.gpus.forEach((gpu, j) => {
      const at = `nodes[${i}].gpus[${j}]`
      for (const [k, pod] of gpu.pods.entries()) {
        if (!pods.has(pod))
          error(
            'UnknownPod',
            `GPU ${gpu.index} of ${node.name} lists pod ${pod}, which is not in pods (expected namespace/name)`,
            `${at}.pods[${k}]`,
          )
      }
      if (!gpu.mig.enabled) {
        if (gpu.mig.instances.length > 0)
          error(
            'MigInstancesWithoutMig',
            `GPU ${gpu.index} of ${node.name} has MIG instances but mig.enabled is false`,
            `${at}.mig`,
          )
        return
      }
      for (const [k, instance] of gpu.mig.instances.entries()) {
        if (instance.pod !== undefined && !pods.has(instance.pod))
          error(
            'UnknownPod',
            `MIG instance ${instance.profile}@${instance.start} lists pod ${instance.pod}, which is not in pods`,
            `${at}.mig.instances[${k}].pod`,
          )
      }
      // Only GPUs whose geometry gpu-scale knows exactly can be checked; others are taken as reported.
      if (!findMigModel(gpu.model) || gpu.mig.instances.length === 0) return
      try {
        const result = checkInstances(
          gpu.model,
          gpu.mig.instances.map((x) => ({profile: x.profile, start: x.start})),
        )
        if (!result.valid)
          error(
            'ImpossibleMigLayout',
            `GPU ${gpu.index} of ${node.name} (${gpu.model}): ${result.reason}`,
            `${at}.mig.instances`,
          )
      } catch (e) {
        if (!(e instanceof UnknownProfileError)) throw e
        error('UnknownMigProfile', e.message, `${at}.mig.instances`)
      }
    })
  })
  return problems
}

type Report = (code: string, message: string, path: string) => void

/** One error per unknown model name (at its first GPU): a fleet of one unknown model is one mistake, not 16,000. */
function checkGpuModels(snapshot: ClusterSnapshot, error: Report): void {
  const reported = new Set<string>()
  snapshot.nodes.forEach((node, i) => {
    node.gpus.forEach((gpu, j) => {
      if (findGpuModel(gpu.model) || reported.has(gpu.model)) return
      reported.add(gpu.model)
      const known = GPU_MODELS.map((m) => m.name)
      const suggestion = suggestName(gpu.model, [...known, ...GPU_MODELS.flatMap((m) => m.aliases)])
      error(
        'UnknownGpuModel',
        `GPU ${gpu.index} of ${node.name} is an unknown model "${gpu.model}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; expected one of ${known.join(', ')} or their nvidia.com/gpu.product labels`,
        `nodes[${i}].gpus[${j}].model`,
      )
    })
  })
}

/**
 * A provider target more than twice a group's max (and 100 nodes over it) is not a max that was just lowered: the
 * snapshot or the config names the wrong group, and planning would try to remove (or walk) nodes that never
 * existed. A pod asking for more whole GPUs than any node of the snapshot or of the policy's groups can never run.
 */
export function checkSnapshotAgainstConfig(snapshot: ClusterSnapshot, config: PolicyConfig, file: string): Problem[] {
  const problems: Problem[] = []
  const error = (code: string, message: string, path: string) =>
    problems.push({severity: 'error', code, message, location: {file, path}})
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  snapshot.nodeGroups.forEach((state, i) => {
    const group = groups.get(state.name)
    if (group && state.targetSize > 2 * group.max + 100) {
      error(
        'TargetSizeFarAboveMax',
        `node group ${state.name} has targetSize ${state.targetSize}, far beyond its max ${group.max} in the policy; check that the snapshot and the policy describe the same cluster`,
        `nodeGroups[${i}].targetSize`,
      )
    }
  })
  const perGpu = snapshot.migStrategy === 'single' ? 7 : 1
  const largestNode =
    perGpu * Math.max(0, ...config.nodeGroups.map((g) => g.gpu.count), ...snapshot.nodes.map((n) => n.gpus.length))
  snapshot.pods.forEach((pod, i) => {
    const request = pod.gpuRequest
    if (
      request?.resource !== 'nvidia.com/gpu' ||
      request.count <= largestNode ||
      (request.count > MAX_GPUS_PER_NODE && perGpu === 1)
    )
      return
    error(
      'ImpossibleGpuRequest',
      `pod ${pod.namespace}/${pod.name} requests ${request.count} GPUs, more than any node has (the largest has ${largestNode}); it can never run`,
      `pods[${i}].gpuRequest.count`,
    )
  })
  return problems
}
