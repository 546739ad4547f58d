/**
 * What a node group's allowed mig-parted config names give a GPU: the MIG instances a node boots with, and the
 * profiles a group can expose. Names follow NVIDIA's default-mig-parted-config: `all-disabled`, `all-<profile>`
 * (as many of that profile as fit), `all-balanced` (1g×2 + 2g + 3g on 8-slice GPUs, 1g×2 + 2g on A30).
 */
import type {NodeGroupConfig} from '../model/config.js'
import {findGpuModel} from '../mig/catalog.js'
import {checkInstances, findStart, findMigProfile, migProfilesFor} from '../mig/index.js'
import type {BootLayout} from './boot-layout.js'

/** The instances `configName` creates on one GPU of `gpuModel`; undefined for names gpu-scale cannot resolve. */
export function layoutOfMigConfig(gpuModel: string, configName: string): BootLayout | undefined {
  if (configName === 'all-disabled') return {kind: 'whole'}
  const info = findGpuModel(gpuModel)
  if (!info?.migCapable) return undefined
  if (configName === 'all-enabled') return {kind: 'mig', instances: []}
  if (configName === 'all-balanced') {
    // A set of mixed profiles needs the exact placement search: greedy first-fit puts the 3g at slot 0 and then
    // only one 1g fits, while NVIDIA's balanced layout (2g@0, 1g@2, 1g@3, 3g@4) holds all four.
    const result = checkInstances(
      gpuModel,
      balancedProfiles(gpuModel).map((profile) => ({profile})),
    )
    if (!result.valid) return undefined
    return {
      kind: 'mig',
      instances: result.placements
        .map((p) => ({profile: p.profile, start: p.start, size: p.size}))
        .sort((a, b) => a.start - b.start),
    }
  }
  const profile = findMigProfile(gpuModel, configName.replace(/^all-/, '').replace(/\.me$/, '+me'))
  if (!profile) return undefined
  const instances: Array<{profile: string; start: number; size: number}> = []
  // `all-<profile>`: as many as fit; a +me profile exists once per GPU (one set of media engines).
  do {
    const start = findStart(gpuModel, instances, profile.name)
    if (start === undefined) break
    instances.push({profile: profile.name, start, size: profile.memorySlices})
  } while (!profile.mediaExtensions)
  return {kind: 'mig', instances}
}

function balancedProfiles(gpuModel: string): string[] {
  const profiles = migProfilesFor(gpuModel).filter((p) => !p.mediaExtensions)
  // mig-parted's balanced builder (pkg/mig/builder/balanced.go): {1g: 2, 2g: 1, 3g: 1} on 7-slot GPUs,
  // {1g: 2, 2g: 1} on 4-slot GPUs (A30, which has no 3g).
  const one = profiles.find((p) => p.computeSlices === 1 && p.memorySlices === 1)
  const two = profiles.find((p) => p.computeSlices === 2 && p.memorySlices === 2)
  const three = profiles.find((p) => p.computeSlices === 3)
  return [three?.name, two?.name, one?.name, one?.name].filter((p): p is string => p !== undefined)
}

/**
 * Profiles per group config object: the planner asks for every group and model on every tick (predictive warming's
 * lead time), and resolving `all-balanced` runs the exact placement search each time. Keyed weakly by the config
 * object, which a policy never changes once loaded.
 */
const PROFILES_OF_GROUP = new WeakMap<
  NodeGroupConfig,
  {migConfigs: readonly string[]; gpu: string; profiles: string[]}
>()

/** MIG profiles any of the group's allowed configs can expose. */
export function profilesOfGroup(group: NodeGroupConfig): string[] {
  const cached = PROFILES_OF_GROUP.get(group)
  // Still keyed on what it was computed from, in case a caller edited the group in place.
  if (cached && cached.gpu === group.gpu.model && sameNames(cached.migConfigs, group.migConfigs))
    return [...cached.profiles]
  const profiles = resolveProfilesOfGroup(group)
  PROFILES_OF_GROUP.set(group, {migConfigs: [...group.migConfigs], gpu: group.gpu.model, profiles})
  return [...profiles]
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i])
}

function resolveProfilesOfGroup(group: NodeGroupConfig): string[] {
  const profiles = new Set<string>()
  for (const name of group.migConfigs) {
    const layout = layoutOfMigConfig(group.gpu.model, name)
    if (layout?.kind === 'mig') for (const i of layout.instances) profiles.add(i.profile)
  }
  return [...profiles].sort()
}

/** The layout a new node of the group boots with: its first allowed config. */
export function bootLayoutOf(group: NodeGroupConfig): BootLayout {
  return layoutOfMigConfig(group.gpu.model, group.migConfigs[0] ?? 'all-disabled') ?? {kind: 'whole'}
}
