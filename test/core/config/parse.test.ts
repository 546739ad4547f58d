import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import {DEFAULT_BEHAVIOR} from '../../../src/core/config/normalize.js'
import {at, listProblems, parseChanged} from './build-config.js'

const HEADER = 'apiVersion: gpu-scale.dev/v1alpha1\nkind: ScalingPolicy\nmetadata: {name: t}\n'
const GROUP = 'nodeGroups:\n  - name: standard\n    gpu: {model: A100-80GB}\n    max: 5\n'
const MODEL = 'models:\n  - name: m\n    replicas: {min: 2, max: 2}\n    gpu: {count: 1}\n'

describe('YAML syntax errors point at line:col', () => {
  test.each([
    {
      reason: 'a duplicate key names the key and points at the second one',
      text: 'a: 1\nb:\n  c: 2\n  c: 3\n',
      code: 'DuplicateKey',
      line: 4,
      column: 3,
      says: 'duplicate key "c"',
    },
    {
      reason: 'an unclosed flow sequence',
      text: 'a: [1,\n',
      code: 'YamlSyntax',
      line: 2,
      column: 1,
      says: 'flow sequence',
    },
    {reason: 'a tab used for indentation', text: 'a:\n\tb: 1\n', code: 'YamlSyntax', line: 2, column: 1, says: 'tab'},
  ])('$reason', ({text, code, line, column, says}) => {
    const result = parseConfig(text, 'f.yaml')
    expect(result.config).toBeUndefined()
    const problem = at(result.problems, 0)
    expect(problem).toMatchObject({severity: 'error', code, location: {file: 'f.yaml', line, column}})
    expect(problem.message.toLowerCase()).toContain(says)
  })

  test('an empty file is one error saying what was expected', () => {
    expect(parseConfig('# nothing\n', 'f.yaml').problems).toMatchObject([
      {code: 'EmptyConfig', message: expect.stringContaining('expected a ScalingPolicy')},
    ])
  })
})

describe('schema errors name the field, its line:col and what was expected', () => {
  test.each([
    {
      reason: 'a misspelled field suggests the known one and points at the key',
      text: HEADER + GROUP + 'models:\n  - name: m\n    replica: {min: 1, max: 1}\n    gpu: {count: 1}\n',
      path: 'models[0].replica',
      line: 10,
      column: 5,
      code: 'UnknownField',
      says: 'did you mean "replicas"?',
    },
    {
      reason: 'an unknown field far from every known one lists the known fields',
      text: HEADER + GROUP + MODEL + 'settings: {zzz: 1}\n',
      path: 'settings.zzz',
      line: 12,
      column: 12,
      code: 'UnknownField',
      says: 'expected one of loopInterval',
    },
    {
      reason: 'a string where an integer belongs',
      text: HEADER + 'nodeGroups:\n  - name: standard\n    gpu: {model: A100-80GB}\n    max: five\n' + MODEL,
      path: 'nodeGroups[0].max',
      line: 7,
      column: 10,
      code: 'WrongType',
      says: 'expected an integer, got "five"',
    },
    {
      reason: 'an unquoted true where a string belongs says to quote it',
      text: HEADER + GROUP + '    labels: {spot: true}\n' + MODEL,
      path: 'nodeGroups[0].labels.spot',
      line: 8,
      column: 20,
      code: 'WrongType',
      says: 'quote it',
    },
    {
      reason: 'a duration in words',
      text: HEADER + GROUP + MODEL + '    healthCheckGrace: 3 minutes\n',
      path: 'models[0].healthCheckGrace',
      line: 12,
      column: 23,
      code: 'InvalidValue',
      says: 'expected a duration like 30s',
    },
    {
      reason: 'a misspelled enum value suggests the allowed one',
      text: HEADER + 'settings: {migStrategy: mixd}\n' + GROUP + MODEL,
      path: 'settings.migStrategy',
      line: 4,
      column: 25,
      code: 'InvalidValue',
      says: 'did you mean "mixed"?',
    },
    {
      reason: 'a negative count',
      text: HEADER + 'nodeGroups:\n  - name: standard\n    gpu: {model: A100-80GB}\n    max: -1\n' + MODEL,
      path: 'nodeGroups[0].max',
      line: 7,
      column: 10,
      code: 'OutOfRange',
      says: '>= 0',
    },
    {
      reason: 'two ways to ask for a GPU at once',
      text:
        HEADER + GROUP + 'models:\n  - name: m\n    replicas: {min: 2, max: 2}\n    gpu: {count: 1, memoryGiB: 20}\n',
      path: 'models[0].gpu',
      line: 11,
      column: 10,
      code: 'AmbiguousGpuNeed',
      says: 'got count and memoryGiB',
    },
    {
      reason: 'a missing required field points at its parent',
      text: HEADER + GROUP + 'models:\n  - name: m\n    gpu: {count: 1}\n',
      path: 'models[0].replicas',
      line: 9,
      column: 5,
      code: 'MissingField',
      says: 'missing required field "replicas"',
    },
    {
      reason: 'the wrong apiVersion',
      text: 'apiVersion: v1\nkind: ScalingPolicy\nmetadata: {name: t}\n' + GROUP + MODEL,
      path: 'apiVersion',
      line: 1,
      column: 13,
      code: 'InvalidValue',
      says: 'expected "gpu-scale.dev/v1alpha1"',
    },
  ])('$reason', ({text, path, line, column, code, says}) => {
    const result = parseConfig(text, 'f.yaml')
    expect(result.config).toBeUndefined()
    const problem = result.problems.find((p) => p.location.path === path)
    expect(problem, JSON.stringify(result.problems)).toMatchObject({
      severity: 'error',
      code,
      location: {file: 'f.yaml', line, column},
    })
    expect(problem?.message).toContain(says)
  })

  test('every schema problem is reported at once, in file order', () => {
    const text =
      HEADER +
      'settings: {loopIntervl: 30s, migStrategy: mixd}\n' +
      GROUP +
      'models:\n  - name: m\n    replicas: {min: 1, max: 4}\n    gpu: {count: 1, memoryGiB: 2}\n'
    const result = parseConfig(text, 'f.yaml')
    expect(result.problems.map((p) => `${p.location.line}:${p.location.column} ${p.code}`)).toEqual([
      '4:12 UnknownField',
      '4:43 InvalidValue',
      '12:10 AmbiguousGpuNeed',
    ])
  })

  test('a misspelled required field is reported once, as the unknown field with its suggestion', () => {
    const result = parseChanged((raw) => {
      const model = at(raw.models, 0)
      model.replica = model.replicas
      delete model.replicas
    })
    expect(listProblems(result)).toEqual(['UnknownField@models[0].replica'])
  })
})

