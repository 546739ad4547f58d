/**
 * Node-group scale-up by simulated scheduling (Cluster Autoscaler's model): for replicas that fit no existing or
 * arriving capacity, try each group's template node, bin-pack the replicas onto new nodes, and pick a group with
 * the expander chain. Every group gets a verdict (chosen, or rejected and why), kept as data.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {ClusterSnapshot} from '../../model/snapshot.js'
import {type CapacityModel, nodeColdStartSeconds, templateNode} from '../../planner/capacity.js'
import {checkGroupFit} from '../../planner/eligibility.js'
import {bootLayoutOf, profilesOfGroup} from '../../planner/mig-configs.js'

export interface GroupVerdict {
  group: string
  chosen: boolean
  reasons: Reason[]
  /** New nodes this group would need for the demand (when it could host it). */
  nodesNeeded?: number
}

export interface ScaleUpDecision {
  group: string
  from: number
  to: number
  nodesAdded: number
  /** Seconds until the new nodes' GPUs are allocatable. */
  readySeconds: number
  /** Replicas (per model) this scale-up hosts. */
  hosts: Record<string, number>
  verdicts: GroupVerdict[]
}

export interface NodeBudget {
  /** GPUs counted against settings.budget.maxGpus (registered + requested). */
  gpus: number
  hourlyCost: number
}

/** Current size of each group: the larger of its target and its registered nodes. */
export function groupSizes(config: PolicyConfig, snapshot: ClusterSnapshot): Map<string, number> {
  const sizes = new Map<string, number>()
  for (const group of config.nodeGroups) sizes.set(group.name, 0)
  for (const node of snapshot.nodes) sizes.set(node.group, (sizes.get(node.group) ?? 0) + 1)
  for (const state of snapshot.nodeGroups) sizes.set(state.name, Math.max(sizes.get(state.name) ?? 0, state.targetSize))
  return sizes
}

export function currentBudget(config: PolicyConfig, sizes: Map<string, number>): NodeBudget {
  let gpus = 0
  let hourlyCost = 0
  for (const group of config.nodeGroups) {
    const size = sizes.get(group.name) ?? 0
    gpus += size * group.gpu.count
    hourlyCost += size * group.hourlyCost
  }
  return {gpus, hourlyCost}
}

/**
 * Chooses a group and a node count for `replicas` unplaced replicas of `model`. New virtual nodes are added to
 * `capacity` and the replicas placed on them, so later models see what is already on its way (no duplicate
 * scale-up). Returns undefined with the verdicts when no group can host even one replica.
 */
