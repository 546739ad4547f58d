/**
 * The GPU layer's step in the planner: when replicas need a MIG profile that no free instance offers, turn idle
 * MIG-capable nodes into that profile before asking for new nodes (a repartition takes a minute; a node, several).
 *
 * Only nodes whose GPUs are all idle are repartitioned: the MIG manager applies `nvidia.com/mig.config` to the
 * whole node and requires every GPU workload on it to be stopped (GPU Operator MIG docs), so a node with running
 * GPU pods would need a drain, which this step never plans.
 */
import type {ModelConfig, PolicyConfig} from '../model/config.js'
import type {Change} from '../model/plan.js'
import {checkGroupFit} from './eligibility.js'
import type {CapacityModel, NodeCapacity} from './capacity.js'
import {layoutOfMigConfig, profilesOfGroup} from './mig-configs.js'

export interface MigRepartition {
  node: string
  config: string
  change: Change
}

/** Seconds the MIG manager needs to apply a config (pause operands, reconfigure, restart device plugin). */
export const MIG_RECONFIGURE_SECONDS = 90

export function planMigForDemand(model: ModelConfig, replicas: number, config: PolicyConfig, capacity: CapacityModel): MigRepartition[] {
  if (model.gpu.kind !== 'mig') return []
  const profile = model.gpu.profile
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const result: MigRepartition[] = []
  let remaining = replicas
  const nodes = capacity.nodes.filter((n) => n.condition === 'ready' && !n.virtual).sort((a, b) => a.name.localeCompare(b.name))
  for (const node of nodes) {
    if (remaining <= 0) break
    const group = groups.get(node.group)
    if (!group || node.gpus.length === 0 || !node.gpus.every((g) => g.idle)) continue
    if (!checkGroupFit(model, group, profilesOfGroup(group)).eligible) continue
    const configName = chooseConfig(group.migConfigs, group.gpu.model, profile)
    if (!configName) continue
    const layout = layoutOfMigConfig(group.gpu.model, configName)
    if (layout?.kind !== 'mig') continue
    const perGpu = layout.instances.filter((i) => i.profile === profile).length
    const from = describeLayout(node)
    for (const gpu of node.gpus) {
      gpu.migEnabled = true
      gpu.wholeFree = false
      gpu.freeInstances = layout.instances.map((i) => ({...i}))
    }
    node.readyInSeconds = MIG_RECONFIGURE_SECONDS
    remaining -= perGpu * node.gpus.length
    result.push({
      node: node.name,
      config: configName,
      change: {
        id: `gpu:${node.name}`,
        layer: 'gpu',
        action: 'repartition-gpu',
        target: {kind: 'Node', name: node.name},
        from,
        to: configName,
        status: 'planned',
        eta: null,
        dependsOn: [],
        reasons: [{
          code: 'MigProfileNeeded',
          message: `${model.name} needs ${profile} instances and no free one exists; ${node.name} is idle, so set it to ${configName} (${perGpu} × ${profile} per GPU) instead of adding a node`,
          evidence: {model: model.name, profile, node: node.name, config: configName, instancesPerGpu: perGpu, gpus: node.gpus.length},
        }],
        steps: [
          {action: 'cordon', description: `cordon ${node.name} so nothing lands on it while its GPUs change`},
          {action: 'drain', description: `drain GPU pods from ${node.name} (none running: all GPUs idle)`},
          {action: 'set-mig-config', description: `label ${node.name} nvidia.com/mig.config=${configName}`},
          {action: 'wait-mig-config', description: 'wait for nvidia.com/mig.config.state=success', timeoutSeconds: 600},
          {action: 'uncordon', description: `uncordon ${node.name}`},
        ],
      },
    })
  }
  return result
}

function chooseConfig(configs: readonly string[], gpuModel: string, profile: string): string | undefined {
  // Prefer the homogeneous config for the profile: it yields the most instances of it.
  const exact = configs.find((c) => c === `all-${profile}`)
  if (exact) return exact
  return configs.find((c) => {
    const layout = layoutOfMigConfig(gpuModel, c)
    return layout?.kind === 'mig' && layout.instances.some((i) => i.profile === profile)
  })
}

function describeLayout(node: NodeCapacity): string {
  const gpu = node.gpus[0]
  if (!gpu || !gpu.migEnabled) return 'mig-disabled'
  return gpu.freeInstances.map((i) => `${i.profile}@${i.start}`).join(',') || 'mig-enabled'
}
