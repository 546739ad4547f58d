/**
 * Whole GPU or MIG slice for one model replica. A MIG instance gets its memory slices' share of memory *and* of
 * memory bandwidth (MIG User Guide: each memory slice is 1/8 of the memory with its controllers), so a
 * memory-bandwidth-bound model (LLM decode) on a small slice is slow even when its weights fit. Time-sliced and
 * MPS-shared GPUs isolate no memory (device-plugin docs): they count as shared GPUs, never as slices.
 */
import {UserError} from '../errors.js'
import type {Reason} from '../model/plan.js'
import {findGpuModel} from './catalog.js'
import {migProfilesFor, resourceNameFor, type MigProfile} from './profiles.js'
import {formatPercent, roundForMessage} from '../model/round.js'

export interface ModelNeed {
  /** Weights plus KV-cache headroom, GiB. */
  memoryGiB: number
  /** Decode-style workloads limited by memory bandwidth rather than compute. */
  bandwidthBound: boolean
  /**
   * Largest slowdown accepted for a bandwidth-bound model versus the whole GPU (default 2: the slice must have at
   * least half the memory slices, hence half the bandwidth).
   */
  maxSlowdown?: number
}

export interface ShareOptions {
  /** Device-plugin MIG strategy on the nodes (`none` exposes whole GPUs only). Default `mixed`. */
  strategy?: 'none' | 'single' | 'mixed'
  /** The GPUs are shared by time-slicing or MPS. */
  sharing?: {strategy: 'time-slicing' | 'mps'; replicas: number}
}

export type GpuShare =
  | {kind: 'mig'; profile: string; resource: string; reasons: Reason[]}
  | {kind: 'whole'; count: number; resource: 'nvidia.com/gpu'; reasons: Reason[]}

const GIB = 1024

/** Chooses the smallest MIG profile that serves the model, or whole GPUs, with the reasons. */
export function chooseGpuShare(
  gpuModel: string,
  need: ModelNeed,
  allowMig: boolean,
  options: ShareOptions = {},
): GpuShare {
  const info = findGpuModel(gpuModel)
  if (!info)
    throw new UserError(`unknown GPU model "${gpuModel}"`, {
      hint: 'see `gpu-scale mig gpus` for MIG models and their aliases',
    })
  if (!(need.memoryGiB > 0)) throw new UserError(`memory need must be a positive number of GiB, got ${need.memoryGiB}`)
  const gpuGiB = info.memoryMiB / GIB
  const count = Math.max(1, Math.ceil(need.memoryGiB / gpuGiB))
  const whole = (reason: Reason): GpuShare => {
    const reasons = [reason]
    if (count > 1)
      reasons.push({
        code: 'SpansGpus',
        message: `${need.memoryGiB} GiB exceeds one ${info.name} (${roundForMessage(gpuGiB)} GiB): ${count} GPUs`,
        evidence: {needGiB: need.memoryGiB, gpuGiB: round(gpuGiB), gpus: count},
      })
    return {kind: 'whole', count, resource: 'nvidia.com/gpu', reasons}
  }
  if (options.sharing) {
    return whole({
      code: 'SharedGpuNotIsolated',
      message: `${info.name} GPUs are shared by ${options.sharing.strategy} (${options.sharing.replicas} replicas): co-tenants share its ${roundForMessage(gpuGiB)} GiB with no memory isolation, so the replica is sized against the whole GPU`,
      evidence: {sharing: options.sharing.strategy, replicas: options.sharing.replicas, gpuGiB: round(gpuGiB)},
    })
  }
  if (!info.migCapable)
    return whole({code: 'MigNotSupported', message: `${info.name} has no MIG: whole GPUs`, evidence: {gpu: info.name}})
  if (!allowMig)
    return whole({
      code: 'MigNotAllowed',
      message: 'MIG is not allowed for this model: whole GPUs',
      evidence: {gpu: info.name},
    })
  if (options.strategy === 'none')
    return whole({
      code: 'MigStrategyNone',
      message: 'the device plugin runs with mig-strategy none: no MIG resources are advertised',
      evidence: {strategy: 'none'},
    })
  if (count > 1)
    return whole({
      code: 'ExceedsOneGpu',
      message: `${need.memoryGiB} GiB does not fit one ${info.name}`,
      evidence: {needGiB: need.memoryGiB, gpuGiB: round(gpuGiB)},
    })

  const minShare = need.bandwidthBound ? 1 / (need.maxSlowdown ?? 2) : 0
  const rejected: Reason[] = []
  // Smallest first; the full-GPU profile (7g / 4g on A30) is skipped: it isolates nothing and has fewer SMs than
  // the GPU without MIG, so a whole GPU is the better answer.
  const candidates = migProfilesFor(info.name).filter((p) => !p.mediaExtensions && p.memorySlices < info.memorySlices)
  for (const profile of candidates) {
    const profileGiB = profile.memoryMiB / GIB
    const share = profile.memorySlices / info.memorySlices
    if (profileGiB < need.memoryGiB) {
      if (!rejected.some((r) => r.code === 'SliceTooSmall'))
        rejected.push({
          code: 'SliceTooSmall',
          message: `${profile.name} has ${roundForMessage(profileGiB)} GiB < ${need.memoryGiB} GiB needed`,
          evidence: {profile: profile.name, profileGiB: round(profileGiB), needGiB: need.memoryGiB},
        })
      continue
    }
    if (share < minShare) {
      if (!rejected.some((r) => r.code === 'SliceBandwidthTooSmall')) {
        rejected.push({
          code: 'SliceBandwidthTooSmall',
          message: `${profile.name} fits in memory but gets ${formatPercent(share)} of the memory bandwidth; a bandwidth-bound model there runs ${roundForMessage(1 / share)}× slower than on the whole GPU (limit ${roundForMessage(1 / minShare)}×)`,
          evidence: {
            profile: profile.name,
            bandwidthShare: round(share),
            slowdown: round(1 / share),
            maxSlowdown: round(1 / minShare),
          },
        })
      }
      continue
    }
    return chosen(info.name, profile, need, share, rejected, options.strategy ?? 'mixed')
  }
  return whole({
    code: 'NoSliceServes',
    message: `no MIG profile of ${info.name} serves ${need.memoryGiB} GiB${need.bandwidthBound ? ' with enough bandwidth' : ''}: a whole GPU`,
    evidence: {needGiB: need.memoryGiB, bandwidthBound: need.bandwidthBound},
  })
}

function chosen(
  gpu: string,
  profile: MigProfile,
  need: ModelNeed,
  share: number,
  rejected: Reason[],
  strategy: 'single' | 'mixed',
): GpuShare {
  const reasons: Reason[] = [
    ...rejected,
    {
      code: 'MigSliceChosen',
      message: `${profile.name} is the smallest ${gpu} slice with ${roundForMessage(profile.memoryMiB / GIB)} GiB ≥ ${need.memoryGiB} GiB${need.bandwidthBound ? ` and ${formatPercent(share)} of the bandwidth` : ''}`,
      evidence: {
        profile: profile.name,
        profileGiB: round(profile.memoryMiB / GIB),
        needGiB: need.memoryGiB,
        bandwidthShare: round(share),
        computeSlices: profile.computeSlices,
      },
    },
  ]
  if (strategy === 'single') {
    reasons.push({
      code: 'MigStrategySingle',
      message: `mig-strategy single advertises the slice as nvidia.com/gpu: every GPU of the node must use the same profile (all-${profile.name})`,
      evidence: {strategy, profile: profile.name},
    })
  }
  return {kind: 'mig', profile: profile.name, resource: resourceNameFor(profile.name, strategy), reasons}
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
