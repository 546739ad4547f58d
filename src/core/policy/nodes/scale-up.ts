/**
 * Node-group scale-up by simulated scheduling (Cluster Autoscaler's model): for replicas that fit no existing or
 * arriving capacity, try each group's template node (GPU model and count, boot MIG layout, labels, taints vs
 * tolerations, node selector, capacity type), bin-pack the replicas onto new nodes within the group's max and the
 * global GPU and cost budgets, and pick a group with the expander chain. Every group gets a verdict (chosen, or
 * rejected and why), kept as data like CA's `NoScaleUpInfo{RejectedNodeGroups, SkippedNodeGroups}`.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../../model/config.js'
import type {Reason} from '../../model/plan.js'
import type {ClusterSnapshot} from '../../model/snapshot.js'
import {type SimulatedCluster, type NodeCapacity, templateNode} from '../../scheduling/cluster.js'
import {checkGroupFit} from '../../scheduling/eligibility.js'
import {bootLayoutOf, profilesOfGroup} from '../../scheduling/mig-configs.js'
import type {BootLayout} from '../../scheduling/boot-layout.js'
import type {GroupHealth} from './backoff.js'
import {type ColdStart, estimateColdStart} from '../../scheduling/cold-start.js'
import {roundForMessage} from '../../model/round.js'

/** Reasons that cap a group which could host the model (as opposed to groups that never can). */
export const GROUP_LIMIT_CODES: ReadonlySet<string> = new Set([
  'GroupAtMax',
  'BudgetExceeded',
  'GroupBackedOff',
  'SpotCapacityUnavailable',
])

export interface GroupVerdict {
  group: string
  chosen: boolean
  reasons: Reason[]
  /** New nodes this group would need for the demand (when it could host it). */
  nodesNeeded?: number
  /** Cold start of a replica on a new node of this group (when eligible). */
  coldStart?: ColdStart
}

export interface ScaleUpDecision {
  group: string
  from: number
  to: number
  nodesAdded: number
  /** Seconds until the new nodes' GPUs are allocatable. */
  readySeconds: number
  coldStart: ColdStart
  /** Replicas (per model) this scale-up hosts. */
  hosts: Record<string, number>
  /** What capped the node count below what the demand asked for, if anything. */
  limitedBy?: Reason
  verdicts: GroupVerdict[]
}

export interface NodeBudget {
  /** GPUs counted against settings.budget.maxGpus (registered + requested). */
  gpus: number
  hourlyCost: number
}

export interface ScaleUpOptions {
  /** Group health (backoff, spot capacity cache); groups missing here are healthy. */
  health?: ReadonlyMap<string, GroupHealth>
  /** Prefix for names of the virtual nodes added (`new` for demand, `warm` for forecast). */
  nodeLabel?: string
}

