import {readFileSync} from 'node:fs'

import {parseConfig} from '../../../src/core/config/load.js'
import type {PolicyConfig} from '../../../src/core/model/config.js'
import {parseScenario, type LogEntry, type TwinOptions, type TwinScenario} from '../../../src/core/twin/index.js'
import {policy, START} from '../twin/helpers.js'

export {policy, START}

const coldStart = {provisioning: '120s', driverInit: '60s', imagePull: '30s'}

/** One H100 group (max `max`) and one whole-GPU model scaled on its queue, under `arrivals`. */
export function queueFleet(options: {
  max?: number
  initialNodes?: number
  arrivals: NonNullable<TwinOptions['models'][number]['load']['arrivals']>
  seed?: number
  settings?: Record<string, unknown>
  spot?: boolean
}): TwinOptions {
  const config = policy(
    [
      {
        name: 'pool',
        gpu: {model: 'H100-80GB', count: 1},
        max: options.max ?? 4,
        coldStart,
        ...(options.spot ? {capacityType: 'spot'} : {}),
      },
    ],
    [
      {
        name: 'llama',
        gpu: {count: 1},
        replicas: {min: 1, max: 4},
        signals: [{name: 'queue', metric: 'vllm:num_requests_waiting', target: 4, window: '1m'}],
      },
    ],
    options.settings,
  )
  return {
    config,
    start: START,
    seed: options.seed ?? 7,
    initialNodes: {pool: options.initialNodes ?? 1},
    models: [{name: 'llama', load: {arrivals: options.arrivals, input: {mean: 1155}, output: {mean: 211}}}],
  }
}

export function loadScenario(name: string): TwinScenario {
  const {scenario, problems} = parseScenario(readFileSync(`examples/scenarios/${name}.yaml`, 'utf8'), name)
  if (!scenario) throw new Error(problems.map((p) => p.message).join('; '))
  return scenario
}

/** A policy from examples/ through the product's own loader (defaults filled in, as `-c FILE` would). */
export function loadExampleConfig(file: string): PolicyConfig {
  const {config, problems} = parseConfig(readFileSync(`examples/${file}`, 'utf8'), `examples/${file}`)
  if (!config) throw new Error(problems.map((p) => p.message).join('; '))
  return config
}

/** Infra events of one type from the log. */
export function eventsOf<T extends LogEntry['type']>(
  log: readonly LogEntry[],
  type: T,
): Array<Extract<LogEntry, {type: T}>> {
  return log.filter((e): e is Extract<LogEntry, {type: T}> => e.type === type)
}
