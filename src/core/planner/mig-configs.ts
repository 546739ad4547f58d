/**
 * What a node group's allowed mig-parted config names give a GPU: the MIG instances a node boots with, and the
 * profiles a group can expose. Names follow NVIDIA's default-mig-parted-config: `all-disabled`, `all-<profile>`
 * (as many of that profile as fit), `all-balanced` (1g×2 + 2g + 3g on 8-slice GPUs, 1g×2 + 2g on A30).
 */
import type {NodeGroupConfig} from '../model/config.js'
import {findGpuModel} from '../mig/catalog.js'
import {findStart, findMigProfile, migProfilesFor} from '../mig/index.js'
import type {BootLayout} from './capacity.js'

/** The instances `configName` creates on one GPU of `gpuModel`; undefined for names gpu-scale cannot resolve. */
export function layoutOfMigConfig(gpuModel: string, configName: string): BootLayout | undefined {
  if (configName === 'all-disabled') return {kind: 'whole'}
  const info = findGpuModel(gpuModel)
  if (!info?.migCapable) return undefined
  if (configName === 'all-enabled') return {kind: 'mig', instances: []}
  const wanted = configName === 'all-balanced' ? balancedProfiles(gpuModel) : [configName.replace(/^all-/, '').replace(/\.me$/, '+me')]
  const instances: Array<{profile: string; start: number; size: number}> = []
  const fillAll = configName !== 'all-balanced'
  for (const name of wanted) {
    const profile = findMigProfile(gpuModel, name)
    if (!profile) return undefined
    do {
      const start = findStart(gpuModel, instances, profile.name)
      if (start === undefined) break
      instances.push({profile: profile.name, start, size: profile.memorySlices})
    } while (fillAll && !profile.mediaExtensions)
  }
  return {kind: 'mig', instances}
}

function balancedProfiles(gpuModel: string): string[] {
  const profiles = migProfilesFor(gpuModel).filter((p) => !p.mediaExtensions)
  const byCompute = (slices: number) => profiles.find((p) => p.computeSlices === slices && p.memorySlices === slices + (slices === 3 ? 1 : 0))
  const one = profiles.find((p) => p.computeSlices === 1 && p.memorySlices === 1)
  const two = byCompute(2)
  const three = profiles.find((p) => p.computeSlices === 3)
  return [three?.name, two?.name, one?.name, one?.name].filter((p): p is string => p !== undefined)
}

/** MIG profiles any of the group's allowed configs can expose. */
export function profilesOfGroup(group: NodeGroupConfig): string[] {
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
