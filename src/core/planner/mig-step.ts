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
 * plan lists the move and the disruption time), and PodDisruptionBudgets permit the drain. Options disrupting
 * the fewest pods come first, then the most instances gained per GPU touched, so the fewest GPUs change.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import {podWorkloadKey, workloadKey} from '../model/keys.js'
import type {Diagnostic, MigChange} from '../model/plan.js'
import type {ClusterSnapshot, NodeState} from '../model/snapshot.js'
import {defaultMigPartedConfig, formatLayout, measureFragmentation, type MigGpu, planRepartitionChange} from '../mig/index.js'
import {findGpuModel} from '../mig/catalog.js'
import type {SimulatedCluster, NodeCapacity} from '../scheduling/cluster.js'
import {checkGroupFit} from '../scheduling/eligibility.js'
import {layoutOfMigConfig, profilesOfGroup} from '../scheduling/mig-configs.js'

export interface MigRepartition {
  node: string
  config: string
  change: MigChange
}

interface Option {
  node: NodeCapacity
  state: NodeState
  group: NodeGroupConfig
  config: string
  layout: Array<{profile: string; start: number; size: number}>
  /** GPU indexes whose layout changes. */
  changing: number[]
  gained: number
  /** Pods on changing GPUs, each with the instance of its profile it returns to after the reconfiguration. */
  displaced: Array<{pod: string; profile: string; gpu: number; start: number}>
}

export function planMigForDemand(model: ModelConfig, replicas: number, config: PolicyConfig, capacity: SimulatedCluster, snapshot: ClusterSnapshot): {repartitions: MigRepartition[]; diagnostics: Diagnostic[]} {
  if (model.gpu.kind !== 'mig' || replicas <= 0) return {repartitions: [], diagnostics: []}
  const profile = model.gpu.profile
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const states = new Map(snapshot.nodes.map((n) => [n.name, n]))
  const pods = new Map(snapshot.pods.map((p) => [`${p.namespace}/${p.name}`, p]))
  const models = new Map(config.models.map((m) => [workloadKey(m.workload), m]))
  const options: Option[] = []
  for (const node of capacity.nodes) {
    const group = groups.get(node.group)
    const state = states.get(node.name)
    if (node.condition !== 'ready' || node.virtual || !group || !state || !findGpuModel(group.gpu.model)?.migCapable) continue
    if (!checkGroupFit(model, group, profilesOfGroup(group)).eligible) continue
    for (const name of group.migConfigs) {
      const option = evaluate(node, state, group, name, profile)
      if (option) options.push(option)
    }
  }
  options.sort((a, b) => a.displaced.length - b.displaced.length || b.gained / b.changing.length - a.gained / a.changing.length || b.gained - a.gained || a.node.name.localeCompare(b.node.name) || a.config.localeCompare(b.config))

  const repartitions: MigRepartition[] = []
  const diagnostics: Diagnostic[] = []
  const used = new Set<string>()
  let remaining = replicas
  for (const option of options) {
    if (remaining <= 0) break
    if (used.has(option.node.name)) continue
    used.add(option.node.name)
    const allowed = defaultMigPartedConfig().configs.filter((c) => c.name === option.config)
    const plan = planRepartitionChange({
      node: option.node.name,
      gpus: option.state.gpus.map((gpu) => ({
        index: gpu.index,
        model: gpu.model,
        from: gpu.mig.enabled ? gpu.mig.instances : [],
        to: option.changing.includes(gpu.index) ? option.layout : gpu.mig.instances,
      })),
      pods: option.displaced.map((d) => {
        const pod = pods.get(d.pod)
        const owner = pod?.workload ? models.get(podWorkloadKey(pod)) : undefined
        return {
          name: d.pod,
          ...(pod?.workload ? {workload: `${pod.workload.kind}/${pod.workload.name}`} : {}),
          ...(owner ? {terminationGracePeriodSeconds: owner.terminationGraceSeconds} : {}),
          destination: {node: option.node.name, gpu: d.gpu, profile: d.profile, start: d.start},
        }
      }),
      pdbs: snapshot.pdbs,
      migConfig: {version: 'v1', configs: allowed},
      ...(option.state.migConfig !== undefined ? {currentMigConfig: option.state.migConfig} : {}),
      ...(option.state.migConfigState ? {migConfigState: option.state.migConfigState} : {}),
      now: snapshot.capturedAt,
    })
    diagnostics.push(...plan.diagnostics)
    plan.change.reasons.unshift({
      code: 'MigProfileNeeded',
      message: `${model.name} needs ${remaining} more ${profile} instance(s) and no free one exists; ${option.changing.length} GPU(s) of ${option.node.name} become ${option.config} (+${option.gained} × ${profile}) instead of a new node` +
        (option.displaced.length > 0 ? `; ${option.displaced.length} replica(s) on them stop for the reconfiguration and come back on the same node (${option.displaced.map((d) => `${d.pod} → gpu ${d.gpu} ${d.profile}@${d.start}`).join(', ')})` : ''),
      evidence: {model: model.name, profile, node: option.node.name, config: option.config, instancesGained: option.gained, gpusTouched: option.changing.length, podsDisrupted: option.displaced.length},
    })
    if (plan.change.status !== 'planned') {
      repartitions.push({node: option.node.name, config: option.config, change: plan.change})
      continue
    }
    // Returning pods take back the instances they were given; the rest of the new layout is free.
    capacity.reconfigureGpus(option.node, option.changing.map((index) => {
      const returning = option.displaced.filter((d) => d.gpu === index)
      return {index, freeInstances: option.layout.filter((i) => !returning.some((d) => d.start === i.start)), idle: returning.length === 0}
    }), plan.change.eta?.seconds ?? 0)
    remaining -= option.gained
    repartitions.push({node: option.node.name, config: option.config, change: plan.change})
  }
  return {repartitions, diagnostics}
}

