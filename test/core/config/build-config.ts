/**
 * A small valid config in the file format, and a way to change one thing in it, so each test row states only the
 * difference it is about.
 */
import {stringify} from 'yaml'

import {parseConfig, type ParseResult} from '../../../src/core/config/load.js'

export type RawDoc = Record<string, unknown> & {
  settings: Record<string, unknown>
  nodeGroups: Array<Record<string, unknown>>
  models: Array<Record<string, unknown>>
}

export function buildRawConfig(): RawDoc {
  return {
    apiVersion: 'gpu-scale.dev/v1alpha1',
    kind: 'ScalingPolicy',
    metadata: {name: 'test'},
    settings: {},
    nodeGroups: [
      {
        name: 'standard',
        gpu: {model: 'A100-80GB', count: 1},
        max: 5,
        taints: [{key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule'}],
        coldStart: {provisioning: '120s', driverInit: '60s', imagePull: '30s'},
      },
    ],
    models: [
      {
        name: 'llama-8b',
        workload: {namespace: 'llm'},
        replicas: {min: 1, max: 4},
        gpu: {count: 1},
        weights: {sizeGiB: 16, loadGiBps: 0.5},
        tolerations: [{key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule'}],
        signals: [{name: 'gpu-util', metric: 'DCGM_FI_DEV_GPU_UTIL', source: 'gpu', target: 40}],
      },
    ],
  }
}

/** Parses the base config after `change` edited it. */
export function parseChanged(change: (raw: RawDoc) => void = () => {}): ParseResult {
  const raw = buildRawConfig()
  change(raw)
  return parseConfig(stringify(raw), 'test.yaml')
}

/** `code@path` of every problem of one severity: compact to compare in tables. */
export function listProblems(result: ParseResult, severity?: 'error' | 'warning'): string[] {
  return result.problems
    .filter((p) => !severity || p.severity === severity)
    .map((p) => `${p.code}@${p.location.path ?? ''}`)
}

export function at<T>(list: T[] | undefined, index: number): T {
  const item = list?.[index]
  if (item === undefined) throw new Error(`no item ${index}`)
  return item
}
