import {readFileSync} from 'node:fs'

import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import {at, listProblems, parseChanged, type RawDoc} from './build-config.js'

type Row = {reason: string; change: (raw: RawDoc) => void; expected: string[]}

const model = (raw: RawDoc, i = 0): Record<string, unknown> => at(raw.models, i)
const group = (raw: RawDoc, i = 0): Record<string, unknown> => at(raw.nodeGroups, i)
const secondModel = (raw: RawDoc, changes: Record<string, unknown> = {}): void => {
  raw.models.push({
    ...structuredClone(model(raw)),
    name: 'other',
    workload: {namespace: 'llm', name: 'other'},
    ...changes,
  })
}

describe('semantic errors', () => {
  test.each<Row>([
    {reason: 'the base config has no problems', change: () => {}, expected: []},
    {
      reason: 'model min above max',
      change: (raw) => (model(raw).replicas = {min: 5, max: 4}),
      expected: ['MinAboveMax@models[0].replicas.min'],
    },
    {reason: 'model min equal to max is fine', change: (raw) => (model(raw).replicas = {min: 4, max: 4}), expected: []},
    {
      reason: 'a TPOT target of 0 that no request can meet',
      change: (raw) => (raw.settings.slo = {tpot: '0s'}),
      expected: ['SloUnreachable@settings.slo.tpot'],
    },
    {
      reason: 'group min above max',
      change: (raw) => Object.assign(group(raw), {min: 6, max: 5}),
      expected: ['MinAboveMax@nodeGroups[0].min'],
    },
    {
      reason: 'group min equal to max is fine',
      change: (raw) => Object.assign(group(raw), {min: 5, max: 5}),
      expected: [],
    },
    {
      reason: 'two models with one name',
      change: (raw) => secondModel(raw, {name: 'llama-8b'}),
      expected: ['DuplicateName@models[1].name'],
    },
    {reason: 'two models with distinct names and workloads', change: (raw) => secondModel(raw), expected: []},
    {
      reason: 'two models scaling one workload',
      change: (raw) => secondModel(raw, {workload: {namespace: 'llm', name: 'llama-8b'}}),
      expected: ['DuplicateName@models[1].workload'],
    },
    {
      reason: 'two node groups with one name',
      change: (raw) => raw.nodeGroups.push(structuredClone(group(raw))),
      expected: ['DuplicateName@nodeGroups[1].name'],
    },
    {
      reason: 'two signals with one name',
      change: (raw) =>
        (model(raw).signals = [
          {name: 's', metric: 'a', target: 1},
          {name: 's', metric: 'b', target: 2},
        ]),
      expected: ['DuplicateName@models[0].signals[1].name'],
    },
    {
      reason: 'no signals on a model that scales',
      change: (raw) => (model(raw).signals = []),
      expected: ['MissingSignals@models[0].signals'],
    },
    {
      reason: 'no signals on a fixed-size model is fine',
      change: (raw) => Object.assign(model(raw), {signals: [], replicas: {min: 2, max: 2}}),
      expected: [],
    },
    {
      reason: 'MIG config on a GPU without MIG',
      change: (raw) => Object.assign(group(raw), {gpu: {model: 'L4'}, migConfigs: ['all-balanced']}),
      expected: ['MigNotSupported@nodeGroups[0].migConfigs[0]'],
    },
    {
      reason: 'a profile the GPU does not have',
      change: (raw) => (group(raw).migConfigs = ['all-disabled', 'all-3g.20gb']),
      expected: ['UnknownMigConfig@nodeGroups[0].migConfigs[1]'],
    },
    {
      reason: 'MIG needs with migStrategy none',
      change: (raw) => {
        raw.settings.migStrategy = 'none'
        model(raw).gpu = {migProfile: '3g.40gb'}
        group(raw).migConfigs = ['all-3g.40gb']
      },
      expected: ['MigStrategyNone@models[0].gpu.migProfile'],
    },
  ])('$reason', ({change, expected}) => {
    expect(listProblems(parseChanged(change))).toEqual(expected)
  })

  test.each<Row>([
    {
      reason: 'single strategy: a MIG profile cannot be requested, the pod gets any slice',
      change: (raw) => {
        raw.settings.migStrategy = 'single'
        model(raw).gpu = {migProfile: '3g.40gb'}
        group(raw).migConfigs = ['all-3g.40gb']
      },
      expected: ['MigProfileUnderSingleStrategy@models[0].gpu.migProfile'],
    },
    {
      reason: 'single strategy: a whole-GPU model eligible for a MIG-enabled group may get a slice',
      change: (raw) => {
        raw.settings.migStrategy = 'single'
        group(raw).migConfigs = ['all-disabled', 'all-3g.40gb']
      },
      expected: ['WholeGpuMayGetSlice@models[0].gpu'],
    },
    {
      reason: 'single strategy with MIG disabled everywhere is fine',
      change: (raw) => (raw.settings.migStrategy = 'single'),
      expected: [],
    },
    {
      reason: 'a group the scheduler may use whose GPUs are too small for the weights',
      change: (raw) => {
        model(raw).kvCacheGiB = 20
        raw.nodeGroups.push({...structuredClone(group(raw)), name: 'small', gpu: {model: 'L4', count: 1}, labels: {}})
      },
      expected: ['SchedulableOnTooSmallGpu@models[0].nodeSelector'],
    },
    {
      reason: 'a too-small group the nodeSelector keeps the model off is fine',
      change: (raw) => {
        model(raw).kvCacheGiB = 20
        model(raw).nodeSelector = {pool: 'a100'}
        group(raw).labels = {pool: 'a100'}
        raw.nodeGroups.push({...structuredClone(group(raw)), name: 'small', gpu: {model: 'L4', count: 1}, labels: {}})
      },
      expected: [],
    },
    {
      reason: 'mixed strategy: whole GPUs and slices are different resources',
      change: (raw) => {
        raw.settings.migStrategy = 'mixed'
        group(raw).migConfigs = ['all-disabled', 'all-3g.40gb']
      },
      expected: [],
    },
  ])('warning: $reason', ({change, expected}) => {
    expect(listProblems(parseChanged(change), 'warning')).toEqual(expected)
  })

  test('a custom mig-parted config is a warning: gpu-scale cannot see its profiles', () => {
    expect(
      listProblems(
        parseChanged((raw) => (group(raw).migConfigs = ['all-disabled', 'my-layout'])),
        'warning',
      ),
    ).toEqual(['UnresolvedMigConfig@nodeGroups[0].migConfigs[1]'])
  })
})

