/**
 * What a node group's allowed mig-parted config names offer: which MIG profiles, and how many instances of each
 * one GPU holds. The layouts come from the planner's layoutOfMigConfig so `validate` and `plan` read config names
 * the same way; this module adds why a name gives nothing, for the error message.
 */
import {findGpuModel} from '../mig/catalog.js'
import {layoutOfMigConfig} from '../scheduling/mig-configs.js'

export type MigOffer =
  | {kind: 'disabled'}
  | {kind: 'mig'; instances: Map<string, number>}
  | {kind: 'not-mig-capable'}
  | {kind: 'unknown-profile'; profile: string}
  | {kind: 'custom'}

export function describeMigConfig(gpuModel: string, configName: string): MigOffer {
  if (configName === 'all-disabled') return {kind: 'disabled'}
  if (!findGpuModel(gpuModel)?.migCapable) return {kind: 'not-mig-capable'}
  const layout = layoutOfMigConfig(gpuModel, configName)
  if (layout?.kind === 'mig') {
    const instances = new Map<string, number>()
    for (const instance of layout.instances) instances.set(instance.profile, (instances.get(instance.profile) ?? 0) + 1)
    return {kind: 'mig', instances}
  }
  if (layout?.kind === 'whole') return {kind: 'disabled'}
  // NVIDIA's default-mig-parted-config names are all-<profile>; anything else is a custom config.
  if (configName.startsWith('all-')) return {kind: 'unknown-profile', profile: configName.slice('all-'.length)}
  return {kind: 'custom'}
}

/** Most instances of `profile` one GPU of the group can hold under any of its allowed configs. */
export function countProfilePerGpu(gpuModel: string, migConfigs: readonly string[], profile: string): number {
  let most = 0
  for (const name of migConfigs) {
    const offer = describeMigConfig(gpuModel, name)
    if (offer.kind === 'mig') most = Math.max(most, offer.instances.get(profile) ?? 0)
  }
  return most
}
