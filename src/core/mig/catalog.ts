/**
 * GPU models gpu-scale knows: canonical short names, the aliases users and GPU Feature Discovery
 * (`nvidia.com/gpu.product`) use for them, memory, and MIG capability. MIG profiles and placements live in
 * ./profiles.ts.
 */

export interface GpuModelInfo {
  /** Canonical short name, used everywhere inside gpu-scale. */
  name: string
  /** Other spellings: GFD product labels (NVIDIA-A100-SXM4-80GB), marketing names, short aliases. */
  aliases: string[]
  memoryMiB: number
  migCapable: boolean
  /** Memory slices and compute (SM) slices in MIG mode (8×7 on A100/H100/H200, 4×4 on A30). */
  memorySlices: number
  computeSlices: number
  /** Relative memory bandwidth (A100-80GB = 1.0), for "a slice gets its share of bandwidth" reasoning. */
  bandwidthScore: number
}

export const GPU_MODELS: readonly GpuModelInfo[] = [
  {name: 'A100-40GB', aliases: ['NVIDIA-A100-SXM4-40GB', 'NVIDIA-A100-PCIE-40GB', 'A100-SXM4-40GB', 'A100'], memoryMiB: 40960, migCapable: true, memorySlices: 8, computeSlices: 7, bandwidthScore: 0.76},
  {name: 'A100-80GB', aliases: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe', 'A100-SXM4-80GB'], memoryMiB: 81920, migCapable: true, memorySlices: 8, computeSlices: 7, bandwidthScore: 1.0},
  {name: 'H100-80GB', aliases: ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-PCIe', 'NVIDIA-H100-SXM5-80GB', 'H100'], memoryMiB: 81559, migCapable: true, memorySlices: 8, computeSlices: 7, bandwidthScore: 1.64},
  {name: 'H100-94GB', aliases: ['NVIDIA-H100-NVL', 'H100-NVL'], memoryMiB: 95830, migCapable: true, memorySlices: 8, computeSlices: 7, bandwidthScore: 1.92},
  {name: 'H200-141GB', aliases: ['NVIDIA-H200', 'NVIDIA-H200-NVL', 'H200'], memoryMiB: 143771, migCapable: true, memorySlices: 8, computeSlices: 7, bandwidthScore: 2.36},
  {name: 'A30-24GB', aliases: ['NVIDIA-A30', 'A30'], memoryMiB: 24576, migCapable: true, memorySlices: 4, computeSlices: 4, bandwidthScore: 0.46},
  {name: 'L4-24GB', aliases: ['NVIDIA-L4', 'L4'], memoryMiB: 23034, migCapable: false, memorySlices: 0, computeSlices: 0, bandwidthScore: 0.15},
  {name: 'A10G-24GB', aliases: ['NVIDIA-A10G', 'A10G'], memoryMiB: 23028, migCapable: false, memorySlices: 0, computeSlices: 0, bandwidthScore: 0.3},
  {name: 'L40S-48GB', aliases: ['NVIDIA-L40S', 'L40S'], memoryMiB: 46068, migCapable: false, memorySlices: 0, computeSlices: 0, bandwidthScore: 0.43},
  {name: 'T4-16GB', aliases: ['Tesla-T4', 'NVIDIA-T4', 'T4'], memoryMiB: 15360, migCapable: false, memorySlices: 0, computeSlices: 0, bandwidthScore: 0.16},
]

const BY_NAME = new Map<string, GpuModelInfo>()
for (const model of GPU_MODELS) {
  for (const name of [model.name, ...model.aliases]) BY_NAME.set(normalizeName(name), model)
}

function normalizeName(name: string): string {
  return name.trim().toUpperCase().replace(/[\s_]+/g, '-')
}

/** Finds a GPU model by canonical name, alias or GFD product label; undefined when unknown. */
export function findGpuModel(name: string): GpuModelInfo | undefined {
  const exact = BY_NAME.get(normalizeName(name))
  if (exact) return exact
  // GFD in MIG `single` strategy appends the profile: NVIDIA-A100-SXM4-40GB-MIG-1g.5gb.
  const base = normalizeName(name).replace(/-MIG-.*$/, '')
  return BY_NAME.get(base)
}