describe('a model no node group can run would stay pending forever', () => {
  test.each<Row & {says?: string}>([
    {
      reason: 'an untolerated taint',
      change: (raw) => (model(raw).tolerations = []),
      expected: ['Unschedulable@models[0].gpu'],
      says: 'taint nvidia.com/gpu=true:NoSchedule',
    },
    {
      reason: 'a toleration with operator Exists fits',
      change: (raw) => (model(raw).tolerations = [{operator: 'Exists'}]),
      expected: [],
    },
    {
      reason: 'a node selector no group matches',
      change: (raw) => (model(raw).nodeSelector = {pool: 'large'}),
      expected: ['Unschedulable@models[0].gpu'],
      says: 'nodeSelector pool=large',
    },
    {
      reason: 'a node selector the group labels match',
      change: (raw) => {
        model(raw).nodeSelector = {pool: 'large'}
        group(raw).labels = {pool: 'large'}
      },
      expected: [],
    },
    {
      reason: 'more GPUs per replica than a node has',
      change: (raw) => (model(raw).gpu = {count: 2}),
      expected: ['Unschedulable@models[0].gpu'],
      says: 'needs 2 GPUs on one node',
    },
    {
      reason: 'weights and KV cache larger than the GPU',
      change: (raw) => (model(raw).kvCacheGiB = 70),
      expected: ['Unschedulable@models[0].gpu'],
      says: 'needs 86 GiB',
    },
    {
      reason: 'a MIG profile no allowed config provides',
      change: (raw) => (model(raw).gpu = {migProfile: '3g.40gb'}),
      expected: ['Unschedulable@models[0].gpu'],
      says: 'no allowed MIG config of standard (all-disabled) provides it',
    },
    {
      reason: 'a MIG profile all-balanced provides',
      change: (raw) => {
        model(raw).gpu = {migProfile: '2g.20gb'}
        group(raw).migConfigs = ['all-disabled', 'all-balanced']
      },
      expected: [],
    },
    {
      reason: 'a MIG profile all-<profile> provides',
      change: (raw) => {
        model(raw).gpu = {migProfile: '3g.40gb'}
        group(raw).migConfigs = ['all-3g.40gb']
      },
      expected: [],
    },
    {
      reason: 'a critical model and only spot capacity',
      change: (raw) => {
        model(raw).critical = true
        group(raw).capacityType = 'spot'
      },
      expected: ['Unschedulable@models[0].gpu'],
      says: 'critical',
    },
  ])('$reason', ({change, expected, says}) => {
    const result = parseChanged(change)
    expect(listProblems(result)).toEqual(expected)
    if (says) {
      expect(result.problems[0]?.message).toContain(says)
      expect(result.problems[0]?.message).toMatch(/would stay pending forever$/)
    }
  })

  test('lists every group with its own reasons', () => {
    const result = parseChanged((raw) => {
      raw.nodeGroups.push({name: 'large', gpu: {model: 'H100-80GB', count: 4}, max: 3, labels: {pool: 'large'}})
      model(raw).nodeSelector = {pool: 'other'}
    })
    const message = result.problems[0]?.message ?? ''
    expect(message).toContain('standard: group standard labels do not match nodeSelector pool=other')
    expect(message).toContain('large: group large labels do not match nodeSelector pool=other')
  })
})

