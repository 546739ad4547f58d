/**
 * GPU models gpu-scale knows: canonical short names, the aliases users and GPU Feature Discovery
 * (`nvidia.com/gpu.product`) use for them, memory, MIG capability, and the PCI device IDs mig-parted's
 * `device-filter` matches. MIG profiles and placements live in ./profiles.ts.
 *
 * PCI device IDs (`0x<device><vendor>`) are those NVIDIA's GPU Operator groups per model in its
 * `default-mig-parted-config` (github.com/NVIDIA/gpu-operator, assets/state-mig-manager/0400_configmap.yaml):
 * A800/H800 variants share their A100/H100 sibling's MIG geometry and profile names there, so they map to it.
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
  /** PCI device IDs as mig-parted's `device-filter` spells them (`0x20B210DE`), upper-case hex. */
  pciDeviceIds: string[]
}

export const GPU_MODELS: readonly GpuModelInfo[] = [
  {
    name: 'A100-40GB',
    aliases: [
      'NVIDIA-A100-SXM4-40GB',
      'NVIDIA-A100-PCIE-40GB',
      'A100-SXM4-40GB',
      'A100-PCIE-40GB',
      'A800-40GB',
      'A100',
    ],
    memoryMiB: 40960,
    migCapable: true,
    memorySlices: 8,
    computeSlices: 7,
    bandwidthScore: 0.76,
    pciDeviceIds: ['0x20B010DE', '0x20B110DE', '0x20F110DE', '0x20F610DE'],
  },
  {
    name: 'A100-80GB',
    aliases: ['NVIDIA-A100-SXM4-80GB', 'NVIDIA-A100-80GB-PCIe', 'NVIDIA-A100-PCIE-80GB', 'A100-SXM4-80GB', 'A800-80GB'],
    memoryMiB: 81920,
    migCapable: true,
    memorySlices: 8,
    computeSlices: 7,
    bandwidthScore: 1.0,
    pciDeviceIds: ['0x20B210DE', '0x20B510DE', '0x20F310DE', '0x20F510DE'],
  },
  {
    name: 'H100-80GB',
    aliases: ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-PCIe', 'NVIDIA-H100-SXM5-80GB', 'H800-80GB', 'H100'],
    memoryMiB: 81559,
    migCapable: true,
    memorySlices: 8,
    computeSlices: 7,
    bandwidthScore: 1.64,
    pciDeviceIds: ['0x233010DE', '0x233110DE', '0x232210DE', '0x232410DE'],
  },
  {
    name: 'H100-94GB',
    aliases: ['NVIDIA-H100-NVL', 'H100-NVL', 'H800-NVL'],
    memoryMiB: 95830,
    migCapable: true,
    memorySlices: 8,
    computeSlices: 7,
    bandwidthScore: 1.92,
    pciDeviceIds: ['0x232110DE', '0x233A10DE'],
  },
  {
    name: 'H200-141GB',
    aliases: ['NVIDIA-H200', 'NVIDIA-H200-NVL', 'H200-NVL', 'H200'],
    memoryMiB: 143771,
    migCapable: true,
    memorySlices: 8,
    computeSlices: 7,
    bandwidthScore: 2.36,
    pciDeviceIds: ['0x233510DE', '0x233B10DE'],
  },
  {
    name: 'A30-24GB',
    aliases: ['NVIDIA-A30', 'NVIDIA-A30-PCIE-24GB', 'A30'],
    memoryMiB: 24576,
    migCapable: true,
    memorySlices: 4,
    computeSlices: 4,
    bandwidthScore: 0.46,
    pciDeviceIds: ['0x20B710DE'],
  },
  {
    name: 'L4-24GB',
    aliases: ['NVIDIA-L4', 'L4'],
    memoryMiB: 23034,
    migCapable: false,
    memorySlices: 0,
    computeSlices: 0,
    bandwidthScore: 0.15,
    pciDeviceIds: [],
  },
  {
    name: 'A10G-24GB',
    aliases: ['NVIDIA-A10G', 'A10G'],
    memoryMiB: 23028,
    migCapable: false,
    memorySlices: 0,
    computeSlices: 0,
    bandwidthScore: 0.3,
    pciDeviceIds: [],
  },
  {
    name: 'L40S-48GB',
    aliases: ['NVIDIA-L40S', 'L40S'],
    memoryMiB: 46068,
    migCapable: false,
    memorySlices: 0,
    computeSlices: 0,
    bandwidthScore: 0.43,
    pciDeviceIds: [],
  },
  {
    name: 'T4-16GB',
    aliases: ['Tesla-T4', 'NVIDIA-T4', 'T4'],
    memoryMiB: 15360,
    migCapable: false,
    memorySlices: 0,
    computeSlices: 0,
    bandwidthScore: 0.16,
    pciDeviceIds: [],
  },
]

const BY_NAME = new Map<string, GpuModelInfo>()
for (const model of GPU_MODELS) {
  for (const name of [model.name, ...model.aliases]) BY_NAME.set(normalizeName(name), model)
}

const BY_PCI_ID = new Map<string, GpuModelInfo>()
for (const model of GPU_MODELS) {
  for (const id of model.pciDeviceIds) BY_PCI_ID.set(id.toUpperCase(), model)
}

function normalizeName(name: string): string {
  return name
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-')
}

/** Lookups by the name as written: a fleet repeats a handful of product labels on thousands of GPUs. */
const BY_RAW_NAME = new Map<string, GpuModelInfo | undefined>()

/** Finds a GPU model by canonical name, alias or GFD product label; undefined when unknown. */
export function findGpuModel(name: string): GpuModelInfo | undefined {
  if (BY_RAW_NAME.has(name)) return BY_RAW_NAME.get(name)
  // GFD in MIG `single` strategy appends the profile: NVIDIA-A100-SXM4-40GB-MIG-1g.5gb.
  const found = BY_NAME.get(normalizeName(name)) ?? BY_NAME.get(normalizeName(name).replace(/-MIG-.*$/, ''))
  if (BY_RAW_NAME.size < 1024) BY_RAW_NAME.set(name, found)
  return found
}

/** Finds a GPU model by the PCI device ID mig-parted's `device-filter` uses (`0x20B210DE`, any case). */
export function findGpuModelByPciId(pciDeviceId: string): GpuModelInfo | undefined {
  return BY_PCI_ID.get(pciDeviceId.trim().toUpperCase())
}

/** The MIG-capable models whose MIG geometry gpu-scale models exactly. */
export function listMigGpuModels(): GpuModelInfo[] {
  return GPU_MODELS.filter((m) => m.migCapable)
}
