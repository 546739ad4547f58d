/**
 * The scenarios behind examples/snapshots/: the built-in fleet and the two cases of issue 8 where, before the
 * placement priority was written down, model names decided who got capacity. Each is a snapshot a user can plan
 * with `gpu-scale plan -c <name>.config.yaml --snapshot <name>.snapshot.json`, and each has a golden plan under
 * test (test/golden/plans/). The names are chosen so that name order alone would pick the wrong winner.
 */
import {defaultScenarioBuilder} from './default-scenario.js'
import {scenario, type ScenarioBuilder} from './scenario.js'

const gpuUtil = {name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40, window: '3m'}
const queue = {name: 'queue', metric: 'vllm:num_requests_waiting', source: 'pod', target: 4, window: '3m'}

/** Three 1-GPU nodes, one free GPU; a critical and a batch model each want one more replica. The critical one wins. */
export function criticalVersusBatch(critical = 'z-critical', batch = 'a-batch'): ScenarioBuilder {
  return scenario()
    .named('critical-vs-batch')
    .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 3}, {nodes: 3})
    .model(
      critical,
      {gpu: {count: 1}, critical: true, replicas: {min: 1, max: 2}, signals: [gpuUtil]},
      {replicas: 1, load: {gpuUtil: 80}},
    )
    .model(batch, {gpu: {count: 1}, replicas: {min: 1, max: 2}, signals: [gpuUtil]}, {replicas: 1, load: {gpuUtil: 80}})
}

/**
 * A GPU budget that allows one more node; one model has a Pending pod, the other's queue asks for a new replica.
 * The Pending pod gets the node (existing demand before new replicas).
 */
export function pendingVersusNew(withPending = 'z-pending', withQueue = 'a-queue'): ScenarioBuilder {
  return scenario()
    .named('pending-vs-new')
    .settings({budget: {maxGpus: 3}})
    .nodeGroup('a100', {gpu: {model: 'A100-80GB', count: 1}, max: 4}, {nodes: 2})
    .model(
      withPending,
      {gpu: {count: 1}, replicas: {min: 2, max: 2}, signals: [queue]},
      {replicas: 2, pending: 1, load: {queue: 4}},
    )
    .model(withQueue, {gpu: {count: 1}, replicas: {min: 1, max: 2}, signals: [queue]}, {replicas: 1, load: {queue: 8}})
}

/** Every example, by its file name stem under examples/snapshots/. */
export const EXAMPLE_SCENARIOS: Record<string, () => ScenarioBuilder> = {
  'inference-fleet': defaultScenarioBuilder,
  'critical-vs-batch': () => criticalVersusBatch(),
  'pending-vs-new': () => pendingVersusNew(),
}
