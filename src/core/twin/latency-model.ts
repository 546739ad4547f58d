/**
 * The twin's per-replica latency model (reference: ../shared/reference/serving-performance-facts.md §5).
 *
 *   step time = max(a + b·X + c·Y + d·K,  e·(X + Y))
 *
 * X = prefill tokens in the step, Y = decode tokens (one per running sequence), K = KV tokens the step's
 * attention reads (the whole context of every running sequence). The first term is the fitted step; the second is
 * the roofline's compute roof (see "The compute roof" below). a, b, c come from BLIS's fit of vLLM v0.8.4 at TP1
 * (inference-sim/inference-sim `defaults.yaml`, via the reference): H100 a = 5752.7 µs, b = 17.25 µs,
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
 * memory-bound terms (a, d) grow by 8/memorySlices, the compute terms (b, c, e) by 7/computeSlices.
 *
 * The compute roof. Every token a step carries, prompt or decode, goes through every weight matrix once: 2 FLOPs
 * per parameter (16.06 GFLOP for Llama-3.1-8B; attention's context FLOPs, ≈ 1% at a few hundred tokens of
 * context, are left out). So no step is shorter than (X + Y) × 2·params ÷ (peak × MFU): BLIS's roofline rule
 * (`inference-sim/inference-sim` docs/design/roofline.md: phase time = max(FLOPs ÷ (peak × MFU), bytes ÷
 * bandwidth)). The linear fit alone has no such floor: its decode cost c (6 µs a token on H100) is far under a
 * token's compute (16.2 µs at H100's 989 TFLOPS dense BF16) because BLIS fitted it where the weight read `a` hides
 * the decode matmuls. Past the knee where e·(X + Y) overtakes the fitted step, throughput stops growing and the
 * inter-token latency grows in proportion to the batch. NIM's Llama-3.1-8B on H100 (docs.nvidia.com/nim/
 * benchmarking/llm/1.0.0/performance, v1.8.0) shows exactly that from concurrency 150 to 250: ITL 9.8 → 12.7 →
 * 16.1 ms at a flat 13.0–13.3k tokens/s, a constant 37.4–38.6 µs per batched token (decode tokens plus as many
 * prompt tokens at ISL = OSL). The alternatives do not fit it: a batch cap holds ITL flat and grows TTFT instead
 * (NIM's own Llama-3.3-70B rows), and a token budget (max_num_tokens, 8192 by TensorRT-LLM's default, unverified)
 * is never reached at ≈ 400 tokens a step.
 *
 * e = 2·params ÷ (dense BF16 peak × computeEfficiency), computeEfficiency 1 by default: the physical roof. The
 * default vLLM profiles stay under it in their own limits: on H100 (e = 16.2 µs against c = 6 µs, a = 5.75 ms) only
 * more than ≈ 900 running sequences of under 100 tokens of context would reach it (none above 262 tokens); on
 * A100-80GB (e = 51.5 µs, c = 18.2 µs, a = 16.4 ms) only beyond its 256 max_num_seqs. Their numbers are unchanged.
 * An engine measured to sustain less sets computeEfficiency, or e itself in its coefficients (NIM: 37.47 µs, read
 * off its concurrency-200 row; see test/core/twin/latency-model.test.ts). One constant e is a simplification BLIS's
 * roofline v2 refines with an MFU per batch shape: a step carrying one prompt beside a small decode batch reaches
 * the roof a little early, so the twin reads NIM's ITL at the knee (concurrency 100) 14% high.
 */
import {findGpuModel} from '../mig/catalog.js'
import {findMigProfile} from '../mig/profiles.js'

/** Step-time coefficients in seconds (a) and seconds per token (b, c, d, e). */
export interface StepCoefficients {
  a: number
  b: number
  c: number
  d: number
  /** The compute roof: seconds per token (prefill or decode) of a compute-bound step. */
  e: number
}

/** Coefficients as a scenario writes them, in microseconds; e is optional (default: the physical roof). */
export interface StepCoefficientsSpec {
  a: number
  b: number
  c: number
  d: number
  e?: number
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
  /** Coefficients per GPU model in microseconds (a, b, c, d, optional e), overriding the table. */
  coefficients?: Record<string, StepCoefficientsSpec>
  /**
   * Share (0–1] of the GPU's dense BF16 peak a compute-bound step sustains (BLIS's MFU): sets the compute roof
   * e = 2·params ÷ (peak × computeEfficiency) unless the coefficients give e. Default 1, the physical roof.
   */
  computeEfficiency?: number
  maxNumSeqs?: number
  maxBatchedTokens?: number
  gpuMemoryUtilization?: number
  memoryPhaseSmActivity?: number
}

/**
 * HBM bandwidth (bytes/s) and dense BF16 tensor throughput (FLOP/s) per GPU model, from NVIDIA's data sheets.
 * H100 SXM 3.35 TB/s and A100-80GB 2.04 TB/s are the reference's figures; H100 SXM's 989 TFLOPS dense BF16 is its
 * data sheet's 1,979 "with sparsity" halved (FP8: 1,979 dense); the rest are data-sheet values (unverified against
 * a stored source), used to scale profiles the table below does not fit and to place the compute roof.
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

/** Dense BF16 peak assumed for a GPU model the table does not know (H100's). */
const DEFAULT_FLOPS = 989e12

