/**
 * The GPU layer's step in the planner: when replicas need a MIG profile that no free instance offers, repartition
 * idle GPUs of existing nodes into it before asking for new nodes (a repartition takes minutes; a node, more, and
 * costs money).
 *
 * The menu is the node group's allowed mig-parted config names (`migConfigs`), resolved in NVIDIA's default
 * config: MIG Manager applies a named config to the whole node (`nvidia.com/mig.config`), so a target layout is
 * only reachable when a name produces it. MIG Manager needs the GPUs it reconfigures idle, so a busy GPU whose
 * layout would change is drained first: allowed only when every pod on it is a MIG replica that finds an
 * instance of its own profile in the new layout of the same node (it comes back after the reconfiguration; the
 * plan lists the move and the disruption time), and PodDisruptionBudgets permit the drain. The choice of nodes
 * and names is the fleet packer's (src/core/mig/node-packing.ts, the one MIG allocator): fewest pods stopped,
 * then fewest GPUs touched, exact when the search is small.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import {podWorkloadKey, workloadKey} from '../model/keys.js'
import type {Diagnostic, MigChange, Reason} from '../model/plan.js'
import type {ClusterSnapshot, NodeState} from '../model/snapshot.js'
import {
  defaultMigPartedConfig,
  measureFragmentation,
  type MigGpu,
  type MigNode,
  type MigNodeGpu,
  type NodeRepartition,
  packNodeMigConfigs,
  planRepartitionChange,
  type RepartitionPlan,
} from '../mig/index.js'
import {findGpuModel} from '../mig/catalog.js'
import type {SimulatedCluster, NodeCapacity} from '../scheduling/cluster.js'
import {checkGroupFit} from '../scheduling/eligibility.js'
import {layoutOfMigConfig, profilesOfGroup} from '../scheduling/mig-configs.js'

export interface MigRepartition {
  node: string
  config: string
  change: MigChange
}

/**
 * Repartitions nodes for `replicas` more instances of the model's profile. The fleet packer chooses the nodes and
 * config names (node-packing.ts: exact for small searches, fewest pods stopped then fewest GPUs touched); each
 * choice then becomes a repartition change, and a node whose drain PodDisruptionBudgets (or an unfinished
 * reconfiguration) refuse is left out and the rest packed again, so the plan never counts instances it cannot get.
 * `taken`: nodes an earlier demand of this plan already repartitions (a node carries one config label).
 */
export function planMigForDemand(
  model: ModelConfig,
  replicas: number,
  config: PolicyConfig,
  capacity: SimulatedCluster,
  snapshot: ClusterSnapshot,
  taken: ReadonlySet<string> = new Set(),
): {repartitions: MigRepartition[]; diagnostics: Diagnostic[]} {
  if (model.gpu.kind !== 'mig' || replicas <= 0) return {repartitions: [], diagnostics: []}
  const profile = model.gpu.profile
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const states = new Map(snapshot.nodes.map((n) => [n.name, n]))
  const candidates: Candidate[] = []
  for (const node of capacity.nodes) {
    const group = groups.get(node.group)
    const state = states.get(node.name)
    if (
      node.condition !== 'ready' ||
      node.virtual ||
      !group ||
      !state ||
      taken.has(node.name) ||
      !findGpuModel(group.gpu.model)?.migCapable
    )
      continue
    if (!checkGroupFit(model, group, profilesOfGroup(group)).eligible) continue
    candidates.push({node, state, mig: describeNode(node, state, group)})
  }
  const byName = new Map(candidates.map((c) => [c.node.name, c]))
  const demand = [{key: model.name, profile, count: replicas}]
  const repartitions: MigRepartition[] = []
  const diagnostics: Diagnostic[] = []
  const refused = new Set<string>()
  for (;;) {
    const packed = packNodeMigConfigs(
      candidates.filter((c) => !refused.has(c.node.name)).map((c) => c.mig),
      demand,
    )
    const changes = packed.repartitions.map((choice) => ({
      choice,
      plan: planChange(byName.get(choice.node) as Candidate, choice, snapshot, config),
    }))
    const blocked = changes.filter((c) => c.plan.change.status !== 'planned')
    if (blocked.length > 0) {
      // Refused drains are shown (the user can lift the budget); the packer then works around those nodes.
      for (const {choice, plan} of blocked) {
        refused.add(choice.node)
        diagnostics.push(...plan.diagnostics)
        plan.change.reasons.unshift(neededReason(model, profile, replicas, choice))
        repartitions.push({node: choice.node, config: choice.config, change: plan.change})
      }
      continue
    }
    let remaining = replicas
    for (const {choice, plan} of changes) {
      diagnostics.push(...plan.diagnostics)
      plan.change.reasons.unshift(neededReason(model, profile, remaining, choice))
      // Returning pods take back the instances they were given; the rest of the new layout is free.
      const candidate = byName.get(choice.node) as Candidate
      capacity.reconfigureGpus(
        candidate.node,
        choice.changing.map((index) => {
          const returning = choice.displaced.filter((d) => d.gpu === index)
          return {
            index,
            freeInstances: choice.layout.filter((i) => !returning.some((d) => d.start === i.start)),
            idle: returning.length === 0,
          }
        }),
        plan.change.eta?.seconds ?? 0,
      )
      remaining -= choice.gained[profile] ?? 0
      repartitions.push({node: choice.node, config: choice.config, change: plan.change})
    }
    return {repartitions, diagnostics}
  }
}

interface Candidate {
  node: NodeCapacity
  state: NodeState
  mig: MigNode
}

