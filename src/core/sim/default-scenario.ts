/**
 * The built-in simulated cluster behind `--sim`: a small inference fleet at a moment where all three layers have
 * work to do, so `gpu-scale plan --sim` shows what the tool is for.
 *
 * - llama-8b (whole A100, `standard` on-demand): queue and GPU load rising for 30 minutes; more replicas than the
 *   free GPUs can host, so the `standard` group scales up (pod + node layers), with cold start in the ETA; the
 *   queue's trend says one more replica will be needed within the ~4 min a node takes, so one more node is warmed
 *   now (predictive scale-up, with its forecast).
 * - embed-bge (MIG 3g.40gb): GPU utilization ~20% but DRAM active ~85%, queue growing and p95 over SLO: memory-
 *   bandwidth bound. Utilization alone would scale it down; latency and queue scale it up, and the new 3g slices
 *   come from repartitioning the idle `mig-pool` node (GPU layer) instead of a new node.
 * - llama-70b (4 × H100 on `large`, spot, max 3): wants another replica but `large` is at max: a blocked change
 *   that says so instead of a pod pending forever.
 * - whisper-small (L4): load far under target: scales down.
 * - `l4-pool` keeps an extra L4 node that has been idle for an hour: removed.
 */
import type {ClusterSnapshot} from '../model/snapshot.js'
import type {PolicyConfig} from '../model/config.js'
import {scenario, type ScenarioBuilder} from './scenario.js'

export const DEFAULT_SCENARIO_NAME = 'inference-fleet'

const gpuUtil = (target: number) => ({
  name: 'gpu-util',
  metric: 'DCGM_FI_DEV_GPU_UTIL',
  source: 'gpu',
  target,
  window: '3m',
})
const queue = (target: number) => ({
  name: 'queue',
  metric: 'vllm:num_requests_waiting',
  source: 'pod',
  target,
  window: '3m',
})
const p95 = (targetSeconds: number) => ({
  name: 'p95-latency',
  metric: 'vllm:e2e_request_latency_seconds',
  source: 'pod',
  target: targetSeconds,
  quantile: 0.95,
  window: '3m',
  aggregation: 'p95',
})

const gpuTaint = [{key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule'}]
const gpuToleration = [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}]

/**
 * Every group is a tainted GPU pool labelled `gpu-scale.dev/pool`, and every model tolerates the taint and selects
 * its pool: the fleet's convention, written once. Keys keep the order of the config file form (`rawConfig()`).
 */
const pool = <T extends object, E extends object>(
  label: string,
  fields: T,
  coldStart: [string, string, string],
  extra?: E,
) => ({
  ...fields,
  taints: gpuTaint,
  labels: {'gpu-scale.dev/pool': label},
  ...extra,
  coldStart: {provisioning: coldStart[0], driverInit: coldStart[1], imagePull: coldStart[2]},
})
const servedFrom = <T extends object, U extends object>(label: string, fields: T, rest: U) => ({
  ...fields,
  tolerations: gpuToleration,
  nodeSelector: {'gpu-scale.dev/pool': label},
  ...rest,
})

export function defaultScenario(): {config: PolicyConfig; snapshot: ClusterSnapshot} {
  return defaultScenarioBuilder().build()
}

/** The builder behind defaultScenario(), for reading its config in file form (`rawConfig()`). */
export function defaultScenarioBuilder(): ScenarioBuilder {
  return scenario()
    .named(DEFAULT_SCENARIO_NAME)
    .at('2026-11-28T12:00:00Z')
    .history(60, 30)
    .settings({
      loopInterval: '30s',
      slo: {p95Latency: '2s'},
      budget: {maxGpus: 40},
      migStrategy: 'mixed',
      expanders: ['least-waste', 'price'],
    })
    .nodeGroup(
      'standard',
      pool(
        'standard',
        {gpu: {model: 'A100-80GB', count: 1}, capacityType: 'on-demand', min: 0, max: 8, hourlyCost: 3.7},
        ['120s', '60s', '30s'],
      ),
      {nodes: 3},
    )
    .nodeGroup(
      'large',
      pool('large', {gpu: {model: 'H100-80GB', count: 4}, capacityType: 'spot', min: 0, max: 3, hourlyCost: 24}, [
        '150s',
        '90s',
        '60s',
      ]),
      {nodes: 3},
    )
    .nodeGroup(
      'mig-pool',
      pool(
        'mig',
        {gpu: {model: 'A100-80GB', count: 2}, capacityType: 'on-demand', min: 0, max: 2, hourlyCost: 7.4},
        ['120s', '90s', '30s'],
        {migConfigs: ['all-3g.40gb', 'all-disabled', 'all-1g.10gb', 'all-balanced']},
      ),
      {nodes: 2, migConfig: ['all-balanced', 'all-1g.10gb']},
    )
    .nodeGroup(
      'l4-pool',
      pool('l4', {gpu: {model: 'L4', count: 1}, capacityType: 'on-demand', min: 0, max: 4, hourlyCost: 0.8}, [
        '90s',
        '45s',
        '20s',
      ]),
      {nodes: 4},
    )
    .model(
      'llama-8b',
      servedFrom(
        'standard',
        {gpu: {count: 1}, replicas: {min: 1, max: 6}, weights: {sizeGiB: 16, loadGiBps: 0.5}, kvCacheGiB: 24},
        {signals: [gpuUtil(40), queue(4)], healthCheckGrace: '180s', terminationGrace: '600s'},
      ),
      {
        replicas: 2,
        load: {
          gpuUtil: (m) => 90 - m * 0.6,
          dramActive: 0.45,
          queue: (m) => Math.max(0, 9.2 - m * 0.3),
          running: 12,
          p95Latency: 1.6,
          requestRate: 4,
        },
      },
    )
    .model(
      'embed-bge',
      servedFrom(
        'mig',
        {gpu: {migProfile: '3g.40gb'}, replicas: {min: 1, max: 6}, weights: {sizeGiB: 2, loadGiBps: 1}, kvCacheGiB: 6},
        {signals: [gpuUtil(40), queue(4), p95(2)], healthCheckGrace: '60s', terminationGrace: '120s'},
      ),
      {
        replicas: 2,
        load: {
          gpuUtil: 20,
          dramActive: 0.86,
          smActive: 0.22,
          queue: (m) => Math.max(0, 11 - m * 0.2),
          running: 16,
          p95Latency: 3.4,
          requestRate: 6,
          kvCache: 0.4,
        },
      },
    )
    .model(
      'llama-70b',
      servedFrom(
        'large',
        {gpu: {count: 4}, replicas: {min: 1, max: 4}, weights: {sizeGiB: 140, loadGiBps: 1.5}, kvCacheGiB: 120},
        {signals: [queue(6), gpuUtil(60)], healthCheckGrace: '300s', terminationGrace: '600s'},
      ),
      {replicas: 3, load: {gpuUtil: 88, dramActive: 0.6, queue: 16, running: 24, p95Latency: 4.2, requestRate: 2}},
    )
    .model(
      'whisper-small',
      servedFrom(
        'l4',
        {gpu: {count: 1}, replicas: {min: 1, max: 4}, weights: {sizeGiB: 1, loadGiBps: 1}, kvCacheGiB: 2},
        {signals: [gpuUtil(50)], healthCheckGrace: '60s', terminationGrace: '60s'},
      ),
      {replicas: 3, load: {gpuUtil: 12, dramActive: 0.05, queue: 0, running: 1, p95Latency: 0.4, requestRate: 1}},
    )
}
