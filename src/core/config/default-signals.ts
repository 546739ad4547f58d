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
 * Why 10 minutes and not HPA's 5, although the capacity-at-SLO signal is proportional to load: ski-rental says keep
 * a replica through a dip no longer than its cold start, and a GPU node stays settings.scaleDown.unneededTime (10
 * minutes by default; the node layer may shorten it to about a cold start in predictive mode), but load is not a
 * single dip. 5 minutes used 3–6% fewer GPU-hours on the public traces and lifted GenAI from 99.1% to 99.8%, yet on
 * on/off bursts (20-minute gaps, test/services/simulate-trace.test.ts) it let the fleet fall to one replica before
 * each burst (48% attainment against hpa-gpu-util's 56%; 65% at 10 minutes), lost 4.7 points on Azure code, and
 * flapped a one-replica 70B model 10 times in 2 hours on the seed scenario (1 at 10 minutes). 3 minutes (the
 * bench's cold start) flapped 11–41 times per trace (bench/decision-quality.ts; README's decision-quality section).
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

/**
 * The share of its capacity at SLO each replica is sized to: headroom for the load's rise within the minutes a new
 * replica takes, and for the fit's error. On the public traces 0.9 lost 2–5 points of attainment to the minute
 * bursts a 180 s cold start cannot follow; 0.75 cost 2–4% more GPU-hours than 0.8 for less than a point
 * (bench/decision-quality.ts).
 */
export const CAPACITY_TARGET_SHARE = 0.8
/**
 * The KV cache's target while the capacity at SLO is known: a guard, not a sizer. It fills convexly with load, so 0.5
 * is about 90% of a replica's capacity on chat traffic (0.44 on Azure conv, 0.52 on Mooncake, in the twin's fluid
 * model), above the 80% the sizer aims at: it adds replicas only when the sizer is behind. 0.8 (llm-d WVA's
 * kvCacheThreshold) came too late on GenAI (98.2% attainment against 99.7%), 0.4 cost GPU-hours for nothing.
 */
export const KV_GUARD_TARGET = 0.5
/** The step law is fitted over 30 minutes: long enough for the load to have moved, short against a day. */
export const CAPACITY_FIT_WINDOW_SECONDS = 1800

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
        name: `${DEFAULT_SIGNAL_PREFIX}capacity-at-slo`,
        metric: VLLM.requestSuccess,
        source: 'pod',
        targetType: 'Value',
        target: CAPACITY_TARGET_SHARE,
        windowSeconds: CAPACITY_FIT_WINDOW_SECONDS,
        aggregation: 'avg',
        capacityAtSlo: true,
      },
      reason:
        "the one signal proportional to load: the serving replicas' request rate over the last minute against what one replica serves at SLO, learned from their own telemetry (the step time against load, the batch the KV cache holds, settings.slo.tpot), each replica sized to 80% of it; the other defaults are guards against saturation",
      source:
        "rate(vllm:request_success_total), vllm:inter_token_latency_seconds_sum/_count, vllm:generation_tokens_total, vllm:num_requests_running, vllm:kv_cache_usage_perc; replicas = ceil(load ÷ throughput per replica at SLO) as in Dynamo's SLA planner",
    },
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
        guardTarget: KV_GUARD_TARGET,
      },
      reason:
        "the KV cache is the share of a replica's batch room in use, and vLLM preempts running requests when it is full; it fills faster than load grows (the batch and each step both grow), so 30% is about 80% of a replica's throughput on chat traffic, headroom for the minutes a new replica takes: it sizes the count only until the capacity at SLO is known, then guards at 50% (about 90% of capacity), since as a sizer it asked for 1.7× the replicas near capacity",
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
