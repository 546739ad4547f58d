/**
 * Safe node scale-down: a node is removed only when none of its GPUs is used or about to be used by this plan,
 * it has been unneeded for the configured window (GPU utilization under the threshold the whole time), its group
 * stays at or above min, and no scale-up happened in the group within the delay after add. Candidates are
 * ordered spot and expensive first. Every node kept is recorded with why.
 */
import type {PolicyConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {ClusterSnapshot, NodeState} from '../../model/snapshot.js'
import type {CapacityModel} from '../../planner/capacity.js'
import type {TelemetryIndex} from '../../signals/telemetry-index.js'

export interface NodeRemoval {
  node: string
  group: string
  groupFrom: number
  groupTo: number
  reasons: Reason[]
}

export interface NodeKept {
  node: string
  group: string
  reasons: Reason[]
}

const GPU_UTIL_METRIC = 'DCGM_FI_DEV_GPU_UTIL'

export function planScaleDown(
  config: PolicyConfig,
  snapshot: ClusterSnapshot,
  capacity: CapacityModel,
  sizes: Map<string, number>,
  telemetry: TelemetryIndex,
  scaledUpGroups: ReadonlySet<string>,
): {removals: NodeRemoval[]; kept: NodeKept[]} {
  const now = snapshot.capturedAt
  const {unneededSeconds, gpuUtilizationThreshold, delayAfterAddSeconds} = config.settings.scaleDown
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const groupStates = new Map(snapshot.nodeGroups.map((g) => [g.name, g]))
  const working = new Map(capacity.nodes.map((n) => [n.name, n]))
  const podsByNode = new Map<string, number>()
  for (const pod of snapshot.pods) {
    if (pod.node && !pod.daemon && pod.phase !== 'Succeeded' && pod.phase !== 'Failed') podsByNode.set(pod.node, (podsByNode.get(pod.node) ?? 0) + 1)
  }
  const removals: NodeRemoval[] = []
  const kept: NodeKept[] = []
  const candidates: Array<{node: NodeState; cost: number; spot: boolean}> = []
  for (const node of snapshot.nodes) {
    const group = groups.get(node.group)
    if (!group) continue
    const slot = working.get(node.name)
    const keep = (code: string, message: string, evidence: Reason['evidence'] = {}) => kept.push({node: node.name, group: node.group, reasons: [{code, message, evidence: {node: node.name, ...evidence}}]})
    if (!slot || slot.condition !== 'ready') continue
    const busy = slot.gpus.some((g) => !g.idle)
    if (busy) continue
    const pods = podsByNode.get(node.name) ?? 0
    if (pods > 0) {
      keep('PodsOnNode', `${node.name} has no GPU work but ${pods} non-DaemonSet pod(s) that must move first`, {pods})
      continue
    }
    const lastScaleUp = groupStates.get(node.group)?.lastScaleUpAt
    if (scaledUpGroups.has(node.group) || (lastScaleUp !== undefined && now - lastScaleUp < delayAfterAddSeconds)) {
      keep('ScaleDownDelayAfterAdd', `${node.group} scaled up within ${delayAfterAddSeconds}s; ${node.name} is kept`, {delayAfterAddSeconds})
      continue
    }
    const idleFor = idleSeconds(node, telemetry, now, gpuUtilizationThreshold)
    if (idleFor < unneededSeconds) {
      keep('NotUnneededLongEnough', `${node.name} idle for ${Math.round(idleFor)}s of the ${unneededSeconds}s needed before removal`, {idleSeconds: Math.round(idleFor), unneededSeconds})
      continue
    }
    candidates.push({node, cost: group.hourlyCost, spot: group.capacityType === 'spot'})
  }
  // Spot and expensive first: removing them saves the most and risks the least.
  candidates.sort((a, b) => Number(b.spot) - Number(a.spot) || b.cost - a.cost || a.node.name.localeCompare(b.node.name))
  for (const {node} of candidates) {
    const group = groups.get(node.group)
    if (!group) continue
    const size = sizes.get(node.group) ?? 0
    if (size - 1 < group.min) {
      kept.push({node: node.name, group: node.group, reasons: [{code: 'GroupAtMin', message: `${node.group} is at its min size ${group.min}`, evidence: {node: node.name, size, min: group.min}}]})
      continue
    }
    sizes.set(node.group, size - 1)
    removals.push({
      node: node.name,
      group: node.group,
      groupFrom: size,
      groupTo: size - 1,
      reasons: [{
        code: 'NodeUnneeded',
        message: `${node.name} has had no GPU work for at least ${unneededSeconds}s (GPU utilization under ${gpuUtilizationThreshold * 100}%)`,
        evidence: {node: node.name, unneededSeconds, threshold: gpuUtilizationThreshold, hourlyCost: group.hourlyCost},
      }],
    })
  }
  return {removals, kept}
}

/**
 * How long every GPU of the node has been under the utilization threshold, from DCGM samples. A node without
 * telemetry counts as idle since it was created only when it has no GPU pods (the caller checked): unknown
 * utilization never shortens the window below the node's age.
 */
function idleSeconds(node: NodeState, telemetry: TelemetryIndex, now: number, threshold: number): number {
  const series = (telemetry.byMetric.get(GPU_UTIL_METRIC) ?? []).filter((s) => (s.labels.Hostname ?? s.labels.hostname ?? s.labels.node) === node.name)
  let lastBusy = node.createdAt
  for (const s of series) {
    for (const [t, v] of s.samples) if (t <= now && v / 100 >= threshold && t > lastBusy) lastBusy = t
  }
  return now - lastBusy
}
