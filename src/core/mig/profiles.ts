/**
 * MIG GPU-instance profiles per GPU model: memory and compute slices, memory size, and the placements
 * `{starts}:size` (in memory slices) where the driver can create each one.
 *
 * Sources:
 * - Placements on 8-slice GPUs: `nvidia-smi mig -lgipp` as printed in the NVIDIA MIG User Guide
 *   (getting-started-with-mig.html, A100) and NVIDIA's H100 NVL blog post, identical on A100/H100/H100 NVL:
 *   1g `{0..6}:1`, 1g+me `{0..6}:1`, 1g 2-memory-slice `{0,2,4,6}:2`, 2g `{0,2,4}:2`, 3g `{0,4}:4`, 4g `{0}:4`,
 *   7g `{0}:8`. H200 uses the same Hopper 8×7 geometry (its names come from the default mig-parted config).
 * - A30 placements: 1g `{0,1,2,3}:1`, 2g `{0,2}:2`, 4g `{0}:4` (NVIDIA/go-nvml pkg/nvml/mock a30.go).
 * - Fractions and instance counts: MIG User Guide supported-mig-profiles.html (A30, A100, H100, H200 tables).
 * - Names: NVIDIA GPU Operator `default-mig-parted-config` (the 2-memory-slice 1g profile is `1g.10gb` on
 *   A100-40GB, `1g.20gb` on 80GB parts, `1g.24gb` on H100 NVL, `1g.35gb` on H200).
 * - Memory MiB: NVML values from go-nvml's A100 and A30 mocks; for H100/H100 NVL/H200 an estimate of
 *   GPU memory × memory slices / 8 (`memorySource: 'estimated'`), which agrees with each profile's name.
 */
import {UserError} from '../errors.js'
import {findGpuModel, type GpuModelInfo} from './catalog.js'

export interface MigProfile {
  /** Profile name as mig-parted and the device plugin spell it: `3g.40gb`, `1g.10gb+me`. */
  name: string
  gpuModel: string
  /** Memory slices the instance occupies (the placement size). */
  memorySlices: number
  computeSlices: number
  memoryMiB: number
  memorySource: 'nvml' | 'estimated'
  /** Allowed start memory slices. */
  starts: number[]
  /** Most instances of this profile on one GPU (MIG User Guide "Number of Instances Available"). */
  maxInstances: number
  /** `+me` variants carry the GPU's media engines (NVDEC/NVJPG/OFA): at most one per GPU. */
  mediaExtensions: boolean
  /** NVML GPU-instance profile id (`nvidia-smi mig -lgip`), where a source prints it. */
  profileId?: number
}

interface ProfileShape {
  /** Compute slices: the `Ng` of the name. */
  g: number
  memorySlices: number
  starts: number[]
  maxInstances: number
  me: boolean
  profileId?: number
}

/** The 8-memory-slice, 7-compute-slice geometry of A100/H100/H200 (MIG User Guide `-lgipp`, profile ids 19..0). */
const EIGHT_SLICE: Record<string, ProfileShape> = {
  '1g': {g: 1, memorySlices: 1, starts: [0, 1, 2, 3, 4, 5, 6], maxInstances: 7, me: false, profileId: 19},
  '1g+me': {g: 1, memorySlices: 1, starts: [0, 1, 2, 3, 4, 5, 6], maxInstances: 1, me: true, profileId: 20},
  '1g2': {g: 1, memorySlices: 2, starts: [0, 2, 4, 6], maxInstances: 4, me: false, profileId: 15},
  '2g': {g: 2, memorySlices: 2, starts: [0, 2, 4], maxInstances: 3, me: false, profileId: 14},
  '3g': {g: 3, memorySlices: 4, starts: [0, 4], maxInstances: 2, me: false, profileId: 9},
  '4g': {g: 4, memorySlices: 4, starts: [0], maxInstances: 1, me: false, profileId: 5},
  '7g': {g: 7, memorySlices: 8, starts: [0], maxInstances: 1, me: false, profileId: 0},
}

