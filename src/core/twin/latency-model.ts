/**
 * The twin's per-replica latency model (reference: ../shared/reference/serving-performance-facts.md §5).
 *
 *   step time = a + b·X + c·Y + d·K
 *
 * X = prefill tokens in the step, Y = decode tokens (one per running sequence), K = KV tokens the step's
 * attention reads (the whole context of every running sequence). a, b, c come from BLIS's fit of vLLM v0.8.4 at
 * TP1 (inference-sim/inference-sim `defaults.yaml`, via the reference): H100 a = 5752.7 µs, b = 17.25 µs,
 * c = 6.00 µs; A100-80GB a = 16441.5 µs, b = 47.84 µs, c = 18.21 µs. BLIS has no context term; d is the roofline
 * cost of reading one token's KV per step, 128 KiB ÷ HBM bandwidth (39 ns on H100 at 3.35 TB/s, 64 ns on A100-80GB
 * at 2.04 TB/s; the reference's "missing term to add", inferred). A step reads the weights once (the `a` term:
 * 16 GB ÷ 3.35 TB/s ≈ 4.8 ms of H100's 5.75 ms), so small batches are memory-bandwidth bound.
 *
 * Concurrency is bounded by max_num_seqs and by the KV-cache tokens the GPU memory allows after the weights
 * (vLLM preallocates gpu_memory_utilization × memory; Llama-3.1-8B on an 80 GB GPU: ≈ 467k tokens, matching BLIS's
 * calibrated 29,205 blocks × 16). vLLM V1 defaults (`vllm/engine/arg_utils.py` get_batch_defaults): ≥ 70 GiB GPUs
 * other than A100 get max_num_seqs 1024 and max_num_batched_tokens 8192; others 256 and 2048.
 *
 * A MIG slice gets its share of compute (compute slices ÷ 7) and of memory bandwidth (memory slices ÷ 8): the
 * memory-bound terms (a, d) grow by 8/memorySlices, the compute terms (b, c) by 7/computeSlices.
 */
import {findGpuModel} from '../mig/catalog.js'
import {findMigProfile} from '../mig/profiles.js'

/** Step-time coefficients in seconds (a) and seconds per token (b, c, d). */
export interface StepCoefficients {
  a: number
  b: number
  c: number
  d: number
}

/** How one model serves on one GPU (or one MIG slice of it). */
export interface ServingProfile {
  coefficients: StepCoefficients
  maxNumSeqs: number
  maxBatchedTokens: number
  /** KV cache per context token, bytes (Llama-3.1-8B: 32 layers × 8 KV heads × 128 dim × 2 × 2 B = 128 KiB). */
  kvBytesPerToken: number
  weightsGiB: number
  /** KV tokens the memory left after the weights holds (at gpu_memory_utilization). */
  kvCapacityTokens: number
  /** Bytes per second the step reads at full bandwidth (the GPU's or the slice's share). */
  memoryBandwidth: number
  /** Memory the server preallocates, MiB (what DCGM_FI_DEV_FB_USED reads once it is up). */
  framebufferMiB: number
  /** Share of SMs with warps assigned while a memory-bound kernel streams weights or KV (an assumption, see below). */
  memoryPhaseSmActivity: number
}

/** What a scenario says about a model's serving (all optional; the defaults are Llama-3.1-8B on vLLM). */
export interface ServingSpec {
  /** Base profile: `llama-3.1-8b` (default). */
  base?: string
  /** Parameters in billions: scales weights and the weight-read and per-token compute terms from the base. */
  paramsB?: number
  kvBytesPerToken?: number
  weightsGiB?: number
  /** Coefficients per GPU model in microseconds (a, b, c, d), overriding the table. */
  coefficients?: Record<string, StepCoefficients>
  maxNumSeqs?: number
  maxBatchedTokens?: number
  gpuMemoryUtilization?: number
  memoryPhaseSmActivity?: number
}

/**
 * HBM bandwidth (bytes/s) and dense BF16 tensor throughput (FLOP/s) per GPU model, from NVIDIA's data sheets.
 * H100 SXM 3.35 TB/s and A100-80GB 2.04 TB/s are the reference's figures; the rest are data-sheet values
 * (unverified against a stored source), used only to scale profiles the table below does not fit.
 */