const US = 1e-6
/** Llama-3.1-8B (and Llama-3-8B, same architecture) fitted coefficients a–d, per GPU (see the header). */
const LLAMA_8B: Record<string, Omit<StepCoefficients, 'e'>> = {
  'H100-80GB': {a: 5752.7 * US, b: 17.25 * US, c: 6.0 * US, d: 131072 / 3.35e12},
  'A100-80GB': {a: 16441.5 * US, b: 47.84 * US, c: 18.21 * US, d: 131072 / 2.039e12},
}
const LLAMA_8B_KV_BYTES = 131072
/** 8.03 B parameters × 2 bytes (bf16) = 16.06 GB = 14.96 GiB. */
const LLAMA_8B_WEIGHTS_GIB = 14.96

const BASES: Record<
  string,
  {
    coefficients: Record<string, Omit<StepCoefficients, 'e'>>
    paramsB: number
    kvBytesPerToken: number
    weightsGiB: number
  }
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
function baseCoefficients(base: (typeof BASES)[string], gpu: string): Omit<StepCoefficients, 'e'> {
  const fitted = base.coefficients[gpu]
  if (fitted) return fitted
  const reference = base.coefficients['H100-80GB'] as Omit<StepCoefficients, 'e'>
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
  const paramsB = spec.paramsB ?? base.paramsB
  // The compute roof of one whole GPU: 2 FLOPs per parameter per token at the sustained share of the dense peak.
  const roof =
    explicit?.e !== undefined
      ? explicit.e * US
      : (2 * paramsB * 1e9) / ((GPU_SPECS[gpu]?.flops ?? DEFAULT_FLOPS) * (spec.computeEfficiency ?? 1))
  let k: StepCoefficients
  if (explicit) {
    k = {a: explicit.a * US, b: explicit.b * US, c: explicit.c * US, d: explicit.d * US, e: roof}
  } else {
    const fitted = baseCoefficients(base, gpu)
    // A bigger model reads proportionally more weights per step and does proportionally more work per token.
    const scale = paramsB / base.paramsB
    const kvScale = (spec.kvBytesPerToken ?? base.kvBytesPerToken) / base.kvBytesPerToken
    k = {a: fitted.a * scale, b: fitted.b * scale, c: fitted.c * scale, d: fitted.d * kvScale, e: roof}
  }
  const kvBytesPerToken = spec.kvBytesPerToken ?? base.kvBytesPerToken
  const weightsGiB = spec.weightsGiB ?? (base.weightsGiB * (spec.paramsB ?? base.paramsB)) / base.paramsB
  const gpus = Math.max(1, options.gpus ?? 1)
  let memoryMiB = (info?.memoryMiB ?? 81920) * gpus
  let bandwidth = (GPU_SPECS[gpu]?.bandwidth ?? 2e12) * gpus
  if (gpus > 1) {
    // Tensor parallel over whole GPUs: every term splits across them (ideal scaling; TP's all-reduce is ignored).
    k = {a: k.a / gpus, b: k.b / gpus, c: k.c / gpus, d: k.d / gpus, e: k.e / gpus}
  }
  if (options.migProfile) {
    const profile = findMigProfile(gpu, options.migProfile)
    if (!profile || !info) throw new Error(`${gpu} has no MIG profile ${options.migProfile}`)
    const memShare = profile.memorySlices / info.memorySlices
    const computeShare = profile.computeSlices / info.computeSlices
    k = {a: k.a / memShare, b: k.b / computeShare, c: k.c / computeShare, d: k.d / memShare, e: k.e / computeShare}
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

/**
 * Seconds one engine step takes: the fitted step, or the compute roof when the batch's tokens need longer (the
 * one step rule; the replica's decode runs, the fluid model and capacity at SLO all derive from it).
 */
export function stepSeconds(
  k: StepCoefficients,
  prefillTokens: number,
  decodeTokens: number,
  kvTokens: number,
): number {
  // Compute terms, then memory terms: the order stepActivity has always summed them in (bit-identical steps).
  const fitted = k.b * prefillTokens + k.c * decodeTokens + (k.a + k.d * kvTokens)
  return Math.max(fitted, k.e * (prefillTokens + decodeTokens))
}

/**
 * How a step's time splits, for DCGM activity: seconds the SMs are busy and seconds DRAM streams. What the compute
 * roof adds over the fitted step is compute time, so a step deep past the knee reads SM activity near 1.
 */
export function stepActivity(
  profile: ServingProfile,
  prefillTokens: number,
  decodeTokens: number,
  kvTokens: number,
): {step: number; sm: number; dram: number} {
  const k = profile.coefficients
  const compute = k.b * prefillTokens + k.c * decodeTokens
  const memory = k.a + k.d * kvTokens
  const step = stepSeconds(k, prefillTokens, decodeTokens, kvTokens)
  const bytes = profile.weightsGiB * 2 ** 30 + kvTokens * profile.kvBytesPerToken
  return {
    step,
    sm: compute + memory * profile.memoryPhaseSmActivity + (step - compute - memory),
    dram: Math.min(step, bytes / profile.memoryBandwidth),
  }
}