describe('normalization', () => {
  test('fills every default', () => {
    const result = parseConfig(HEADER + GROUP + MODEL, 'f.yaml')
    expect(result.problems).toEqual([])
    expect(result.config).toEqual({
      apiVersion: 'gpu-scale.dev/v1alpha1',
      kind: 'ScalingPolicy',
      name: 't',
      settings: {
        loopIntervalSeconds: 30,
        slo: {},
        budget: {},
        migStrategy: 'mixed',
        expanders: ['least-waste'],
        // Both timers unset: in predictive node mode they follow each group's cold start (scale-down.ts).
        scaleDown: {
          unneededSeconds: 600,
          gpuUtilizationThreshold: 0.5,
          delayAfterAddSeconds: 600,
          defaulted: ['unneededTime', 'delayAfterAdd'],
        },
        staleAfterSeconds: 120,
        warmHeadroomGpus: 0,
        nodes: {mode: 'predictive'},
      },
      nodeGroups: [
        {
          name: 'standard',
          gpu: {model: 'A100-80GB', count: 1},
          capacityType: 'on-demand',
          min: 0,
          max: 5,
          labels: {},
          taints: [],
          hourlyCost: 0,
          coldStart: {provisioningSeconds: 120, driverInitSeconds: 60, imagePullSeconds: 0},
          migConfigs: ['all-disabled'],
          priority: 0,
          maxNodeProvisionSeconds: 900,
        },
      ],
      models: [
        {
          name: 'm',
          workload: {kind: 'Deployment', namespace: 'default', name: 'm'},
          replicas: {min: 2, max: 2},
          gpu: {kind: 'whole', count: 1},
          weights: {sizeGiB: 0, loadGiBps: 1},
          kvCacheGiB: 0,
          tolerations: [],
          nodeSelector: {},
          signals: [],
          behavior: DEFAULT_BEHAVIOR,
          algorithm: 'gpu-scale',
          legacyHpaBehavior: false,
          healthCheckGraceSeconds: 180,
          terminationGraceSeconds: 30,
          critical: false,
        },
      ],
    })
  })

  test.each([
    {
      reason: 'durations in minutes become seconds',
      change: (m: Record<string, unknown>) => (m.healthCheckGrace = '3m'),
      field: 'healthCheckGraceSeconds',
      expected: 180,
    },
    {
      reason: 'a bare number is seconds',
      change: (m: Record<string, unknown>) => (m.terminationGrace = 600),
      field: 'terminationGraceSeconds',
      expected: 600,
    },
    {
      reason: 'a signal window defaults to 3 minutes',
      change: () => {},
      field: 'signals',
      expected: [
        {
          name: 'gpu-util',
          metric: 'DCGM_FI_DEV_GPU_UTIL',
          source: 'gpu',
          targetType: 'AverageValue',
          target: 40,
          windowSeconds: 180,
          aggregation: 'avg',
        },
      ],
    },
    {
      reason: 'a toleration operator defaults to Equal',
      change: (m: Record<string, unknown>) => (m.tolerations = [{key: 'nvidia.com/gpu', value: 'true'}]),
      field: 'tolerations',
      expected: [{key: 'nvidia.com/gpu', value: 'true', operator: 'Equal'}],
    },
    {
      reason: 'a MIG profile need',
      change: (m: Record<string, unknown>) => (m.gpu = {migProfile: '3g.40gb'}),
      group: {migConfigs: ['all-balanced']},
      field: 'gpu',
      expected: {kind: 'mig', profile: '3g.40gb'},
    },
    {
      reason: 'a memory need',
      change: (m: Record<string, unknown>) => (m.gpu = {memoryGiB: 20}),
      field: 'gpu',
      expected: {kind: 'memory', memoryGiB: 20},
    },
    {
      reason: 'loadTime is kept beside the default speed',
      change: (m: Record<string, unknown>) => (m.weights = {sizeGiB: 16, loadTime: '40s'}),
      field: 'weights',
      expected: {sizeGiB: 16, loadGiBps: 1, loadSeconds: 40},
    },
    {
      reason: 'scale-down behavior given in part keeps HPA defaults for the rest',
      change: (m: Record<string, unknown>) => (m.behavior = {scaleDown: {stabilizationWindow: '10m'}}),
      field: 'behavior',
      expected: {
        scaleUp: DEFAULT_BEHAVIOR.scaleUp,
        scaleDown: {...DEFAULT_BEHAVIOR.scaleDown, stabilizationWindowSeconds: 600},
      },
    },
    {
      reason: 'scaleToZero defaults',
      change: (m: Record<string, unknown>) => {
        m.scaleToZero = {}
        m.replicas = {min: 0, max: 4}
      },
      field: 'scaleToZero',
      expected: {idleSeconds: 900, keepWarmFactor: 2},
    },
  ])(
    '$reason',
    ({
      change,
      field,
      expected,
      group,
    }: {
      change: (m: Record<string, unknown>) => unknown
      field: string
      expected: unknown
      group?: Record<string, unknown>
    }) => {
      const result = parseChanged((raw) => {
        change(at(raw.models, 0))
        Object.assign(at(raw.nodeGroups, 0), group ?? {})
      })
      expect(result.problems).toEqual([])
      expect((result.config?.models[0] as unknown as Record<string, unknown>)[field]).toEqual(expected)
    },
  )

  test.each([
    {reason: 'a GFD product label', model: 'NVIDIA-A100-SXM4-80GB', canonical: 'A100-80GB'},
    {reason: 'an alias in another case', model: 'h100', canonical: 'H100-80GB'},
  ])('a GPU model given as $reason becomes its canonical name', ({model, canonical}) => {
    const result = parseChanged((raw) => (at(raw.nodeGroups, 0).gpu = {model}))
    expect(result.config?.nodeGroups[0]?.gpu.model).toBe(canonical)
  })

  test('an unknown GPU model is an error that suggests a close one', () => {
    const result = parseChanged((raw) => (at(raw.nodeGroups, 0).gpu = {model: 'A100-80G'}))
    expect(result.config).toBeUndefined()
    expect(result.problems).toMatchObject([
      {
        code: 'UnknownGpuModel',
        location: {path: 'nodeGroups[0].gpu.model'},
        message: expect.stringContaining('did you mean "A100-80GB"?'),
      },
    ])
  })
})