/** A30: 4 memory slices × 4 compute slices; `2g.12gb+me` needs R525+, `1g.6gb+me` R470+ (MIG User Guide). */
const FOUR_SLICE: Record<string, ProfileShape> = {
  '1g': {g: 1, memorySlices: 1, starts: [0, 1, 2, 3], maxInstances: 4, me: false, profileId: 14},
  '1g+me': {g: 1, memorySlices: 1, starts: [0, 1, 2, 3], maxInstances: 1, me: true, profileId: 21},
  '2g': {g: 2, memorySlices: 2, starts: [0, 2], maxInstances: 2, me: false},
  '2g+me': {g: 2, memorySlices: 2, starts: [0, 2], maxInstances: 1, me: true},
  '4g': {g: 4, memorySlices: 4, starts: [0], maxInstances: 1, me: false},
}

interface ModelProfiles {
  shapes: Record<string, ProfileShape>
  /** Shape key → [name, memory MiB]. */
  names: Record<string, [string, number]>
  memorySource: 'nvml' | 'estimated'
}

const TABLE: Record<string, ModelProfiles> = {
  'A100-40GB': {
    shapes: EIGHT_SLICE,
    memorySource: 'nvml',
    names: {
      '1g': ['1g.5gb', 4864],
      '1g+me': ['1g.5gb+me', 4864],
      '1g2': ['1g.10gb', 9856],
      '2g': ['2g.10gb', 9856],
      '3g': ['3g.20gb', 19968],
      '4g': ['4g.20gb', 19968],
      '7g': ['7g.40gb', 40192],
    },
  },
  'A100-80GB': {
    shapes: EIGHT_SLICE,
    memorySource: 'nvml',
    names: {
      '1g': ['1g.10gb', 9856],
      '1g+me': ['1g.10gb+me', 9856],
      '1g2': ['1g.20gb', 19968],
      '2g': ['2g.20gb', 19968],
      '3g': ['3g.40gb', 40192],
      '4g': ['4g.40gb', 40192],
      '7g': ['7g.80gb', 80384],
    },
  },
  'H100-80GB': {
    shapes: EIGHT_SLICE,
    memorySource: 'estimated',
    names: {
      '1g': ['1g.10gb', 10194],
      '1g+me': ['1g.10gb+me', 10194],
      '1g2': ['1g.20gb', 20389],
      '2g': ['2g.20gb', 20389],
      '3g': ['3g.40gb', 40779],
      '4g': ['4g.40gb', 40779],
      '7g': ['7g.80gb', 81559],
    },
  },
  'H100-94GB': {
    shapes: EIGHT_SLICE,
    memorySource: 'estimated',
    names: {
      '1g': ['1g.12gb', 11978],
      '1g+me': ['1g.12gb+me', 11978],
      '1g2': ['1g.24gb', 23957],
      '2g': ['2g.24gb', 23957],
      '3g': ['3g.47gb', 47915],
      '4g': ['4g.47gb', 47915],
      '7g': ['7g.94gb', 95830],
    },
  },
  'H200-141GB': {
    shapes: EIGHT_SLICE,
    memorySource: 'estimated',
    names: {
      '1g': ['1g.18gb', 17971],
      '1g+me': ['1g.18gb+me', 17971],
      '1g2': ['1g.35gb', 35942],
      '2g': ['2g.35gb', 35942],
      '3g': ['3g.71gb', 71885],
      '4g': ['4g.71gb', 71885],
      '7g': ['7g.141gb', 143771],
    },
  },
  'A30-24GB': {
    shapes: FOUR_SLICE,
    memorySource: 'nvml',
    names: {
      '1g': ['1g.6gb', 5836],
      '1g+me': ['1g.6gb+me', 5836],
      '2g': ['2g.12gb', 11672],
      '2g+me': ['2g.12gb+me', 11672],
      '4g': ['4g.24gb', 23344],
    },
  },
}

