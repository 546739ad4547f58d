/**
 * The cluster's GPU capacity as the planner simulates it: which whole GPUs and MIG instances are free on which
 * nodes, which capacity is still arriving (nodes booting, drivers initializing, group target above the nodes
 * registered), and a first-fit placement that consumes it. Built once per plan from the snapshot; placement
 * mutates this working copy only, never the snapshot. Whether a pod may land on a node at all (taints, selector,
 * critical off spot) is `admitsNode` in eligibility.ts, the one predicate set.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot, GpuDevice, NodeState} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import {estimateNodeColdStartSeconds} from './cold-start.js'
import type {BootLayout} from './boot-layout.js'
import {bootLayoutOf} from './mig-configs.js'
import {admitsNode, replicaMemoryGiB} from './eligibility.js'

export interface GpuSlot {
  node: string
  index: number
  model: string
  memoryGiB: number
  /** Whole GPU free (no pods, MIG disabled, not shared). */
  wholeFree: boolean
  /** Free MIG instances on this GPU, by profile name. */
  freeInstances: Array<{profile: string; start: number; size: number}>
  migEnabled: boolean
  /** No pod uses any part of this GPU: a MIG repartition disrupts nobody. */
  idle: boolean
}

export type NodeCondition = 'ready' | 'arriving' | 'unavailable'

export interface NodeCapacity {
  name: string
  group: string
  labels: Record<string, string>
  taints: NodeState['taints']
  condition: NodeCondition
  /** Seconds until an arriving node's GPUs are allocatable (0 when ready). */
  readyInSeconds: number
  gpus: GpuSlot[]
  /** Registered in the snapshot, or virtual (a group's target above its registered nodes, or planned here). */
  virtual: boolean
  /** Added by this plan's scale-up (as opposed to already requested from the provider). */
  planned?: boolean
  /** Critical models never land on spot capacity, whether the node is registered or still arriving. */
  capacityType?: 'on-demand' | 'spot'
}

export interface Placement {
  node: string
  /** The node's group: a replica on a node this plan adds depends on that group's scale-up. */
  group: string
  /** The node is added by this plan (not registered, not already requested). */
  planned: boolean
  gpus: number[]
  /** MIG instance start when the replica got a slice. */
  migStart?: number
  condition: NodeCondition
  readyInSeconds: number
}

/** Undo entries of one fork level, newest last. */
type Journal = Array<() => void>

/**
 * The one simulated cluster the planner, the node policies, `validate` and the scenario builder share: free whole
 * GPUs and MIG instances per node, capacity arriving, and a first-fit placement that consumes it.
 *
 * Probes run on a fork, as Cluster Autoscaler's ClusterSnapshot does (`Fork()`, `Revert()`, `Commit()`): `fork()`
 * opens a level that records an undo entry for every mutation, `revert()` undoes that level, `commit()` folds it
 * into the level below (or makes it permanent at the bottom). Forks nest. A pass of the planner forks, tries, and
 * commits what it keeps, so nothing it tried and dropped leaks into the next pass.
 *
 * Placement index: candidate nodes per scheduling signature (tolerations + node selector + critical), sorted once,
 * and exhausted nodes dropped as they fill. Without it every replica filtered and sorted every node, which is
 * O(replicas × nodes log nodes) on a 2,000-node fleet. The index is rebuilt whenever nodes are added outside the
 * incremental path or a node is rewritten (a MIG repartition changes readiness and layouts).
 */
export class SimulatedCluster {
  readonly nodes: NodeCapacity[]
  private readonly candidates = new Map<string, NodeCapacity[]>()
  /** A model per cached signature, to test whether an added node belongs in that signature's list. */
  private readonly keyModels = new Map<string, ModelConfig>()
  private indexedLength = -1
  private readonly journals: Journal[] = []

  constructor(nodes: NodeCapacity[]) {
    this.nodes = nodes
  }

  /** Opens a fork: every mutation from here on can be undone by `revert()` or kept by `commit()`. */
  fork(): void {
    this.journals.push([])
  }

