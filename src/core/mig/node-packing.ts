/**
 * MIG packing at node granularity: the allocator the planner's MIG pass calls.
 *
 * NVIDIA's MIG Manager applies one named mig-parted config per node (the node's `nvidia.com/mig.config` label),
 * and a config such as `all-3g.40gb` or `all-balanced` gives every GPU of the node the same layout (`devices:
 * all` in NVIDIA's default-mig-parted-config; GPU Operator docs, "MIG Support in Kubernetes"). So the choice per
 * node is which allowed config name to apply, not a free layout per GPU: a unit of the solver in packing.ts is a
 * node, and its options are its group's allowed configs.
 *
 * Applying a config changes the GPUs whose layout differs from it. MIG Manager needs those GPUs idle, so a busy
 * one may change only when it is drainable (only MIG replicas on it) and each of its pods finds an instance of its
 * own profile in the node's new layouts to come back to; what is left of the demanded profiles is gained. The
 * solver's objective (most demand placed, fewest pods stopped, fewest GPUs touched) is today's rule: idle GPUs
 * first, busy ones only when needed. PodDisruptionBudgets are the caller's check (they need the pods' owners):
 * it excludes a node whose drain they refuse and packs again.
 */
import {formatLayout} from './geometry.js'
import {normalizeProfileName} from './profiles.js'
import {
  aggregateDemand,
  boundUnits,
  capInPlace,
  type Choice,
  dominates,
  type PackingLowerBound,
  type PackingOptions,
  type PackingUnit,
  type ProfileDemand,
  solveUnits,
  solveUnitsExhaustive,
  type UnitOption,
  weighDemand,
} from './packing.js'

export interface MigNodeGpu {
  index: number
  model: string
  /** False: MIG is off on this GPU (a whole device). */
  migEnabled: boolean
  /** The current layout, each instance with the pod using it. */
  instances: ReadonlyArray<{profile: string; start: number; pod?: string}>
  /** Profiles of free instances the demand may take as they are. */
  free: readonly string[]
  /** Some pod uses the GPU now: changing its layout stops it. */
  busy: boolean
  /** Only MIG replicas run on it, so they may be stopped and brought back elsewhere on the node. */
  drainable: boolean
}

export interface MigNode {
  name: string
  gpus: readonly MigNodeGpu[]
  /** The config names the node's group allows, each with the layout it gives one GPU of the node. */
  configs: ReadonlyArray<{name: string; layout: ReadonlyArray<{profile: string; start: number; size: number}>}>
}

export interface NodeRepartition {
  node: string
  config: string
  layout: Array<{profile: string; start: number; size: number}>
  /** GPU indexes whose layout changes. */
  changing: number[]
  /** Instances of each demanded profile the new layouts add, after returning pods took theirs. */
  gained: Record<string, number>
  /** Pods on changing GPUs, each with the instance of its profile it returns to. */
  displaced: Array<{pod: string; profile: string; gpu: number; start: number}>
}

export interface NodePackingResult {
  method: 'exact' | 'greedy'
  /** In the order a reader should see them: fewest pods stopped, most instances per GPU touched, then name. */
  repartitions: NodeRepartition[]
  /** Demanded instances neither free instances nor the repartitions provide. */
  unplaced: number
  gpusTouched: number
  podsDisrupted: number
  lowerBound: PackingLowerBound
}

interface NodeUnit extends PackingUnit {
  node: MigNode
  repartitions: NodeRepartition[]
}

/** Chooses per node one allowed config (or none) so the demand is met stopping the fewest pods and GPUs. */
export function packNodeMigConfigs(
  nodes: readonly MigNode[],
  demand: readonly ProfileDemand[],
  options: PackingOptions = {},
): NodePackingResult {
  return packNodes(nodes, demand, (units, totals, weight) => solveUnits(units, totals, weight, options))
}

/** The optimum by enumeration (exponential): for tests; packNodeMigConfigs must match it on small cases. */
export function packNodeMigConfigsExhaustive(
  nodes: readonly MigNode[],
  demand: readonly ProfileDemand[],
): NodePackingResult {
  return packNodes(nodes, demand, (units, totals) => ({method: 'exact', choice: solveUnitsExhaustive(units, totals)}))
}