const GPU_SPECS: Record<string, {bandwidth: number; flops: number}> = {
  'A100-40GB': {bandwidth: 1.555e12, flops: 312e12},
  'A100-80GB': {bandwidth: 2.039e12, flops: 312e12},
  'H100-80GB': {bandwidth: 3.35e12, flops: 989e12},
  'H100-94GB': {bandwidth: 3.9e12, flops: 835e12},
  'H200-141GB': {bandwidth: 4.8e12, flops: 989e12},
  'A30-24GB': {bandwidth: 0.933e12, flops: 165e12},
  'L4-24GB': {bandwidth: 0.3e12, flops: 121e12},
  'A10G-24GB': {bandwidth: 0.6e12, flops: 70e12},
  'L40S-48GB': {bandwidth: 0.864e12, flops: 362e12},
  'T4-16GB': {bandwidth: 0.32e12, flops: 65e12},
}

const US = 1e-6
/** Llama-3.1-8B (and Llama-3-8B, same architecture) fitted coefficients, per GPU (see the header). */
const LLAMA_8B: Record<string, StepCoefficients> = {
  'H100-80GB': {a: 5752.7 * US, b: 17.25 * US, c: 6.0 * US, d: 131072 / 3.35e12},
  'A100-80GB': {a: 16441.5 * US, b: 47.84 * US, c: 18.21 * US, d: 131072 / 2.039e12},
}
const LLAMA_8B_KV_BYTES = 131072
/** 8.03 B parameters × 2 bytes (bf16) = 16.06 GB = 14.96 GiB. */
const LLAMA_8B_WEIGHTS_GIB = 14.96

const BASES: Record<
  string,
  {coefficients: Record<string, StepCoefficients>; paramsB: number; kvBytesPerToken: number; weightsGiB: number}
> = {
  'llama-3.1-8b': {
    coefficients: LLAMA_8B,
    paramsB: 8.03,
    kvBytesPerToken: LLAMA_8B_KV_BYTES,
    weightsGiB: LLAMA_8B_WEIGHTS_GIB,
  },
}

export function knownServingBases(): string[] {
  return Object.keys(BASES)
}

/**
 * Coefficients of the base on a GPU model: the fitted ones when the table has them, else H100's scaled by
 * bandwidth (a, d) and tensor throughput (b, c) — an inference from the GPUs' data sheets, not a fit.
 */
function baseCoefficients(base: (typeof BASES)[string], gpu: string): StepCoefficients {
  const fitted = base.coefficients[gpu]
  if (fitted) return fitted
  const reference = base.coefficients['H100-80GB'] as StepCoefficients
  const h100 = GPU_SPECS['H100-80GB'] as {bandwidth: number; flops: number}
  const spec = GPU_SPECS[gpu] ?? h100
  const mem = h100.bandwidth / spec.bandwidth
  const compute = h100.flops / spec.flops
  return {a: reference.a * mem, b: reference.b * compute, c: reference.c * compute, d: reference.d * mem}
}

/**
 * The serving profile of a model on a GPU model, whole or as one MIG slice (`migProfile`). Throws when the
 * weights do not fit the memory, since such a replica could never start.
 */
