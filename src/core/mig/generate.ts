/**
 * Seeded generators of packing cases (GPUs with partly used layouts, and a demand) for tests and benchmarks.
 * Same seed, same case.
 */
import {createPrng, type Prng} from './prng.js'
import {enumerateMaximalLayouts} from './geometry.js'
import {migProfilesFor} from './profiles.js'
import type {MigGpu, ProfileDemand} from './packing.js'
import type {MigNode} from './node-packing.js'

export interface PackingCase {
  seed: number
  gpus: MigGpu[]
  demand: ProfileDemand[]
}

export interface CaseOptions {
  gpus: number
  models: string[]
  /** Demand profile names drawn from the models' profiles; at most this many distinct ones. */
  maxProfiles?: number
  maxCountPerProfile?: number
  /** Share of GPUs that start empty (idle, MIG enabled with no instances). */
  emptyShare?: number
  gpusPerNode?: number
}

function generateGpu(prng: Prng, id: number, model: string, options: CaseOptions): MigGpu {
  const perNode = options.gpusPerNode ?? 8
  const base = {
    id: `node-${Math.floor(id / perNode)}/${id % perNode}`,
    node: `node-${Math.floor(id / perNode)}`,
    index: id % perNode,
    model,
  }
  if (prng.next() < (options.emptyShare ?? 0.3)) return {...base, instances: [], reconfigurable: true}
  const layout = prng.pick(enumerateMaximalLayouts(model))
  const instances = layout.placements
    // Some instances were never created (free memory slices), the rest are used by pods or free.
    .filter(() => prng.next() < 0.8)
    .map((p, k) =>
      prng.next() < 0.5
        ? {profile: p.profile, start: p.start, pod: `ns/pod-${id}-${k}`}
        : {profile: p.profile, start: p.start},
    )
  const hasPods = instances.some((i) => i.pod !== undefined)
  return {...base, instances, reconfigurable: !hasPods || prng.next() < 0.6}
}

export function generatePackingCase(seed: number, options: CaseOptions): PackingCase {
  const prng = createPrng(seed)
  const gpus = Array.from({length: options.gpus}, (_, i) => generateGpu(prng, i, prng.pick(options.models), options))
  const names = [
    ...new Set(
      gpus.flatMap((g) =>
        migProfilesFor(g.model)
          .filter((p) => !p.mediaExtensions && p.computeSlices < 7)
          .map((p) => p.name),
      ),
    ),
  ].sort()
  const demand: ProfileDemand[] = []
  const distinct = 1 + prng.int(options.maxProfiles ?? 3)
  for (let k = 0; k < distinct && names.length > 0; k++) {
    const profile = names.splice(prng.int(names.length), 1)[0] as string
    demand.push({key: `ns/model-${k}`, profile, count: 1 + prng.int(options.maxCountPerProfile ?? 4)})
  }
  return {seed, gpus, demand}
}

export interface NodeCaseOptions {
  nodes: number
  gpusPerNode: number
  models: string[]
  /** The config names a node of the model may take, each with the layout it gives one GPU (the caller resolves them). */
  configsFor: (model: string) => MigNode['configs']
  /** Share of nodes whose GPUs are all idle. */
  emptyShare?: number
}

/**
 * Nodes as MIG Manager leaves them: one GPU model and one applied config per node, every GPU in its layout, with
 * some instances used by pods (as in a fleet that has been serving for a while). Same seed, same nodes.
 */
export function generateNodePackingCase(seed: number, options: NodeCaseOptions): MigNode[] {
  const prng = createPrng(seed)
  return Array.from({length: options.nodes}, (_, n) => {
    const model = prng.pick(options.models)
    const configs = options.configsFor(model)
    const applied = configs.length > 0 ? prng.pick([...configs]) : undefined
    const empty = prng.next() < (options.emptyShare ?? 0.3)
    const drainable = prng.next() < 0.6
    const gpus = Array.from({length: options.gpusPerNode}, (_, index) => {
      const instances = (applied?.layout ?? []).map((i, k) =>
        !empty && prng.next() < 0.5
          ? {profile: i.profile, start: i.start, pod: `ns/pod-${n}-${index}-${k}`}
          : {profile: i.profile, start: i.start},
      )
      const busy = instances.some((i) => i.pod !== undefined)
      return {
        index,
        model,
        migEnabled: applied !== undefined,
        instances,
        free: instances.filter((i) => i.pod === undefined).map((i) => i.profile),
        busy,
        drainable: !busy || drainable,
      }
    })
    return {name: `node-${String(n).padStart(4, '0')}`, gpus, configs}
  })
}
