/**
 * The twin's scheduler built on the planner kernel's predicates (src/core/scheduling), so the twin never binds a
 * pod where the planner would not have placed it, and never leaves Pending a pod the planner counted as placed.
 *
 * Filters, in kube-scheduler's order (cheapest first):
 *   1. the node can take new pods: ready, GPUs allocatable (drivers and device plugin up, no MIG reconfiguration
 *      in progress), not cordoned, no spot interruption notice;
 *   2. `admitsNode`: taints vs tolerations, node selector, critical models off spot — the kernel's one rule set;
 *   3. the device plugin can hand out what the pod asks: whole GPUs free, or a free MIG instance of its profile.
 * Score: MostAllocated (fewest free GPUs first), as GPU clusters configure kube-scheduler to bin-pack, so whole
 * nodes stay free for scale-down and MIG; the node name breaks ties so a run is reproducible.
 */
import type {NodeState} from '../model/snapshot.js'
import {admitsNode} from '../scheduling/eligibility.js'
import {deviceNeedOf, findFreeDevices, type SchedulePod} from '../twin/index.js'

export const scheduleWithKernel: SchedulePod = (_pod, nodes, context) => {
  const need = deviceNeedOf(context.model)
  let best: NodeState | undefined
  let bestFree = Infinity
  for (const node of nodes) {
    if (!node.ready || !node.gpusAllocatable || node.cordoned || node.interruptionNoticeAt !== undefined) continue
    if (!admitsNode(context.model, node)) continue
    if (findFreeDevices(node, need) === undefined) continue
    const free = freeGpus(node)
    if (free < bestFree || (free === bestFree && best !== undefined && node.name < best.name)) {
      best = node
      bestFree = free
    }
  }
  return best?.name
}

function freeGpus(node: NodeState): number {
  let free = 0
  for (const gpu of node.gpus)
    if (gpu.mig.enabled ? gpu.mig.instances.some((i) => !i.pod) : gpu.pods.length === 0) free++
  return free
}