/**
 * A node as the packer sees it: the layouts from the snapshot, whether the simulated cluster has anything on each
 * GPU now, and the allowed config names resolved per GPU model. Free instances are left out: the placement pass
 * already gave the model every free instance it may use.
 */
function describeNode(node: NodeCapacity, state: NodeState, group: NodeGroupConfig): MigNode {
  const gpus: MigNodeGpu[] = node.gpus.map((slot) => {
    const gpu = state.gpus.find((g) => g.index === slot.index)
    return {
      index: slot.index,
      model: slot.model,
      migEnabled: gpu?.mig.enabled === true,
      instances: gpu?.mig.enabled ? gpu.mig.instances : [],
      free: [],
      busy: !slot.idle,
      // Whole-GPU pods cannot come back on a MIG slice: only a GPU held by MIG replicas alone may be drained.
      drainable: gpu !== undefined && gpu.pods.length === 0,
    }
  })
  const configs = group.migConfigs.flatMap((name) => {
    const layout = layoutOfMigConfig(group.gpu.model, name)
    return layout?.kind === 'mig' ? [{name, layout: layout.instances}] : []
  })
  return {name: node.name, gpus, configs}
}

function planChange(
  candidate: Candidate,
  choice: NodeRepartition,
  snapshot: ClusterSnapshot,
  config: PolicyConfig,
): RepartitionPlan {
  const {state} = candidate
  const pods = new Map(snapshot.pods.map((p) => [`${p.namespace}/${p.name}`, p]))
  const models = new Map(config.models.map((m) => [workloadKey(m.workload), m]))
  return planRepartitionChange({
    node: choice.node,
    gpus: state.gpus.map((gpu) => ({
      index: gpu.index,
      model: gpu.model,
      from: gpu.mig.enabled ? gpu.mig.instances : [],
      to: choice.changing.includes(gpu.index) ? choice.layout : gpu.mig.instances,
    })),
    pods: choice.displaced.map((d) => {
      const pod = pods.get(d.pod)
      const owner = pod?.workload ? models.get(podWorkloadKey(pod)) : undefined
      return {
        name: d.pod,
        ...(pod?.workload ? {workload: `${pod.workload.kind}/${pod.workload.name}`} : {}),
        ...(owner ? {terminationGracePeriodSeconds: owner.terminationGraceSeconds} : {}),
        destination: {node: choice.node, gpu: d.gpu, profile: d.profile, start: d.start},
      }
    }),
    pdbs: snapshot.pdbs,
    migConfig: {version: 'v1', configs: defaultMigPartedConfig().configs.filter((c) => c.name === choice.config)},
    ...(state.migConfig !== undefined ? {currentMigConfig: state.migConfig} : {}),
    ...(state.migConfigState ? {migConfigState: state.migConfigState} : {}),
    now: snapshot.capturedAt,
  })
}

function neededReason(model: ModelConfig, profile: string, remaining: number, choice: NodeRepartition): Reason {
  const gained = choice.gained[profile] ?? 0
  return {
    code: 'MigProfileNeeded',
    message:
      `${model.name} needs ${remaining} more ${profile} instance(s) and no free one exists; ${choice.changing.length} GPU(s) of ${choice.node} become ${choice.config} (+${gained} × ${profile}) instead of a new node` +
      (choice.displaced.length > 0
        ? `; ${choice.displaced.length} replica(s) on them stop for the reconfiguration and come back on the same node (${choice.displaced.map((d) => `${d.pod} → gpu ${d.gpu} ${d.profile}@${d.start}`).join(', ')})`
        : ''),
    evidence: {
      model: model.name,
      profile,
      node: choice.node,
      config: choice.config,
      instancesGained: gained,
      gpusTouched: choice.changing.length,
      podsDisrupted: choice.displaced.length,
    },
  }
}

/**
 * Free MIG memory that cannot host the profile (MIG placements are fixed, so free slices can be unusable): a
 * diagnostic when replicas of the profile wait while such stranded slices exist.
 */
export function diagnoseFragmentation(
  model: ModelConfig,
  capacity: SimulatedCluster,
  snapshot: ClusterSnapshot,
): Diagnostic | undefined {
  if (model.gpu.kind !== 'mig') return undefined
  const states = new Map(snapshot.nodes.map((n) => [n.name, n]))
  const gpus: MigGpu[] = []
  for (const node of capacity.nodes) {
    const state = states.get(node.name)
    if (!state || node.condition !== 'ready') continue
    for (const gpu of state.gpus) {
      if (!gpu.mig.enabled || !findGpuModel(gpu.model)?.migCapable) continue
      gpus.push({
        id: `${node.name}/${gpu.index}`,
        node: node.name,
        index: gpu.index,
        model: gpu.model,
        instances: gpu.mig.instances,
        reconfigurable: false,
      })
    }
  }
  if (gpus.length === 0) return undefined
  const report = measureFragmentation(gpus, model.gpu.profile)
  if (report.cluster.strandedMemorySlices === 0) return undefined
  return {
    severity: 'warning',
    code: 'MigFragmentation',
    message: `${report.cluster.strandedMemorySlices} free MIG memory slice(s) cannot host ${model.gpu.profile} (fixed placements) while ${model.name} needs it`,
    target: {kind: model.workload.kind, name: model.workload.name, namespace: model.workload.namespace},
    evidence: {
      profile: model.gpu.profile,
      freeMemorySlices: report.cluster.freeMemorySlices,
      strandedMemorySlices: report.cluster.strandedMemorySlices,
      strandedFraction: report.cluster.strandedFraction,
    },
  }
}
