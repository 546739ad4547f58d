/**
 * What NVIDIA's MIG manager does with a node's `nvidia.com/mig.config` label, as the twin models it
 * (github.com/NVIDIA/mig-parted `pkg/mig/reconfigure/reconfigure.go`; GPU Operator MIG docs):
 * - the label names a config of the GPU Operator's `default-mig-parted-config`; each GPU takes the first entry
 *   whose `devices` and `device-filter` select it, and its `mig-devices` are placed with NVIDIA's placement rules
 *   (src/core/mig checkInstances);
 * - `nvidia.com/mig.config.state` goes `pending`, then `success` or `failed`;
 * - it never evicts pods: "The MIG Manager currently requires that all user workloads on the GPUs being
 *   configured be stopped", so a GPU whose layout must change while a pod uses it fails the whole node's change
 *   and leaves the old layout in place.
 */
import type {GpuDevice, MigInstance} from '../model/snapshot.js'
import {checkInstances} from '../mig/geometry.js'
import {defaultMigPartedConfig} from '../mig/default-mig-parted-config.js'
import {profilesOfConfigForGpu} from '../mig/mig-parted-config.js'
import {findGpuModel} from '../mig/catalog.js'

export interface GpuLayout {
  enabled: boolean
  instances: MigInstance[]
}

/** The layout a config gives one GPU, or an error message (unknown config, no entry for this GPU, invalid). */
export function layoutForMigConfig(
  configName: string,
  gpu: {index: number; model: string},
): GpuLayout | {error: string} {
  const set = defaultMigPartedConfig().configs.find((c) => c.name === configName)
  if (!set) return {error: `no mig-parted config named "${configName}"`}
  if (!findGpuModel(gpu.model)?.migCapable)
    return configName === 'all-disabled' ? {enabled: false, instances: []} : {error: `${gpu.model} is not MIG-capable`}
  const entry = profilesOfConfigForGpu(set, gpu)
  if (!entry) return {error: `config "${configName}" selects no entry for GPU ${gpu.index} (${gpu.model})`}
  if (!entry.migEnabled) return {enabled: false, instances: []}
  const requests = Object.entries(entry.migDevices).flatMap(([profile, n]) =>
    Array.from({length: n}, () => ({profile})),
  )
  if (requests.length === 0) return {enabled: true, instances: []}
  let result
  try {
    result = checkInstances(gpu.model, requests)
  } catch (error) {
    return {error: (error as Error).message}
  }
  if (!result.valid) return {error: result.reason}
  return {enabled: true, instances: result.placements.map((p) => ({profile: p.profile, start: p.start, size: p.size}))}
}

export function sameLayout(gpu: GpuDevice, layout: GpuLayout): boolean {
  if (gpu.mig.enabled !== layout.enabled) return false
  const key = (list: MigInstance[]) =>
    list
      .map((i) => `${i.profile}@${i.start}`)
      .sort()
      .join(',')
  return key(gpu.mig.instances) === key(layout.instances)
}

export function gpuHasPods(gpu: GpuDevice): boolean {
  return gpu.pods.length > 0 || gpu.mig.instances.some((i) => i.pod !== undefined)
}