function evaluate(node: NodeCapacity, state: NodeState, group: NodeGroupConfig, config: string, profile: string): Option | undefined {
  const boot = layoutOfMigConfig(group.gpu.model, config)
  if (boot?.kind !== 'mig') return undefined
  const perGpu = boot.instances.filter((i) => i.profile === profile).length
  if (perGpu === 0) return undefined
  const target = formatLayout(boot.instances)
  const changing: number[] = []
  const displaced: Option['displaced'] = []
  for (const slot of node.gpus) {
    const gpu = state.gpus.find((g) => g.index === slot.index)
    const current = gpu?.mig.enabled ? formatLayout(gpu.mig.instances) : 'disabled'
    if (current === target) continue
    changing.push(slot.index)
    if (slot.idle) continue
    // A busy GPU changes only if every pod on it is a MIG replica with a place of its own profile to come back to.
    if (!gpu || gpu.pods.length > 0) return undefined
    for (const instance of gpu.mig.instances) if (instance.pod) displaced.push({pod: instance.pod, profile: instance.profile, gpu: slot.index, start: -1})
  }
  if (changing.length === 0) return undefined
  // Returning pods take instances of their profile in the new layouts first; what is left of the needed profile
  // is gained. A pod with no instance of its profile to return to rules the option out.
  const free = changing.flatMap((gpu) => boot.instances.map((i) => ({gpu, profile: i.profile, start: i.start})))
  for (const d of displaced) {
    const at = free.findIndex((f) => f.profile === d.profile)
    if (at < 0) return undefined
    const [slot] = free.splice(at, 1)
    d.gpu = slot?.gpu ?? d.gpu
    d.start = slot?.start ?? d.start
  }
  const gained = free.filter((f) => f.profile === profile).length
  if (gained === 0) return undefined
  return {node, state, group, config, layout: boot.instances, changing, gained, displaced}
}

/**
 * Free MIG memory that cannot host the profile (MIG placements are fixed, so free slices can be unusable): a
 * diagnostic when replicas of the profile wait while such stranded slices exist.
 */
export function diagnoseFragmentation(model: ModelConfig, capacity: SimulatedCluster, snapshot: ClusterSnapshot): Diagnostic | undefined {
  if (model.gpu.kind !== 'mig') return undefined
  const states = new Map(snapshot.nodes.map((n) => [n.name, n]))
  const gpus: MigGpu[] = []
  for (const node of capacity.nodes) {
    const state = states.get(node.name)
    if (!state || node.condition !== 'ready') continue
    for (const gpu of state.gpus) {
      if (!gpu.mig.enabled || !findGpuModel(gpu.model)?.migCapable) continue
      gpus.push({id: `${node.name}/${gpu.index}`, node: node.name, index: gpu.index, model: gpu.model, instances: gpu.mig.instances, reconfigurable: false})
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
    evidence: {profile: model.gpu.profile, freeMemorySlices: report.cluster.freeMemorySlices, strandedMemorySlices: report.cluster.strandedMemorySlices, strandedFraction: report.cluster.strandedFraction},
  }
}
