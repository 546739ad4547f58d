import {parseConfig} from '../../../src/core/config/load.js'
import type {PolicyConfig} from '../../../src/core/model/config.js'
import {parseTimestamp} from '../../../src/core/model/duration.js'
import {Twin, type TwinModelSpec, type TwinOptions} from '../../../src/core/twin/twin.js'

export const START = parseTimestamp('2026-11-28T00:00:00Z') as number

const toleration = [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}]
const taint = [{key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule'}]

/** A policy config from file-format groups and models (normalized by the same code as user files). */
export function policy(
  groups: Array<Record<string, unknown>>,
  models: Array<Record<string, unknown>>,
  settings: Record<string, unknown> = {},
): PolicyConfig {
  const raw = {
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'ScalingPolicy',
    metadata: {name: 'twin-test'},
    settings,
    nodeGroups: groups.map((g) => ({taints: taint, hourlyCost: 4, ...g})),
    models: models.map((m) => ({
      workload: {kind: 'Deployment', namespace: 'llm', name: m.name},
      replicas: {min: 1, max: 8},
      weights: {sizeGiB: 16, loadGiBps: 0.5},
      tolerations: toleration,
      signals: [{name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', target: 40}],
      ...m,
    })),
  }
  const {config, problems} = parseConfig(JSON.stringify(raw), '<test>')
  if (!config) throw new Error(problems.map((p) => p.message).join('; '))
  return config
}

/** One group of `gpu` nodes and one model on it, no load unless given. */
export function singleModelTwin(options: {
  gpu?: string
  gpus?: number
  group?: Record<string, unknown>
  model?: Record<string, unknown>
  spec?: Partial<TwinModelSpec>
  twin?: Partial<TwinOptions>
}): Twin {
  const config = policy(
    [
      {
        name: 'pool',
        gpu: {model: options.gpu ?? 'H100-80GB', count: options.gpus ?? 1},
        max: 8,
        coldStart: {provisioning: '120s', driverInit: '60s', imagePull: '30s'},
        ...options.group,
      },
    ],
    [{name: 'llama', gpu: {count: 1}, ...options.model}],
  )
  return new Twin({
    config,
    start: START,
    seed: 7,
    models: [
      {name: 'llama', load: {arrivals: {kind: 'none'}, input: {mean: 1155}, output: {mean: 211}}, ...options.spec},
    ],
    ...options.twin,
  })
}