export function resolveServingProfile(
  spec: ServingSpec,
  gpuModel: string,
  options: {gpus?: number; migProfile?: string} = {},
): ServingProfile {
  const baseName = spec.base ?? 'llama-3.1-8b'
  const base = BASES[baseName]
  if (!base) throw new Error(`unknown serving base "${baseName}" (known: ${knownServingBases().join(', ')})`)
  const info = findGpuModel(gpuModel)
  const gpu = info?.name ?? gpuModel
  const explicit = spec.coefficients?.[gpu]
  let k: StepCoefficients
  if (explicit) {
    k = {a: explicit.a * US, b: explicit.b * US, c: explicit.c * US, d: explicit.d * US}
  } else {
    k = {...baseCoefficients(base, gpu)}
    // A bigger model reads proportionally more weights per step and does proportionally more work per token.
    const scale = (spec.paramsB ?? base.paramsB) / base.paramsB
    const kvScale = (spec.kvBytesPerToken ?? base.kvBytesPerToken) / base.kvBytesPerToken
    k = {a: k.a * scale, b: k.b * scale, c: k.c * scale, d: k.d * kvScale}
  }
  const kvBytesPerToken = spec.kvBytesPerToken ?? base.kvBytesPerToken
  const weightsGiB = spec.weightsGiB ?? (base.weightsGiB * (spec.paramsB ?? base.paramsB)) / base.paramsB
  const gpus = Math.max(1, options.gpus ?? 1)
  let memoryMiB = (info?.memoryMiB ?? 81920) * gpus
  let bandwidth = (GPU_SPECS[gpu]?.bandwidth ?? 2e12) * gpus
  if (gpus > 1) {
    // Tensor parallel over whole GPUs: every term splits across them (ideal scaling; TP's all-reduce is ignored).
    k = {a: k.a / gpus, b: k.b / gpus, c: k.c / gpus, d: k.d / gpus}
  }
  if (options.migProfile) {
    const profile = findMigProfile(gpu, options.migProfile)
    if (!profile || !info) throw new Error(`${gpu} has no MIG profile ${options.migProfile}`)
    const memShare = profile.memorySlices / info.memorySlices
    const computeShare = profile.computeSlices / info.computeSlices
    k = {a: k.a / memShare, b: k.b / computeShare, c: k.c / computeShare, d: k.d / memShare}
    memoryMiB = profile.memoryMiB
    bandwidth *= memShare
  }
  const utilization = spec.gpuMemoryUtilization ?? 0.9
  const kvBytes = (memoryMiB / 1024) * utilization * 2 ** 30 - weightsGiB * 2 ** 30
  const kvCapacityTokens = Math.floor(kvBytes / kvBytesPerToken)
  if (kvCapacityTokens <= 0)
    throw new Error(
      `${weightsGiB.toFixed(1)} GiB of weights leave no KV cache in ${(memoryMiB / 1024).toFixed(1)} GiB × ${utilization}`,
    )
  // vLLM's V1 defaults: H100-class (≥ 70 GiB, not A100) 1024 / 8192, others 256 / 2048.
  const bigGpu = !options.migProfile && (info?.memoryMiB ?? 0) >= 70 * 1024 && !gpu.startsWith('A100')
  return {
    coefficients: k,
    maxNumSeqs: spec.maxNumSeqs ?? (bigGpu ? 1024 : 256),
    maxBatchedTokens: spec.maxBatchedTokens ?? (bigGpu ? 8192 : 2048),
    kvBytesPerToken,
    weightsGiB,
    kvCapacityTokens,
    memoryBandwidth: bandwidth,
    framebufferMiB: memoryMiB * utilization,
    // Assumption (no published figure): while a step streams weights or KV, about 30% of SM cycles have a warp
    // assigned; the compute terms (prefill, per-token matmuls) keep them all busy. This is what makes a
    // memory-bound replica read high DRAM activity at modest SM activity.
    memoryPhaseSmActivity: spec.memoryPhaseSmActivity ?? 0.3,
  }
}

/** Seconds one engine step takes. */
export function stepSeconds(
  k: StepCoefficients,
  prefillTokens: number,
  decodeTokens: number,
  kvTokens: number,
): number {
  return k.a + k.b * prefillTokens + k.c * decodeTokens + k.d * kvTokens
}

/** How a step's time splits, for DCGM activity: seconds the SMs are busy and seconds DRAM streams. */
export function stepActivity(
  profile: ServingProfile,
  prefillTokens: number,
  decodeTokens: number,
  kvTokens: number,
): {step: number; sm: number; dram: number} {
  const k = profile.coefficients
  const compute = k.b * prefillTokens + k.c * decodeTokens
  const memory = k.a + k.d * kvTokens
  const step = compute + memory
  const bytes = profile.weightsGiB * 2 ** 30 + kvTokens * profile.kvBytesPerToken
  return {
    step,
    sm: compute + memory * profile.memoryPhaseSmActivity,
    dram: Math.min(step, bytes / profile.memoryBandwidth),
  }
}
