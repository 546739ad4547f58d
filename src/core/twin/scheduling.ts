/**
 * The twin's scheduling seam. The twin asks one function where a Pending pod goes and binds it there; the
 * device plugin (the twin) then hands out the first free matching GPUs or MIG instance on that node.
 *
 *   type SchedulePod = (pod, nodes, context) => nodeName | undefined
 *
 * It sees the same shapes a ClusterSnapshot carries (PodState, NodeState), so the planner kernel's simulated
 * cluster (src/core/scheduling, issue 8) can be plugged in unchanged and the twin and the planner then share one
 * set of predicates. Until it lands, `scheduleMostAllocated` is the default: kube-scheduler's filters that matter
 * for GPU pods (ready, allocatable, not cordoned, taints, nodeSelector, critical-stays-off-spot, free devices),
 * scored by MostAllocated (fewest free GPUs first, to bin-pack as GPU clusters usually configure it), name last.
 */
import type {ModelConfig, Taint, Toleration} from '../model/config.js'
import type {GpuDevice, NodeState, PodState} from '../model/snapshot.js'

export interface ScheduleContext {
  model: ModelConfig
  migStrategy: 'none' | 'single' | 'mixed'
}

export type SchedulePod = (pod: PodState, nodes: readonly NodeState[], context: ScheduleContext) => string | undefined

/** What one replica's pod asks the device plugin for. */
export type DeviceNeed = {kind: 'whole'; count: number} | {kind: 'mig'; profile: string}

/** A `memory` need is served as one whole GPU here: choosing a MIG share is the planner's job. */
export function deviceNeedOf(model: ModelConfig): DeviceNeed {
  if (model.gpu.kind === 'mig') return {kind: 'mig', profile: model.gpu.profile}
  return {kind: 'whole', count: model.gpu.kind === 'whole' ? model.gpu.count : 1}
}

/** The free devices of a node that satisfy a need, or undefined: whole GPUs by index, or one MIG instance. */
export function findFreeDevices(
  node: NodeState,
  need: DeviceNeed,
): {gpus: number[]} | {gpu: number; start: number} | undefined {
  if (need.kind === 'mig') {
    for (const gpu of node.gpus) {
      if (!gpu.mig.enabled) continue
      const instance = gpu.mig.instances.find((i) => i.profile === need.profile && !i.pod)
      if (instance) return {gpu: gpu.index, start: instance.start}
    }
    return undefined
  }
  const free = node.gpus.filter(isWholeFree).map((g) => g.index)
  return free.length >= need.count ? {gpus: free.slice(0, need.count)} : undefined
}

function isWholeFree(gpu: GpuDevice): boolean {
  return !gpu.mig.enabled && gpu.pods.length === 0
}

export function toleratesTaints(taints: readonly Taint[], tolerations: readonly Toleration[]): boolean {
  return taints.every((taint) => taint.effect === 'PreferNoSchedule' || tolerations.some((t) => tolerates(t, taint)))
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false
  if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '')
}

export function matchesNodeSelector(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false
  return true
}

/** Whether the node could take the pod now, ignoring scores. */
export function nodeFits(node: NodeState, context: ScheduleContext): boolean {
  if (!node.ready || !node.gpusAllocatable || node.cordoned || node.interruptionNoticeAt !== undefined) return false
  if (context.model.critical && node.capacityType === 'spot') return false
  if (!toleratesTaints(node.taints, context.model.tolerations)) return false
  if (!matchesNodeSelector(context.model.nodeSelector, node.labels)) return false
  return findFreeDevices(node, deviceNeedOf(context.model)) !== undefined
}

export const scheduleMostAllocated: SchedulePod = (_pod, nodes, context) => {
  let best: NodeState | undefined
  let bestFree = Infinity
  for (const node of nodes) {
    if (!nodeFits(node, context)) continue
    const free = node.gpus.filter((g) =>
      g.mig.enabled ? g.mig.instances.some((i) => !i.pod) : g.pods.length === 0,
    ).length
    if (free < bestFree || (free === bestFree && best !== undefined && node.name < best.name)) {
      best = node
      bestFree = free
    }
  }
  return best?.name
}
