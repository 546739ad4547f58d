/**
 * gpu-scale's multi-signal defaults: what a model scales on when its config names no `signals:` (or says
 * `signals: default`). Defined once, here; normalization (./normalize.ts) fills them in, `validate` lists them and
 * plans show them by name (every default's name starts with `default-`).
 *
 * Why these and not GPU utilization: `DCGM_FI_DEV_GPU_UTIL` is the fraction of time any kernel ran, so one request
 * keeps it near 100% and a utilization target asks for replicas whatever the load (NVIDIA/dcgm-exporter#301;
 * reference: serving-performance-facts.md "GPU utilization is misleading"), and it does not exist on MIG slices
 * (NVIDIA/DCGM#80). What an inference server's users feel is the queue, the latency against the SLO and the KV
 * cache running out, so those drive replicas; a GPU metric is kept as a secondary signal only: it may hold
 * replicas whose memory bandwidth is busy, never add one by itself.
 *
 * The metrics are vLLM's (vllm/v1/metrics/loggers.py) and dcgm-exporter's; a server that exports other names
 * (Triton, TGI) should list its own signals.
 */
import type {ScalingRules, SignalConfig, Settings} from '../model/config.js'
import {DCGM, VLLM} from '../signals/metric-names.js'

/** Every default's name starts with this, so a plan's proposals say which signals were defaulted. */
export const DEFAULT_SIGNAL_PREFIX = 'default-'

export interface DefaultSignal {
  signal: SignalConfig
  /** Why this signal and this target. */
  reason: string
  /** Where the metric and the number come from. */
  source: string
}

/**
 * How a model on the default signals scales down when its config sets no `behavior.scaleDown`: to the highest
 * recommendation of the last 10 minutes, by at most 10% of the replicas (or 1) per minute.
 *
 * Why small steps: none of the default signals is proportional to load. Running requests, KV-cache use and latency
 * all grow faster than load as a replica nears its capacity (each step lasts longer as the batch grows), so at a
 * third of capacity they read far below their targets and HPA's one-step rule cut 64 replicas to 4, which then
 * queued and cost a 180 s cold start to undo (bench/decision-quality.ts: 64→4→64 every ten minutes on the Azure
 * conv trace). Small steps let the signals re-measure at each count; the Pods policy keeps small deployments able
 * to shrink (10% of 9 rounds to nothing).
 *
 * Why 10 minutes and not HPA's 5: a GPU node stays until it has been unneeded for settings.scaleDown.unneededTime
 * (10 minutes by default, Cluster Autoscaler's), so a replica removed sooner frees no GPU-hour yet, and bringing it
 * back costs a cold start. On the public traces the longer window cut flaps from 8–36 to 1–15 per trace and used
 * fewer GPU-hours (bench/decision-quality.ts; the README's decision-quality section has the table).
 */
export const DEFAULT_SIGNALS_SCALE_DOWN: ScalingRules = {
  stabilizationWindowSeconds: 600,
  selectPolicy: 'Max',
  policies: [
    {type: 'Percent', value: 10, periodSeconds: 60},
    {type: 'Pods', value: 1, periodSeconds: 60},
  ],
  tolerance: 0.1,
  cooldownSeconds: 0,
}

/** Why a default was left out of a model's set (its SLO is not configured). */
export interface OmittedDefault {
  name: string
  reason: string
}

export interface DefaultSignalSet {
  defaults: DefaultSignal[]
  omitted: OmittedDefault[]
}

/**
 * The defaults for a config's settings, in the order a plan lists them. The latency and TTFT signals need the SLO
 * they hold (`settings.slo.p95Latency`, `settings.slo.ttft`); without it they are omitted, and said so.
 */
