/**
 * The one pod-fits-node predicate set of the simulated cluster. `admitsNode` (taints, node selector, critical off
 * spot) decides whether a pod may land on a node at all; the cluster's placement then checks GPUs and MIG
 * instances. `checkGroupFit` explains the same rules per group as reasons for `validate` and the node layer.
 *
 * Can a replica of this model ever run on a node of this group? The scheduler's view (taints vs tolerations,
 * node selector) plus the GPU view (model, memory, MIG profile). Shared by `validate` ("would stay pending
 * forever"), the planner's placement and the node layer's scale-up simulation, so all three agree.
 */
import type {CapacityType, GpuNeed, ModelConfig, NodeGroupConfig, Taint, Toleration} from '../model/config.js'
import type {Reason} from '../model/plan.js'
import {findGpuModel} from '../mig/catalog.js'
import {roundForMessage} from '../model/round.js'

/** Kubernetes toleration semantics (k8s.io/api core/v1 Toleration.ToleratesTaint). */
export function tolerates(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false
  if (toleration.key === undefined || toleration.key === '') return toleration.operator === 'Exists'
  if (toleration.key !== taint.key) return false
  if (toleration.operator === 'Exists') return true
  return (toleration.value ?? '') === (taint.value ?? '')
}

/** Taints with NoSchedule/NoExecute that no toleration covers (PreferNoSchedule never blocks). */
export function untoleratedTaints(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint[] {
  return taints.filter((taint) => taint.effect !== 'PreferNoSchedule' && !tolerations.some((t) => tolerates(t, taint)))
}

/** True when no NoSchedule/NoExecute taint is left untolerated: the allocation-free check placement runs per node. */
export function toleratesAll(taints: readonly Taint[], tolerations: readonly Toleration[]): boolean {
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule') continue
    let covered = false
    for (const toleration of tolerations) {
      if (tolerates(toleration, taint)) {
        covered = true
        break
      }
    }
    if (!covered) return false
  }
  return true
}

/** True when every nodeSelector entry matches the labels (the allocation-free form of unmatchedSelector). */
export function matchesSelector(selector: Record<string, string>, labels: Record<string, string>): boolean {
  for (const key in selector) if (labels[key] !== selector[key]) return false
  return true
}

export function unmatchedSelector(selector: Record<string, string>, labels: Record<string, string>): string[] {
  return Object.keys(selector)
    .sort()
    .filter((key) => labels[key] !== selector[key])
}

/**
 * Critical models never land on spot capacity (registered, arriving or templated): an interruption would take
 * the replicas the fleet cannot lose. The rule is written here once; every placement path calls it.
 */
export function allowsCapacityType(
  model: Pick<ModelConfig, 'critical'>,
  capacityType: CapacityType | undefined,
): boolean {
  return !(model.critical && capacityType === 'spot')
}

/**
 * May a pod of this model be scheduled on this node at all, GPUs aside? Taints vs tolerations, the node selector,
 * and critical off spot: what the scheduler and the capacity type decide before any GPU is counted.
 */
export function admitsNode(
  model: Pick<ModelConfig, 'critical' | 'tolerations' | 'nodeSelector'>,
  node: {taints: readonly Taint[]; labels: Record<string, string>; capacityType?: CapacityType},
): boolean {
  return (
    allowsCapacityType(model, node.capacityType) &&
    toleratesAll(node.taints, model.tolerations) &&
    matchesSelector(model.nodeSelector, node.labels)
  )
}

/** Memory one replica needs on its GPU(s), in GiB: weights plus KV-cache headroom, or the configured amount. */
export function replicaMemoryGiB(model: ModelConfig): number {
  if (model.gpu.kind === 'memory') return model.gpu.memoryGiB
  return model.weights.sizeGiB + model.kvCacheGiB
}

