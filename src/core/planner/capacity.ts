/**
 * The cluster's GPU capacity as the planner simulates it: which whole GPUs and MIG instances are free on which
 * nodes, which capacity is still arriving (nodes booting, drivers initializing, group target above the nodes
 * registered), and a first-fit placement that consumes it. Built once per plan from the snapshot; placement
 * mutates this working copy only, never the snapshot.
 */
import type {ModelConfig, NodeGroupConfig, PolicyConfig} from '../model/config.js'
import type {ClusterSnapshot, GpuDevice, NodeState} from '../model/snapshot.js'
import {findGpuModel} from '../mig/catalog.js'
import {replicaMemoryGiB, unmatchedSelector, untoleratedTaints} from './eligibility.js'

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
}

export interface Placement {
  node: string
  gpus: number[]
  /** MIG instance start when the replica got a slice. */
  migStart?: number
  condition: NodeCondition
  readyInSeconds: number
}

export class CapacityModel {
  readonly nodes: NodeCapacity[]

  constructor(nodes: NodeCapacity[]) {
    this.nodes = nodes
  }

  /** Places one replica first-fit on the earliest-available node that fits; undefined when nothing fits. */
  place(model: ModelConfig, accept: (node: NodeCapacity) => boolean = () => true): Placement | undefined {
    const memoryGiB = replicaMemoryGiB(model)
    // Ready nodes first, then arriving ones by how soon they are ready: a replica should never wait for a node
    // when a ready GPU is free.
    const candidates = this.nodes
      .filter((n) => n.condition !== 'unavailable' && accept(n) && fitsScheduling(model, n))
      .sort((a, b) => a.readyInSeconds - b.readyInSeconds || a.name.localeCompare(b.name))
    for (const node of candidates) {
      const placement = takeOnNode(model, node, memoryGiB)
      if (placement) return placement
    }
    return undefined
  }

  freeGpuCount(): number {
    let free = 0
    for (const node of this.nodes) for (const gpu of node.gpus) if (gpu.wholeFree) free++
    return free
  }
}

function fitsScheduling(model: ModelConfig, node: NodeCapacity): boolean {
  return untoleratedTaints(node.taints, model.tolerations).length === 0 && unmatchedSelector(model.nodeSelector, node.labels).length === 0
}

function takeOnNode(model: ModelConfig, node: NodeCapacity, memoryGiB: number): Placement | undefined {
  const need = model.gpu
  const base = {node: node.name, condition: node.condition, readyInSeconds: node.readyInSeconds}
  if (need.kind === 'mig') {
    for (const gpu of node.gpus) {
      const at = gpu.freeInstances.findIndex((i) => i.profile === need.profile)
      if (at >= 0) {
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
    gpu.wholeFree = false
    gpu.idle = false
  }
  return {...base, gpus: taken.map((g) => g.index)}
}

/** Seconds from registration until a group's node has allocatable GPUs. */
export function nodeColdStartSeconds(group: NodeGroupConfig): number {
  return group.coldStart.provisioningSeconds + group.coldStart.driverInitSeconds + group.coldStart.imagePullSeconds
}

/** Builds the working capacity from the snapshot, adding virtual nodes for a group's target above its nodes. */
export function buildCapacity(config: PolicyConfig, snapshot: ClusterSnapshot): CapacityModel {
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
    const readyIn = Math.max(0, since + nodeColdStartSeconds(group) - now)
    for (let i = 0; i < missing; i++) nodes.push(templateNode(group, `${group.name}-requested-${i + 1}`, readyIn))
  }
  return new CapacityModel(nodes)
}

function toNodeCapacity(node: NodeState, group: NodeGroupConfig | undefined, now: number): NodeCapacity {
  let condition: NodeCondition = 'ready'
  let readyIn = 0
  if (node.cordoned || node.interruptionNoticeAt !== undefined) condition = 'unavailable'
  else if (!node.ready || !node.gpusAllocatable) {
    // A node that is up but whose GPUs are not allocatable yet (drivers, device plugin) is capacity arriving,
    // not missing capacity: counting it as missing is how duplicate scale-ups happen (NVIDIA/gpu-operator#708).
    const limit = group?.maxNodeProvisionSeconds ?? 900
    const expected = group ? nodeColdStartSeconds(group) : 0
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
    freeInstances: gpu.mig.enabled ? gpu.mig.instances.filter((i) => !i.pod).map((i) => ({profile: i.profile, start: i.start, size: i.size})) : [],
    migEnabled: gpu.mig.enabled,
    idle: !used && !notAllocatableYet,
  }
}

/** A node as a group would create it: its labels, taints, GPUs and boot MIG layout. */
export function templateNode(group: NodeGroupConfig, name: string, readyInSeconds: number, bootLayout: BootLayout = {kind: 'whole'}): NodeCapacity {
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
  return {name, group: group.name, labels: group.labels, taints: group.taints, condition: 'arriving', readyInSeconds, gpus, virtual: true}
}

export type BootLayout = {kind: 'whole'} | {kind: 'mig'; instances: Array<{profile: string; start: number; size: number}>}