/** Current size of each group: the larger of its target and its registered nodes. */
export function groupSizes(config: PolicyConfig, snapshot: ClusterSnapshot): Map<string, number> {
  const sizes = new Map<string, number>()
  for (const group of config.nodeGroups) sizes.set(group.name, 0)
  const registered = new Map<string, number>()
  for (const node of snapshot.nodes) registered.set(node.group, (registered.get(node.group) ?? 0) + 1)
  for (const [name, count] of registered) sizes.set(name, count)
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

interface Option {
  group: NodeGroupConfig
  nodes: number
  placeable: number
  /** Fraction of the new nodes' GPU capacity left idle (CA's least-waste, on GPUs instead of CPU). */
  wasteRatio: number
  wastedGpus: number
  cost: number
  coldStart: ColdStart
  limitedBy?: Reason
}

/**
 * Chooses a group and a node count for `replicas` unplaced replicas of `model`. New virtual nodes are added to
 * `capacity` (the caller then places the replicas on them), so later models see what is already on its way and
 * nothing is scaled up twice. Returns no decision, with the verdicts, when no group can host even one replica.
 */
export function planScaleUp(
  model: ModelConfig,
  replicas: number,
  config: PolicyConfig,
  capacity: SimulatedCluster,
  sizes: Map<string, number>,
  budget: NodeBudget,
  options: ScaleUpOptions = {},
): {decision?: ScaleUpDecision; placed: number; verdicts: GroupVerdict[]} {
  const verdicts: GroupVerdict[] = []
  const eligible: Option[] = []
  const {maxGpus, maxHourlyCost} = config.settings.budget
  for (const group of config.nodeGroups) {
    const fit = checkGroupFit(model, group, cachedProfiles(group))
    if (!fit.eligible) {
      verdicts.push({group: group.name, chosen: false, reasons: fit.reasons})
      continue
    }
    const health = options.health?.get(group.name)
    if (health && !health.available) {
      verdicts.push({group: group.name, chosen: false, reasons: health.reasons})
      continue
    }
    const perNode = replicasPerNode(model, group)
    if (perNode === 0) {
      verdicts.push({
        group: group.name,
        chosen: false,
        reasons: [
          {
            code: 'NoRoomOnTemplate',
            message: `a new ${group.name} node cannot host a replica of ${model.name} with its boot MIG layout ${group.migConfigs[0] ?? 'all-disabled'}`,
            evidence: {group: group.name},
          },
        ],
      })
      continue
    }
    const size = sizes.get(group.name) ?? 0
    const wanted = Math.ceil(replicas / perNode)
    const room = group.max - size
    const byGpuBudget = maxGpus === undefined ? Infinity : Math.floor((maxGpus - budget.gpus) / group.gpu.count)
    const byCostBudget =
      maxHourlyCost === undefined || group.hourlyCost <= 0
        ? Infinity
        : Math.floor((maxHourlyCost - budget.hourlyCost + 1e-9) / group.hourlyCost)
    const nodes = Math.max(0, Math.min(wanted, room, byGpuBudget, byCostBudget))
    const limit = describeLimit(group, model, {wanted, room, byGpuBudget, byCostBudget, size}, budget, config)
    if (nodes <= 0) {
      verdicts.push({
        group: group.name,
        chosen: false,
        reasons: [
          limit ?? {code: 'GroupAtMax', message: `group ${group.name} cannot grow`, evidence: {group: group.name}},
        ],
      })
      continue
    }
    const placeable = Math.min(replicas, nodes * perNode)
    const usedGpus = Math.min(nodes * group.gpu.count, Math.ceil((placeable / perNode) * group.gpu.count))
    const wastedGpus = nodes * group.gpu.count - usedGpus
    eligible.push({
      group,
      nodes,
      placeable,
      wastedGpus,
      wasteRatio: wastedGpus / (nodes * group.gpu.count),
      cost: nodes * group.hourlyCost,
      coldStart: estimateColdStart(group, model),
      ...(nodes < wanted && limit ? {limitedBy: limit} : {}),
    })
  }
  if (eligible.length === 0) {
    verdicts.sort((a, b) => a.group.localeCompare(b.group))
    return {placed: 0, verdicts}
  }
  // Expander chain: a group that hosts more of the replicas first (one that hosts all beats one that hosts some),
  // then the configured expanders in order (CA's chain: each one filters the ties of the previous), then the name
  // for a deterministic tie-break where CA would pick at random.
  eligible.sort(
    (a, b) => b.placeable - a.placeable || compareByExpanders(a, b, config) || a.group.name.localeCompare(b.group.name),
  )
  const best = eligible[0] as Option
  const chain = config.settings.expanders.join(' > ')
  for (const option of eligible) {
    const chosen = option === best
    const evidence = {
      group: option.group.name,
      nodes: option.nodes,
      replicas: option.placeable,
      wastedGpus: option.wastedGpus,
      hourlyCost: option.cost,
      capacityType: option.group.capacityType,
      priority: option.group.priority,
      coldStartSeconds: Math.round(option.coldStart.totalSeconds),
    }
    const reasons: Reason[] = [
      chosen
        ? {
            code: 'ExpanderChose',
            message: `${option.group.name}: ${option.nodes} node(s) host ${option.placeable} replica(s) with ${option.wastedGpus} idle GPU(s) at ${roundForMessage(option.cost)}/h, ready in ~${Math.round(option.coldStart.totalSeconds)}s (${chain})`,
            evidence,
          }
        : {
            code: 'ExpanderRejected',
            message: `${option.group.name} ranked below ${best.group.name} by ${decidingExpander(best, option, config)} (${option.placeable} replica(s), ${option.wastedGpus} idle GPU(s), ${roundForMessage(option.cost)}/h, ${option.group.capacityType})`,
            evidence,
          },
    ]
    if (option.limitedBy) reasons.push(option.limitedBy)
    verdicts.push({group: option.group.name, chosen, nodesNeeded: option.nodes, coldStart: option.coldStart, reasons})
  }
  verdicts.sort((a, b) => a.group.localeCompare(b.group))
  const group = best.group
  const from = sizes.get(group.name) ?? 0
  const layout = cachedBootLayout(group)
  const label = options.nodeLabel ?? 'new'
  for (let i = 0; i < best.nodes; i++) {
    const node: NodeCapacity = {
      ...templateNode(group, `${group.name}-${label}-${from + i + 1}`, best.coldStart.nodeSeconds, layout),
      planned: true,
    }
    capacity.addNode(node)
  }
  sizes.set(group.name, from + best.nodes)
  budget.gpus += best.nodes * group.gpu.count
  budget.hourlyCost += best.nodes * group.hourlyCost
  return {
    decision: {
      group: group.name,
      from,
      to: from + best.nodes,
      nodesAdded: best.nodes,
      readySeconds: best.coldStart.nodeSeconds,
      coldStart: best.coldStart,
      hosts: {[model.name]: best.placeable},
      ...(best.limitedBy ? {limitedBy: best.limitedBy} : {}),
      verdicts,
    },
    placed: best.placeable,
    verdicts,
  }
}

/** Which limit binds (max size, GPU budget, cost budget), as a reason; undefined when the demand fits. */
function describeLimit(
  group: NodeGroupConfig,
  _model: ModelConfig,
  n: {wanted: number; room: number; byGpuBudget: number; byCostBudget: number; size: number},
  budget: NodeBudget,
  config: PolicyConfig,
): Reason | undefined {
  const smallest = Math.min(n.room, n.byGpuBudget, n.byCostBudget)
  if (smallest >= n.wanted) return undefined
  if (n.room === smallest) {
    return {
      code: 'GroupAtMax',
      message: `group ${group.name} is at ${n.size} of its max ${group.max} nodes${n.room > 0 ? ` (room for ${n.room} of the ${n.wanted} needed)` : ''}`,
      evidence: {
        group: group.name,
        size: n.size,
        max: group.max,
        nodesWanted: n.wanted,
        nodesAllowed: Math.max(0, n.room),
      },
    }
  }
  const {maxGpus, maxHourlyCost} = config.settings.budget
  if (n.byGpuBudget === smallest) {
    return {
      code: 'BudgetExceeded',
      message: `the GPU budget (${maxGpus} GPUs, ${budget.gpus} in use or requested) allows ${Math.max(0, n.byGpuBudget)} of the ${n.wanted} ${group.name} node(s) needed`,
      evidence: {
        group: group.name,
        budget: 'gpus',
        gpus: budget.gpus,
        maxGpus: maxGpus ?? null,
        nodesWanted: n.wanted,
        nodesAllowed: Math.max(0, n.byGpuBudget),
      },
    }
  }
  return {
    code: 'BudgetExceeded',
    message: `the cost budget (${maxHourlyCost}/h, ${roundForMessage(budget.hourlyCost)}/h in use or requested) allows ${Math.max(0, n.byCostBudget)} of the ${n.wanted} ${group.name} node(s) needed`,
    evidence: {
      group: group.name,
      budget: 'hourlyCost',
      hourlyCost: budget.hourlyCost,
      maxHourlyCost: maxHourlyCost ?? null,
      nodesWanted: n.wanted,
      nodesAllowed: Math.max(0, n.byCostBudget),
    },
  }
}

/** One expander's comparison: negative when `a` is preferred. */
function compareBy(expander: PolicyConfig['settings']['expanders'][number], a: Option, b: Option): number {
  if (expander === 'least-waste') return a.wasteRatio - b.wasteRatio
  if (expander === 'price') return a.cost / a.placeable - b.cost / b.placeable
  if (expander === 'priority') return b.group.priority - a.group.priority
  // Karpenter's preference (reserved → spot → on-demand); the fallback to on-demand is the next option in the list.
  return (a.group.capacityType === 'spot' ? 0 : 1) - (b.group.capacityType === 'spot' ? 0 : 1)
}

function compareByExpanders(a: Option, b: Option, config: PolicyConfig): number {
  for (const expander of config.settings.expanders) {
    const diff = compareBy(expander, a, b)
    if (Math.abs(diff) > 1e-9) return diff
  }
  return 0
}

function decidingExpander(best: Option, other: Option, config: PolicyConfig): string {
  if (best.placeable !== other.placeable) return 'replicas hosted'
  for (const expander of config.settings.expanders)
    if (Math.abs(compareBy(expander, best, other)) > 1e-9) return expander
  return 'name'
}

const profileCache = new WeakMap<NodeGroupConfig, string[]>()
const layoutCache = new WeakMap<NodeGroupConfig, BootLayout>()

// Layouts and profiles are pure functions of the (immutable) group config; caching them keeps 500 models × 20
// groups from recomputing MIG geometry 10,000 times per plan.
function cachedProfiles(group: NodeGroupConfig): string[] {
  let profiles = profileCache.get(group)
  if (!profiles) {
    profiles = profilesOfGroup(group)
    profileCache.set(group, profiles)
  }
  return profiles
}

function cachedBootLayout(group: NodeGroupConfig): BootLayout {
  let layout = layoutCache.get(group)
  if (!layout) {
    layout = bootLayoutOf(group)
    layoutCache.set(group, layout)
  }
  return layout
}

/** How many replicas of the model one new node of the group hosts. */
export function replicasPerNode(model: ModelConfig, group: NodeGroupConfig): number {
  const layout = cachedBootLayout(group)
  if (model.gpu.kind === 'mig') {
    if (layout.kind !== 'mig') return 0
    const profile = model.gpu.profile
    return layout.instances.filter((i) => i.profile === profile).length * group.gpu.count
  }
  if (layout.kind === 'mig') return 0
  const per = model.gpu.kind === 'whole' ? model.gpu.count : 1
  return Math.floor(group.gpu.count / per)
}

/** GPUs one replica takes (a MIG slice counts as a fraction of its GPU's instances). */
export function gpusPerReplica(model: ModelConfig): number {
  return model.gpu.kind === 'whole' ? model.gpu.count : 1
}