const PROFILES = new Map<string, MigProfile[]>()
for (const [model, spec] of Object.entries(TABLE)) {
  const list: MigProfile[] = []
  for (const [key, [name, memoryMiB]] of Object.entries(spec.names)) {
    const shape = spec.shapes[key]
    if (!shape) continue
    list.push({
      name,
      gpuModel: model,
      memorySlices: shape.memorySlices,
      computeSlices: shape.g,
      memoryMiB,
      memorySource: spec.memorySource,
      starts: shape.starts,
      maxInstances: shape.maxInstances,
      mediaExtensions: shape.me,
      ...(shape.profileId !== undefined ? {profileId: shape.profileId} : {}),
    })
  }
  // Smallest first: memory slices, then compute slices, then plain before +me.
  list.sort(
    (a, b) =>
      a.memorySlices - b.memorySlices ||
      a.computeSlices - b.computeSlices ||
      Number(a.mediaExtensions) - Number(b.mediaExtensions),
  )
  PROFILES.set(model, list)
}

/** The model gpu-scale has MIG geometry for, or undefined (unknown model, or not MIG-capable). */
export function findMigModel(gpuModel: string): GpuModelInfo | undefined {
  const info = resolveModel(gpuModel)
  return info && PROFILES.has(info.name) ? info : undefined
}

// Memo of name → model: packing resolves the same few names millions of times (a pure lookup, so caching it
// changes no result).
const MODEL_MEMO = new Map<string, GpuModelInfo | null>()
const PROFILE_MEMO = new Map<string, MigProfile | null>()

function resolveModel(gpuModel: string): GpuModelInfo | undefined {
  let info = MODEL_MEMO.get(gpuModel)
  if (info === undefined) {
    info = findGpuModel(gpuModel) ?? null
    MODEL_MEMO.set(gpuModel, info)
  }
  return info ?? undefined
}

/** Every GPU-instance profile of a model, smallest first; empty for unknown or non-MIG models. */
export function migProfilesFor(gpuModel: string): MigProfile[] {
  const info = resolveModel(gpuModel)
  return info ? (PROFILES.get(info.name) ?? []) : []
}

/**
 * Strips the spellings a profile arrives in: `3g.40gb`, `mig-3g.40gb`, `nvidia.com/mig-3g.40gb`, `MIG 3g.40gb`,
 * and mig-parted's config-name suffix `.me` for `+me`.
 */
export function normalizeProfileName(name: string): string {
  return name
    .trim()
    .replace(/^nvidia\.com\//i, '')
    .replace(/^mig[-\s]+/i, '')
    .toLowerCase()
}

/** Finds a profile of a model by any accepted spelling; undefined when the model has no such profile. */
export function findMigProfile(gpuModel: string, name: string): MigProfile | undefined {
  const key = `${gpuModel}\u0000${name}`
  let profile = PROFILE_MEMO.get(key)
  if (profile === undefined) {
    const wanted = normalizeProfileName(name)
    profile = migProfilesFor(gpuModel).find((p) => p.name === wanted) ?? null
    PROFILE_MEMO.set(key, profile)
  }
  return profile ?? undefined
}

/** True when a name has the shape of a GPU-instance profile (`<g>g.<mem>gb[+me]`), whatever the model. */
export function isProfileNameShape(name: string): boolean {
  return /^\d+g\.\d+gb(\+[a-z.]+)?$/.test(normalizeProfileName(name))
}

/** The device-plugin resource a profile is advertised as under a MIG strategy (k8s-device-plugin README). */
export function resourceNameFor(profile: string, strategy: 'single' | 'mixed'): string {
  return strategy === 'mixed' ? `nvidia.com/mig-${normalizeProfileName(profile)}` : 'nvidia.com/gpu'
}

/** Resolves a `--gpu` value to a MIG model, or throws a UserError naming the models gpu-scale knows. */
export function requireMigModel(name: string | undefined): GpuModelInfo {
  const known = [...PROFILES.keys()].join(', ')
  if (!name) throw new UserError('--gpu is required', {hint: `one of ${known}`})
  const model = findMigModel(name)
  if (!model)
    throw new UserError(`unknown MIG GPU model "${name}"`, {
      hint: `one of ${known}; see \`gpu-scale mig gpus\` for aliases`,
    })
  return model
}