describe('semantic warnings: configs that work, badly', () => {
  test.each<Row>([
    {
      reason: 'max replicas beyond what eligible groups reach at max',
      change: (raw) => (group(raw).max = 3),
      expected: ['CapacityBelowMaxReplicas@models[0].replicas.max'],
    },
    {reason: 'max replicas exactly reachable', change: (raw) => (group(raw).max = 4), expected: []},
    {
      reason: 'MIG instances per GPU count toward capacity',
      change: (raw) => {
        group(raw).max = 1
        group(raw).migConfigs = ['all-3g.40gb']
        model(raw).gpu = {migProfile: '3g.40gb'}
        model(raw).replicas = {min: 1, max: 3}
      },
      expected: ['CapacityBelowMaxReplicas@models[0].replicas.max'],
    },
    {
      reason: 'two 3g instances per GPU hold two replicas',
      change: (raw) => {
        group(raw).max = 1
        group(raw).migConfigs = ['all-3g.40gb']
        model(raw).gpu = {migProfile: '3g.40gb'}
        model(raw).replicas = {min: 1, max: 2}
      },
      expected: [],
    },
    {
      reason: 'health-check grace shorter than size ÷ speed',
      change: (raw) => (model(raw).weights = {sizeGiB: 60, loadGiBps: 0.25}),
      expected: ['GraceShorterThanLoad@models[0].healthCheckGrace'],
    },
    {
      reason: 'health-check grace shorter than a measured loadTime (which wins over size ÷ speed)',
      change: (raw) => (model(raw).weights = {sizeGiB: 1, loadGiBps: 10, loadTime: '4m'}),
      expected: ['GraceShorterThanLoad@models[0].healthCheckGrace'],
    },
    {
      reason: 'health-check grace covering the load',
      change: (raw) => Object.assign(model(raw), {weights: {sizeGiB: 60, loadGiBps: 0.25}, healthCheckGrace: '240s'}),
      expected: [],
    },
    {
      reason: 'scale-down stabilization shorter than node cold start',
      change: (raw) => (model(raw).behavior = {scaleDown: {stabilizationWindow: '60s'}}),
      expected: ['StabilizationShorterThanColdStart@models[0].behavior.scaleDown.stabilizationWindow'],
    },
    {
      reason: 'scale-down stabilization equal to cold start',
      change: (raw) => (model(raw).behavior = {scaleDown: {stabilizationWindow: '210s'}}),
      expected: [],
    },
    {
      reason: 'scale-down disabled never oscillates',
      change: (raw) => (model(raw).behavior = {scaleDown: {stabilizationWindow: '0s', selectPolicy: 'Disabled'}}),
      expected: [],
    },
    {
      reason: 'budget below the sum of model minimums',
      change: (raw) => {
        raw.settings.budget = {maxGpus: 1}
        secondModel(raw)
      },
      expected: ['BudgetBelowMinimums@settings.budget.maxGpus'],
    },
    {
      reason: 'budget equal to the sum of model minimums',
      change: (raw) => {
        raw.settings.budget = {maxGpus: 2}
        secondModel(raw)
      },
      expected: [],
    },
    {
      reason: 'legacyHpaBehavior without algorithm hpa is ignored',
      change: (raw) => (model(raw).legacyHpaBehavior = true),
      expected: ['LegacyHpaBehaviorIgnored@models[0].legacyHpaBehavior'],
    },
    {
      reason: 'legacyHpaBehavior with algorithm hpa',
      change: (raw) => Object.assign(model(raw), {legacyHpaBehavior: true, algorithm: 'hpa'}),
      expected: [],
    },
    {
      reason: 'scaleToZero with replicas.min above zero',
      change: (raw) => (model(raw).scaleToZero = {idleTime: '15m'}),
      expected: ['ScaleToZeroUnreachable@models[0].scaleToZero'],
    },
    {
      reason: 'a per-token target at or above the whole request latency target contradicts it',
      change: (raw) => (raw.settings.slo = {p95Latency: '2s', tpot: '2s'}),
      expected: ['TpotAboveLatency@settings.slo.tpot'],
    },
    {
      reason: 'a per-token target far below the request latency target',
      change: (raw) => (raw.settings.slo = {p95Latency: '30s', tpot: '100ms'}),
      expected: [],
    },
  ])('$reason', ({change, expected}) => {
    const result = parseChanged(change)
    expect(listProblems(result)).toEqual(expected)
    expect(result.problems.every((p) => p.severity === 'warning')).toBe(true)
    // Warnings never withhold the config.
    expect(result.config).toBeDefined()
  })

  test('the stabilization warning says which group and how long its cold start is', () => {
    const result = parseChanged((raw) => (model(raw).behavior = {scaleDown: {stabilizationWindow: '1m'}}))
    expect(result.problems[0]?.message).toContain(
      "node group standard's cold start 3m30s (provisioning 2m + driver init 1m + image pull 30s)",
    )
  })

  test('a warning at a defaulted field points at the nearest written ancestor', () => {
    const result = parseChanged((raw) => (model(raw).weights = {sizeGiB: 60, loadGiBps: 0.25}))
    const location = result.problems[0]?.location
    expect(location?.path).toBe('models[0].healthCheckGrace')
    // healthCheckGrace is not written, so the location is the model's mapping (its first key).
    expect(location?.line).toBeGreaterThan(0)
  })
})