/** The GPU need as a device-plugin resource request: `nvidia.com/gpu` × n or `nvidia.com/mig-<profile>` × 1. */
export function gpuResourceOf(need: GpuNeed): {resource: string; count: number} {
  if (need.kind === 'mig') return {resource: `nvidia.com/mig-${need.profile}`, count: 1}
  if (need.kind === 'whole') return {resource: 'nvidia.com/gpu', count: need.count}
  return {resource: 'nvidia.com/gpu', count: 1}
}

export interface GroupFit {
  group: string
  eligible: boolean
  /** Why it cannot host the model (empty when eligible). */
  reasons: Reason[]
}

/**
 * Checks one group against one model. Every failing rule becomes a reason, so the user sees all of them at once.
 * `migProfiles` lists the MIG profiles a group can expose (from its allowed mig-parted configs).
 */
export function checkGroupFit(
  model: ModelConfig,
  group: NodeGroupConfig,
  migProfiles: readonly string[] = [],
): GroupFit {
  const reasons: Reason[] = []
  const target = `${model.workload.namespace}/${model.workload.name}`
  const taints = untoleratedTaints(group.taints, model.tolerations)
  if (taints.length > 0) {
    reasons.push({
      code: 'TaintNotTolerated',
      message: `group ${group.name} has taint ${taints.map(formatTaint).join(', ')} that ${target} does not tolerate`,
      evidence: {group: group.name, taints: taints.map(formatTaint).join(',')},
    })
  }
  const missing = unmatchedSelector(model.nodeSelector, group.labels)
  if (missing.length > 0) {
    reasons.push({
      code: 'NodeSelectorMismatch',
      message: `group ${group.name} labels do not match nodeSelector ${missing.map((k) => `${k}=${model.nodeSelector[k]}`).join(', ')}`,
      evidence: {group: group.name, keys: missing.join(',')},
    })
  }
  const gpu = findGpuModel(group.gpu.model)
  const need = model.gpu
  if (need.kind === 'whole' && need.count > group.gpu.count) {
    reasons.push({
      code: 'NotEnoughGpusPerNode',
      message: `a replica needs ${need.count} GPUs on one node; ${group.name} nodes have ${group.gpu.count}`,
      evidence: {group: group.name, needed: need.count, perNode: group.gpu.count},
    })
  }
  if (need.kind === 'mig') {
    if (!gpu?.migCapable) {
      reasons.push({
        code: 'MigNotSupported',
        message: `${target} needs MIG profile ${need.profile}; ${group.gpu.model} does not support MIG`,
        evidence: {group: group.name, gpu: group.gpu.model, profile: need.profile},
      })
    } else if (!migProfiles.includes(need.profile)) {
      reasons.push({
        code: 'MigProfileUnavailable',
        message: `${target} needs MIG profile ${need.profile}; no allowed MIG config of ${group.name} (${group.migConfigs.join(', ') || 'none'}) provides it`,
        evidence: {group: group.name, profile: need.profile, migConfigs: group.migConfigs.join(',')},
      })
    }
  } else {
    const memoryGiB = replicaMemoryGiB(model)
    const perReplicaGpus = need.kind === 'whole' ? need.count : 1
    const availableGiB = gpu ? (gpu.memoryMiB / 1024) * perReplicaGpus : undefined
    if (availableGiB !== undefined && memoryGiB > availableGiB) {
      reasons.push({
        code: 'GpuMemoryTooSmall',
        message: `${target} needs ${roundForMessage(memoryGiB)} GiB of GPU memory; ${perReplicaGpus} × ${group.gpu.model} has ${roundForMessage(availableGiB)} GiB`,
        evidence: {group: group.name, neededGiB: memoryGiB, availableGiB},
      })
    }
  }
  if (!allowsCapacityType(model, group.capacityType)) {
    reasons.push({
      code: 'CriticalOffSpot',
      message: `${target} is critical and ${group.name} is spot capacity`,
      evidence: {group: group.name},
    })
  }
  return {group: group.name, eligible: reasons.length === 0, reasons}
}

export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`
}
