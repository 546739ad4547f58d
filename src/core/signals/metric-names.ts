/**
 * The real exported metric names gpu-scale reads, in one place, with the aliases and fallbacks the exporters force
 * on us. Sources: DCGM field IDs (NVIDIA/DCGM dcgm_fields.h) as dcgm-exporter names them; vLLM
 * (vllm/v1/metrics/loggers.py); Triton (docs/user_guide/metrics.md); TGI (docs/source/reference/metrics.md).
 */

export const DCGM = {
  /** Percent 0–100. Not exported for MIG instances (dcgm-exporter#216): read GR_ENGINE_ACTIVE there. */
  gpuUtil: 'DCGM_FI_DEV_GPU_UTIL',
  /** Ratio 0–1; the MIG-capable utilization signal. */
  grEngineActive: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE',
  smActive: 'DCGM_FI_PROF_SM_ACTIVE',
  smOccupancy: 'DCGM_FI_PROF_SM_OCCUPANCY',
  tensorActive: 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE',
  dramActive: 'DCGM_FI_PROF_DRAM_ACTIVE',
  /** MiB. */
  fbUsed: 'DCGM_FI_DEV_FB_USED',
  fbFree: 'DCGM_FI_DEV_FB_FREE',
  /** Bytes per second (a gauge in dcgm-exporter), headers included. */
  pcieTx: 'DCGM_FI_PROF_PCIE_TX_BYTES',
  pcieRx: 'DCGM_FI_PROF_PCIE_RX_BYTES',
} as const

export const VLLM = {
  waiting: 'vllm:num_requests_waiting',
  running: 'vllm:num_requests_running',
  kvCache: 'vllm:kv_cache_usage_perc',
  /** Deprecated in vLLM 0.9, still exported by older servers. */
  kvCacheLegacy: 'vllm:gpu_cache_usage_perc',
  e2eLatencyBucket: 'vllm:e2e_request_latency_seconds_bucket',
  ttftBucket: 'vllm:time_to_first_token_seconds_bucket',
  requestSuccess: 'vllm:request_success_total',
  generationTokens: 'vllm:generation_tokens_total',
  /** Histogram (`_bucket`, `_sum`, `_count`); vLLM's successor of `vllm:time_per_output_token_seconds`. */
  interTokenLatency: 'vllm:inter_token_latency_seconds',
} as const

export const TRITON = {pending: 'nv_inference_pending_request_count'} as const
export const TGI = {queue: 'tgi_queue_size'} as const

/** Queue-depth gauges of the model servers we know, tried in this order. */
export const QUEUE_METRICS = [VLLM.waiting, TRITON.pending, TGI.queue] as const

/**
 * When a signal's metric has no series, try these instead (value × scale). GPU_UTIL → GR_ENGINE_ACTIVE × 100 is
 * the MIG case; the KV-cache alias covers vLLM before 0.9.
 */
export const METRIC_FALLBACKS: Record<string, {metric: string; scale: number; why: string}> = {
  [DCGM.gpuUtil]: {
    metric: DCGM.grEngineActive,
    scale: 100,
    why: 'DCGM_FI_DEV_GPU_UTIL is absent on MIG slices; read DCGM_FI_PROF_GR_ENGINE_ACTIVE × 100',
  },
  [VLLM.kvCache]: {metric: VLLM.kvCacheLegacy, scale: 1, why: 'older vLLM exports vllm:gpu_cache_usage_perc'},
}

/** Metrics that say how busy the GPU looks: the ones that mislead when the GPU is memory- or transfer-bound. */
export const UTILIZATION_METRICS: ReadonlySet<string> = new Set([
  DCGM.gpuUtil,
  DCGM.grEngineActive,
  DCGM.smActive,
  DCGM.smOccupancy,
  DCGM.tensorActive,
])

/** Metrics whose per-pod value is a level (averaged across a pod's GPUs/engines), not an amount (summed). */
export function isLevelMetric(metric: string): boolean {
  return /UTIL|ACTIVE|OCCUPANCY|_perc$|_ratio$/i.test(metric)
}

/** Histogram bucket series are read as a quantile of their rate over the window, as Prometheus does. */
export function isHistogramMetric(metric: string): boolean {
  return metric.endsWith('_bucket')
}