describe('the shipped examples', () => {
  const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8')

  test('seed-production is valid with no warnings', () => {
    const result = parseConfig(read('examples/seed-production.yaml'), 'examples/seed-production.yaml')
    expect(result.problems).toEqual([])
    expect(
      result.config?.models.map((m) => [m.name, m.replicas, m.healthCheckGraceSeconds, m.terminationGraceSeconds]),
    ).toEqual([
      ['llama-8b', {min: 1, max: 4}, 180, 600],
      ['llama-70b', {min: 1, max: 4}, 180, 600],
    ])
    expect(result.config?.nodeGroups.map((g) => [g.name, g.capacityType, g.min, g.max])).toEqual([
      ['standard', 'on-demand', 0, 5],
      ['large', 'spot', 0, 3],
    ])
    expect(result.config?.models.flatMap((m) => m.signals.map((s) => [s.metric, s.target, s.windowSeconds]))).toEqual([
      ['DCGM_FI_DEV_GPU_UTIL', 40, 180],
      ['DCGM_FI_DEV_GPU_UTIL', 40, 180],
    ])
  })

  test.each([
    {
      reason: 'misspelled fields and a duration in words',
      file: 'examples/invalid/unknown-fields.yaml',
      expected: [
        'UnknownField@models[0].replica',
        'UnknownField@models[0].signals[0].tagret',
        'InvalidValue@models[0].signals[0].window',
      ],
    },
    {
      reason: 'a model no group can run',
      file: 'examples/invalid/pending-forever.yaml',
      expected: ['Unschedulable@models[0].gpu'],
    },
  ])('invalid example: $reason', ({file, expected}) => {
    const result = parseConfig(read(file), file)
    expect(result.config).toBeUndefined()
    expect(listProblems(result)).toEqual(expected)
  })
})