  /** Keeps the mutations of the innermost fork (they join the enclosing fork, if any). */
  commit(): void {
    const top = this.journals.pop()
    if (!top) throw new Error('commit() without fork()')
    this.journals[this.journals.length - 1]?.push(...top)
  }

  /** Undoes every mutation of the innermost fork. */
  revert(): void {
    const top = this.journals.pop()
    if (!top) throw new Error('revert() without fork()')
    for (let i = top.length - 1; i >= 0; i--) (top[i] as () => void)()
  }

  /** Runs `probe` on a fork and reverts it: the answer, never the mutations. */
  probe<T>(probe: () => T): T {
    this.fork()
    try {
      return probe()
    } finally {
      this.revert()
    }
  }

  private record(undo: () => void): void {
    this.journals[this.journals.length - 1]?.push(undo)
  }

  /** Adds a node and slots it into every cached candidate list it fits (no rebuild: scale-ups add hundreds). */
  addNode(node: NodeCapacity): void {
    this.record(() => {
      const at = this.nodes.lastIndexOf(node)
      if (at >= 0) this.nodes.splice(at, 1)
      this.invalidate()
    })
    const indexed = this.nodes.length === this.indexedLength
    this.nodes.push(node)
    if (!indexed) return
    this.indexedLength = this.nodes.length
    for (const [key, list] of this.candidates) {
      const model = this.keyModels.get(key)
      if (!model || node.condition === 'unavailable' || !admitsNode(model, node)) continue
      let lo = 0
      let hi = list.length
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if (compareReadiness(list[mid] as NodeCapacity, node) <= 0) lo = mid + 1
        else hi = mid
      }
      list.splice(lo, 0, node)
    }
  }

  /**
   * Rewrites GPUs of a node in place (a MIG repartition: new free instances, busy or idle) and delays the node's
   * readiness to when the reconfiguration ends.
   */
  reconfigureGpus(
    node: NodeCapacity,
    gpus: ReadonlyArray<{index: number; freeInstances: GpuSlot['freeInstances']; idle: boolean}>,
    readyInSeconds: number,
  ): void {
    const before = node.gpus.map((g) => ({...g, freeInstances: g.freeInstances.slice()}))
    const readyBefore = node.readyInSeconds
    this.record(() => {
      node.gpus.forEach((g, i) => Object.assign(g, before[i]))
      node.readyInSeconds = readyBefore
      this.invalidate()
    })
    for (const change of gpus) {
      const gpu = node.gpus.find((g) => g.index === change.index)
      if (!gpu) continue
      gpu.migEnabled = true
      gpu.wholeFree = false
      gpu.freeInstances = change.freeInstances.map((i) => ({...i}))
      gpu.idle = change.idle
    }
    node.readyInSeconds = Math.max(node.readyInSeconds, readyInSeconds)
    this.invalidate()
  }

  /** Takes a node out of the capacity: nothing may be placed on its GPUs any more (a planned removal). */
  removeNodeCapacity(node: NodeCapacity): void {
    const before = node.gpus.map((g) => ({wholeFree: g.wholeFree, freeInstances: g.freeInstances}))
    this.record(() => node.gpus.forEach((g, i) => Object.assign(g, before[i])))
    for (const gpu of node.gpus) {
      gpu.wholeFree = false
      gpu.freeInstances = []
    }
  }

  /** Call after mutating nodes in place outside this class. */
  invalidate(): void {
    this.candidates.clear()
    this.keyModels.clear()
    this.indexedLength = this.nodes.length
  }

  /** Places one replica first-fit on the earliest-available node that fits; undefined when nothing fits. */
  place(model: ModelConfig, accept: (node: NodeCapacity) => boolean = () => true): Placement | undefined {
    if (this.nodes.length !== this.indexedLength) this.invalidate()
    const key = schedulingKey(model)
    let candidates = this.candidates.get(key)
    if (!candidates) {
      // Ready nodes first, then arriving ones by how soon they are ready: a replica should never wait for a node
      // when a ready GPU is free.
      candidates = this.nodes
        .filter((n) => n.condition !== 'unavailable' && admitsNode(model, n))
        .sort(compareReadiness)
      this.candidates.set(key, candidates)
      this.keyModels.set(key, model)
    }
    const memoryGiB = replicaMemoryGiB(model)
    const journal = this.journals[this.journals.length - 1]
    let exhausted = 0
    let found: Placement | undefined
    for (let i = 0; i < candidates.length; i++) {
      const node = candidates[i] as NodeCapacity
      if (!hasFreeCapacity(node)) {
        exhausted++
        continue
      }
      if (!accept(node)) continue
      found = takeOnNode(model, node, memoryGiB, journal)
      if (found) break
    }
    // Drop full nodes from the list (or every replica rescans them); inside a fork the undo puts the full list
    // back, since a revert may free them again.
    if (exhausted > 16) {
      const before = candidates
      const kept = candidates.filter(hasFreeCapacity)
      this.candidates.set(key, kept)
      this.record(() => {
        if (this.candidates.get(key) === kept) this.candidates.set(key, before)
      })
    }
    return found
  }

  /** How many replicas of the model fit on free and arriving capacity (up to `limit`), consuming nothing. */
  countPlaceable(model: ModelConfig, limit: number, accept: (node: NodeCapacity) => boolean = () => true): number {
    return this.probe(() => {
      let count = 0
      while (count < limit && this.place(model, accept)) count++
      return count
    })
  }

  freeGpuCount(): number {
    let free = 0
    for (const node of this.nodes) for (const gpu of node.gpus) if (gpu.wholeFree) free++
    return free
  }
}