export function listDefaultSignals(settings: Pick<Settings, 'slo'>): DefaultSignalSet {
  const defaults: DefaultSignal[] = [
    {
      signal: {
        name: `${DEFAULT_SIGNAL_PREFIX}queue-depth`,
        metric: VLLM.waiting,
        source: 'pod',
        targetType: 'AverageValue',
        target: 5,
        windowSeconds: 60,
        aggregation: 'avg',
        capacityView: true,
      },
      reason:
        'requests waiting per replica is the load a replica cannot take yet: it rises before latency does and falls to zero when capacity is enough; 5 per replica, averaged over 1 minute so one batch does not add a replica; a backlog asks for no more replicas than would run it at the batch the serving replicas run now',
      source:
        'vllm:num_requests_waiting ("the primary queue signal", vllm/v1/metrics/loggers.py); threshold 5 per replica from KEDA\'s Prometheus-scaler example for vLLM',
    },
  ]
  const omitted: OmittedDefault[] = []
  const {p95LatencySeconds, ttftSeconds} = settings.slo
  if (p95LatencySeconds !== undefined)
    defaults.push({
      signal: {
        name: `${DEFAULT_SIGNAL_PREFIX}p95-latency`,
        metric: 'vllm:e2e_request_latency_seconds',
        source: 'pod',
        targetType: 'Value',
        target: p95LatencySeconds,
        windowSeconds: 180,
        aggregation: 'p95',
        quantile: 0.95,
      },
      reason:
        'the p95 end-to-end latency held at settings.slo.p95Latency: the SLO itself, read as Prometheus would over 3 minutes',
      source: 'histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket[3m])))',
    })
  else omitted.push({name: `${DEFAULT_SIGNAL_PREFIX}p95-latency`, reason: 'settings.slo.p95Latency is not set'})
  if (ttftSeconds !== undefined)
    defaults.push({
      signal: {
        name: `${DEFAULT_SIGNAL_PREFIX}p95-ttft`,
        metric: 'vllm:time_to_first_token_seconds',
        source: 'pod',
        targetType: 'Value',
        target: ttftSeconds,
        windowSeconds: 180,
        aggregation: 'p95',
        quantile: 0.95,
      },
      reason:
        'the p95 time to first token held at settings.slo.ttft: queueing shows here first in an interactive service',
      source: 'histogram_quantile(0.95, sum by (le) (rate(vllm:time_to_first_token_seconds_bucket[3m])))',
    })
  else omitted.push({name: `${DEFAULT_SIGNAL_PREFIX}p95-ttft`, reason: 'settings.slo.ttft is not set'})
  defaults.push(
    {
      signal: {
        name: `${DEFAULT_SIGNAL_PREFIX}kv-cache`,
        metric: VLLM.kvCache,
        source: 'pod',
        targetType: 'AverageValue',
        target: 0.3,
        windowSeconds: 60,
        aggregation: 'avg',
      },
      reason:
        "the KV cache is the share of a replica's batch room in use, and vLLM preempts running requests when it is full; it fills faster than load grows (the batch and each step both grow), so 30% is about 80% of a replica's throughput on chat traffic, headroom for the minutes a new replica takes, where 80% is within a few percent of saturation",
      source: 'vllm:kv_cache_usage_perc, a 0–1 fraction (vllm/v1/metrics/loggers.py)',
    },
    {
      signal: {
        name: `${DEFAULT_SIGNAL_PREFIX}gpu-dram-active`,
        metric: DCGM.dramActive,
        source: 'gpu',
        targetType: 'AverageValue',
        target: 0.8,
        windowSeconds: 180,
        aggregation: 'avg',
        secondary: true,
      },
      reason:
        'secondary: decode is memory-bandwidth bound, so DRAM activity above 80% says a replica is busy even when the queue is empty; it holds the count then and abstains below, never adding a replica nor sizing the count (each decode step reads all the weights whatever the batch, so bandwidth is not proportional to load; GPU utilization alone reads ~100% with one request)',
      source: 'DCGM_FI_PROF_DRAM_ACTIVE, 0–1 (dcgm_fields.h, field 1005, dcgm-exporter)',
    },
  )
  return {defaults, omitted}
}