export function planScaleUp(
  model: ModelConfig,
  replicas: number,
  config: PolicyConfig,
  capacity: CapacityModel,
  sizes: Map<string, number>,
  budget: NodeBudget,
): {decision?: ScaleUpDecision; placed: number; verdicts: GroupVerdict[]} {
  const verdicts: GroupVerdict[] = []
  const options: Array<{group: NodeGroupConfig; nodes: number; placeable: number; waste: number}> = []
  for (const group of config.nodeGroups) {
    const fit = checkGroupFit(model, group, profilesOfGroup(group))
    if (!fit.eligible) {
      verdicts.push({group: group.name, chosen: false, reasons: fit.reasons})
      continue
    }
    const perNode = replicasPerNode(model, group)
    if (perNode === 0) {
      verdicts.push({group: group.name, chosen: false, reasons: [{code: 'NoRoomOnTemplate', message: `a new ${group.name} node cannot host a replica of ${model.name} with its boot MIG layout ${group.migConfigs[0]}`, evidence: {group: group.name}}]})
      continue
    }
    const size = sizes.get(group.name) ?? 0
    const wanted = Math.ceil(replicas / perNode)
    const room = group.max - size
    const byGpuBudget = config.settings.budget.maxGpus === undefined ? Infinity : Math.floor((config.settings.budget.maxGpus - budget.gpus) / group.gpu.count)
    const byCostBudget = config.settings.budget.maxHourlyCost === undefined ? Infinity : Math.floor((config.settings.budget.maxHourlyCost - budget.hourlyCost + 1e-9) / group.hourlyCost)
    const nodes = Math.min(wanted, room, byGpuBudget, byCostBudget)
    if (nodes <= 0) {
      const reason: Reason = room <= 0
        ? {code: 'GroupAtMax', message: `group ${group.name} is at its max size ${group.max}`, evidence: {group: group.name, size, max: group.max}}
        : {code: 'BudgetExceeded', message: `adding a ${group.name} node would exceed the ${byGpuBudget <= 0 ? `GPU budget (${config.settings.budget.maxGpus} GPUs)` : `cost budget (${config.settings.budget.maxHourlyCost}/h)`}`, evidence: {group: group.name, gpus: budget.gpus, maxGpus: config.settings.budget.maxGpus ?? null, hourlyCost: round(budget.hourlyCost), maxHourlyCost: config.settings.budget.maxHourlyCost ?? null}}
      verdicts.push({group: group.name, chosen: false, reasons: [reason]})
      continue
    }
    const placeable = Math.min(replicas, nodes * perNode)
    const waste = nodes * group.gpu.count - placeable * gpusPerReplica(model)
    options.push({group, nodes, placeable, waste})
  }
  if (options.length === 0) return {placed: 0, verdicts}
  // Expander chain: most replicas hosted first (a group that hosts all beats one that hosts some), then the
  // configured expanders in order, then the name for a deterministic tie-break.
  options.sort((a, b) => b.placeable - a.placeable || compareByExpanders(a, b, config) || a.group.name.localeCompare(b.group.name))
  const best = options[0] as (typeof options)[number]
  for (const option of options) {
    const chosen = option === best
    verdicts.push({
      group: option.group.name,
      chosen,
      nodesNeeded: option.nodes,
      reasons: [chosen
        ? {code: 'ExpanderChose', message: `${option.group.name}: ${option.nodes} node(s) host ${option.placeable} replica(s) with ${option.waste} idle GPU(s) at ${round(option.nodes * option.group.hourlyCost)}/h (${config.settings.expanders.join(' > ')})`, evidence: {group: option.group.name, nodes: option.nodes, replicas: option.placeable, wastedGpus: option.waste, hourlyCost: round(option.nodes * option.group.hourlyCost)}}
        : {code: 'ExpanderRejected', message: `${option.group.name} ranked below ${best.group.name} (${option.waste} idle GPU(s), ${round(option.nodes * option.group.hourlyCost)}/h)`, evidence: {group: option.group.name, nodes: option.nodes, wastedGpus: option.waste, hourlyCost: round(option.nodes * option.group.hourlyCost)}}],
    })
  }
  verdicts.sort((a, b) => a.group.localeCompare(b.group))
  const group = best.group
  const from = sizes.get(group.name) ?? 0
  const readySeconds = nodeColdStartSeconds(group)
  for (let i = 0; i < best.nodes; i++) capacity.nodes.push(templateNode(group, `${group.name}-new-${from + i + 1}`, readySeconds, bootLayoutOf(group)))
  sizes.set(group.name, from + best.nodes)
  budget.gpus += best.nodes * group.gpu.count
  budget.hourlyCost += best.nodes * group.hourlyCost
  return {
    decision: {group: group.name, from, to: from + best.nodes, nodesAdded: best.nodes, readySeconds, hosts: {[model.name]: best.placeable}, verdicts},
    placed: best.placeable,
    verdicts,
  }
}

function compareByExpanders(a: {group: NodeGroupConfig; waste: number; nodes: number}, b: typeof a, config: PolicyConfig): number {
  for (const expander of config.settings.expanders) {
    let diff = 0
    if (expander === 'least-waste') diff = a.waste - b.waste
    else if (expander === 'price') diff = a.nodes * a.group.hourlyCost - b.nodes * b.group.hourlyCost
    else if (expander === 'priority') diff = b.group.priority - a.group.priority
    else if (expander === 'spot-first') diff = (a.group.capacityType === 'spot' ? 0 : 1) - (b.group.capacityType === 'spot' ? 0 : 1)
    if (diff !== 0) return diff
  }
  return 0
}

function gpusPerReplica(model: ModelConfig): number {
  return model.gpu.kind === 'whole' ? model.gpu.count : model.gpu.kind === 'mig' ? 0 : 1
}

/** How many replicas of the model one new node of the group hosts. */
export function replicasPerNode(model: ModelConfig, group: NodeGroupConfig): number {
  const layout = bootLayoutOf(group)
  if (model.gpu.kind === 'mig') {
    if (layout.kind !== 'mig') return 0
    const profile = model.gpu.profile
    return layout.instances.filter((i) => i.profile === profile).length * group.gpu.count
  }
  if (layout.kind === 'mig') return 0
  const per = model.gpu.kind === 'whole' ? model.gpu.count : 1
  return Math.floor(group.gpu.count / per)
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