function compareReadiness(a: NodeCapacity, b: NodeCapacity): number {
  return a.readyInSeconds - b.readyInSeconds || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function schedulingKey(model: ModelConfig): string {
  return JSON.stringify([model.tolerations, model.nodeSelector, model.critical])
}

function hasFreeCapacity(node: NodeCapacity): boolean {
  for (const gpu of node.gpus) if (gpu.wholeFree || gpu.freeInstances.length > 0) return true
  return false
}

function takeOnNode(
  model: ModelConfig,
  node: NodeCapacity,
  memoryGiB: number,
  journal?: Journal,
): Placement | undefined {
  const need = model.gpu
  const base = {
    node: node.name,
    group: node.group,
    planned: node.planned === true,
    condition: node.condition,
    readyInSeconds: node.readyInSeconds,
  }
  if (need.kind === 'mig') {
    for (const gpu of node.gpus) {
      const at = gpu.freeInstances.findIndex((i) => i.profile === need.profile)
      if (at >= 0) {
        const before = {instances: gpu.freeInstances.slice(), idle: gpu.idle}
        journal?.push(() => {
          gpu.freeInstances = before.instances
          gpu.idle = before.idle
        })
        const [instance] = gpu.freeInstances.splice(at, 1)
        gpu.idle = false
        return {...base, gpus: [gpu.index], migStart: instance?.start}
      }
    }
    return undefined
  }
  const count = need.kind === 'whole' ? need.count : 1
  const perGpuGiB = memoryGiB / count
  const free = node.gpus.filter((g) => g.wholeFree && g.memoryGiB >= perGpuGiB)
  if (free.length < count) return undefined
  const taken = free.slice(0, count)
  for (const gpu of taken) {
    const idle = gpu.idle
    journal?.push(() => {
      gpu.wholeFree = true
      gpu.idle = idle
    })
    gpu.wholeFree = false
    gpu.idle = false
  }
  return {...base, gpus: taken.map((g) => g.index)}
}

/** Builds the working capacity from the snapshot, adding virtual nodes for a group's target above its nodes. */
export function buildCluster(config: PolicyConfig, snapshot: ClusterSnapshot): SimulatedCluster {
  const now = snapshot.capturedAt
  const groups = new Map(config.nodeGroups.map((g) => [g.name, g]))
  const nodes: NodeCapacity[] = []
  const registered = new Map<string, number>()
  for (const node of snapshot.nodes) {
    registered.set(node.group, (registered.get(node.group) ?? 0) + 1)
    const group = groups.get(node.group)
    nodes.push(toNodeCapacity(node, group, now))
  }
  for (const state of snapshot.nodeGroups) {
    const group = groups.get(state.name)
    if (!group) continue
    const missing = state.targetSize - (registered.get(state.name) ?? 0)
    const since = state.lastScaleUpAt ?? now
    const readyIn = Math.max(0, since + estimateNodeColdStartSeconds(group) - now)
    for (let i = 0; i < missing; i++)
      nodes.push(templateNode(group, `${group.name}-requested-${i + 1}`, readyIn, bootLayoutOf(group)))
  }
  return new SimulatedCluster(nodes)
}

function toNodeCapacity(node: NodeState, group: NodeGroupConfig | undefined, now: number): NodeCapacity {
  let condition: NodeCondition = 'ready'
  let readyIn = 0
  if (node.cordoned || node.interruptionNoticeAt !== undefined) condition = 'unavailable'
  else if (!node.ready || !node.gpusAllocatable) {
    // A node that is up but whose GPUs are not allocatable yet (drivers, device plugin) is capacity arriving,
    // not missing capacity: counting it as missing is how duplicate scale-ups happen (NVIDIA/gpu-operator#708).
    const limit = group?.maxNodeProvisionSeconds ?? 900
    const expected = group ? estimateNodeColdStartSeconds(group) : 0
    if (now - node.createdAt > limit) condition = 'unavailable'
    else {
      condition = 'arriving'
      readyIn = Math.max(0, node.createdAt + expected - now)
    }
  }
  return {
    name: node.name,
    group: node.group,
    labels: node.labels,
    taints: node.taints,
    condition,
    readyInSeconds: readyIn,
    gpus: node.gpus.map((gpu) => toSlot(node.name, gpu, !node.gpusAllocatable)),
    virtual: false,
    capacityType: node.capacityType,
  }
}

function toSlot(node: string, gpu: GpuDevice, notAllocatableYet: boolean): GpuSlot {
  const info = findGpuModel(gpu.model)
  const used = gpu.pods.length > 0 || gpu.mig.instances.some((i) => i.pod)
  return {
    node,
    index: gpu.index,
    model: info?.name ?? gpu.model,
    memoryGiB: gpu.memoryMiB / 1024,
    // A time-sliced or MPS GPU is never counted as a free isolated GPU: its memory is shared.
    wholeFree: !gpu.mig.enabled && gpu.pods.length === 0 && gpu.sharing === undefined,
    freeInstances: gpu.mig.enabled
      ? gpu.mig.instances.filter((i) => !i.pod).map((i) => ({profile: i.profile, start: i.start, size: i.size}))
      : [],
    migEnabled: gpu.mig.enabled,
    idle: !used && !notAllocatableYet,
  }
}

/** A node as a group would create it: its labels, taints, GPUs and boot MIG layout. */
export function templateNode(
  group: NodeGroupConfig,
  name: string,
  readyInSeconds: number,
  bootLayout: BootLayout = {kind: 'whole'},
): NodeCapacity {
  const info = findGpuModel(group.gpu.model)
  const memoryGiB = (info?.memoryMiB ?? 0) / 1024
  const gpus: GpuSlot[] = []
  for (let index = 0; index < group.gpu.count; index++) {
    gpus.push({
      node: name,
      index,
      model: info?.name ?? group.gpu.model,
      memoryGiB,
      wholeFree: bootLayout.kind === 'whole',
      freeInstances: bootLayout.kind === 'mig' ? bootLayout.instances.map((i) => ({...i})) : [],
      migEnabled: bootLayout.kind === 'mig',
      idle: true,
    })
  }
  return {
    name,
    group: group.name,
    labels: group.labels,
    taints: group.taints,
    condition: 'arriving',
    readyInSeconds,
    gpus,
    virtual: true,
    capacityType: group.capacityType,
  }
}