function packNodes(
  nodes: readonly MigNode[],
  demand: readonly ProfileDemand[],
  solve: (units: NodeUnit[], totals: number[], weight: number[]) => {method: 'exact' | 'greedy'; choice: Choice},
): NodePackingResult {
  const {names, totals} = aggregateDemand(demand)
  const units = [...nodes]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((node) => describeNode(node, names, totals))
  const models = [...new Set(nodes.flatMap((n) => n.gpus.map((g) => g.model)))]
  const {method, choice} = solve(units, totals, weighDemand(models, names))
  const repartitions: NodeRepartition[] = []
  const remaining = totals.slice()
  units.forEach((unit, i) => {
    const c = choice[i] as number
    const cover = c < 0 ? unit.untouched : (unit.touched[c] as UnitOption).cover
    for (let j = 0; j < remaining.length; j++)
      remaining[j] = Math.max(0, (remaining[j] as number) - (cover[j] as number))
    if (c >= 0) repartitions.push(unit.repartitions[c] as NodeRepartition)
  })
  repartitions.sort(compareRepartitions)
  return {
    method,
    repartitions,
    unplaced: remaining.reduce((s, r) => s + r, 0),
    gpusTouched: repartitions.reduce((s, r) => s + r.changing.length, 0),
    podsDisrupted: repartitions.reduce((s, r) => s + r.displaced.length, 0),
    lowerBound: boundUnits(units, totals, models, names),
  }
}

function describeNode(node: MigNode, names: string[], totals: number[]): NodeUnit {
  const untouched = names.map(() => 0)
  for (const gpu of node.gpus) {
    for (const profile of gpu.free) {
      const j = names.indexOf(normalizeProfileName(profile))
      if (j >= 0) untouched[j] = (untouched[j] as number) + 1
    }
  }
  capInPlace(untouched, totals)
  const found: Array<{option: UnitOption; repartition: NodeRepartition}> = []
  const current = node.gpus.map((gpu) => (gpu.migEnabled ? formatLayout([...gpu.instances]) : 'disabled'))
  for (const config of node.configs) {
    const repartition = applyConfig(node, current, config, names)
    if (!repartition) continue
    const cover = names.map((name) => repartition.gained[name] ?? 0)
    capInPlace(cover, totals)
    // A config that covers no more than the free instances already do is never worth its cost.
    if (dominates(untouched, cover)) continue
    found.push({option: {cover, gpus: repartition.changing.length, pods: repartition.displaced.length}, repartition})
  }
  // Among options of equal cost the solver keeps the first: list them as a reader would pick.
  found.sort((a, b) => compareRepartitions(a.repartition, b.repartition))
  return {node, untouched, touched: found.map((f) => f.option), repartitions: found.map((f) => f.repartition), rank: 0}
}

/** What applying `config` to the node changes and gains; undefined when it gains nothing or may not be applied. */
function applyConfig(
  node: MigNode,
  current: readonly string[],
  config: MigNode['configs'][number],
  names: string[],
): NodeRepartition | undefined {
  if (config.layout.length === 0 || !config.layout.some((i) => names.includes(i.profile))) return undefined
  const target = formatLayout([...config.layout])
  const changing: number[] = []
  const displaced: NodeRepartition['displaced'] = []
  for (const [k, gpu] of node.gpus.entries()) {
    if (current[k] === target) continue
    changing.push(gpu.index)
    if (!gpu.busy) continue
    // A busy GPU changes only if every pod on it is a MIG replica with a place of its own profile to come back to.
    if (!gpu.drainable) return undefined
    for (const instance of gpu.instances)
      if (instance.pod) displaced.push({pod: instance.pod, profile: instance.profile, gpu: gpu.index, start: -1})
  }
  if (changing.length === 0) return undefined
  // Returning pods take instances of their profile in the new layouts first; what is left is gained. A pod with
  // no instance of its profile to return to rules the config out.
  const free = changing.flatMap((gpu) => config.layout.map((i) => ({gpu, profile: i.profile, start: i.start})))
  for (const d of displaced) {
    const at = free.findIndex((f) => f.profile === d.profile)
    if (at < 0) return undefined
    const [slot] = free.splice(at, 1)
    d.gpu = slot?.gpu ?? d.gpu
    d.start = slot?.start ?? d.start
  }
  const gained: Record<string, number> = {}
  for (const f of free) if (names.includes(f.profile)) gained[f.profile] = (gained[f.profile] ?? 0) + 1
  if (Object.keys(gained).length === 0) return undefined
  return {node: node.name, config: config.name, layout: config.layout.map((i) => ({...i})), changing, gained, displaced}
}

function totalGained(r: NodeRepartition): number {
  return Object.values(r.gained).reduce((s, n) => s + n, 0)
}

/** Fewest pods stopped, then most instances per GPU touched, then most instances, then node and config name. */
function compareRepartitions(a: NodeRepartition, b: NodeRepartition): number {
  const ga = totalGained(a)
  const gb = totalGained(b)
  return (
    a.displaced.length - b.displaced.length ||
    gb / b.changing.length - ga / a.changing.length ||
    gb - ga ||
    (a.node < b.node ? -1 : a.node > b.node ? 1 : 0) ||
    (a.config < b.config ? -1 : a.config > b.config ? 1 : 0)
  )
}
