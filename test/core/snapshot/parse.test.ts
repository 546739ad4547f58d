import {describe, expect, test} from 'vitest'

import {ValidationError} from '../../../src/core/errors.js'
import {defaultScenario} from '../../../src/core/sim/default-scenario.js'
import {decodeSnapshot, encodeSnapshot} from '../../../src/core/snapshot/codec.js'
import {parseSnapshot} from '../../../src/core/snapshot/parse.js'

const minimal = (extra = '') => `apiVersion: gpu-scale.dev/v1alpha1
kind: ClusterSnapshot
capturedAt: 2026-11-28T12:00:00Z
nodes:
  - name: n1
    group: standard
    ready: true
    createdAt: 2026-11-28T10:00:00Z
    gpus:
      - {index: 0, model: NVIDIA-A100-SXM4-80GB}
pods: []
workloads: []
${extra}`

function problemsOf(text: string) {
  try {
    parseSnapshot(text, 'snap.yaml')
  } catch (error) {
    if (error instanceof ValidationError) return error.problems
    throw error
  }
  return []
}

describe('parseSnapshot', () => {
  test('round trip: encode then parse gives the same snapshot (times as RFC 3339 in the file)', () => {
    const {snapshot} = defaultScenario()
    const text = JSON.stringify(encodeSnapshot(snapshot))
    expect(parseSnapshot(text, 'x.json')).toEqual(snapshot)
  })

  test('defaults are filled and GPU product names resolve to canonical models', () => {
    const snapshot = parseSnapshot(minimal(), 'snap.yaml')
    const node = snapshot.nodes[0]
    expect(node?.gpusAllocatable).toBe(true)
    expect(node?.gpus[0]?.model).toBe('A100-80GB')
    expect(node?.gpus[0]?.memoryMiB).toBe(81920)
    expect(snapshot.capturedAt).toBe(Date.parse('2026-11-28T12:00:00Z') / 1000)
  })

  test.each([
    {
      name: 'unknown field, located at its key',
      text: minimal('extra: 1'),
      code: 'UnknownField',
      line: 13,
      path: 'extra',
    },
    {
      name: 'a timestamp that is not RFC 3339',
      text: minimal().replace('2026-11-28T10:00:00Z', 'yesterday'),
      code: 'InvalidValue',
      line: 8,
      path: 'nodes[0].createdAt',
    },
    {
      name: 'a YAML syntax error names line and column',
      text: minimal().replace('ready: true', 'ready: [true'),
      code: 'YamlSyntax',
      line: undefined,
      path: undefined,
    },
    {
      name: 'a missing required field',
      text: minimal().replace('    group: standard\n', ''),
      code: 'MissingField',
      line: 5,
      path: 'nodes[0].group',
    },
    {
      name: 'a schema error in JSON, located by scanning the JSON (no YAML parse of a large file)',
      text: JSON.stringify(
        {
          apiVersion: 'gpu-scale.dev/v1alpha1',
          kind: 'ClusterSnapshot',
          capturedAt: '2026-11-28T12:00:00Z',
          nodes: [],
          pods: [],
          workloads: [{kind: 'Deployment', namespace: 'a', name: 'b', specReplicas: 1e6}],
        },
        null,
        2,
      ),
      code: 'OutOfRange',
      line: 12,
      path: 'workloads[0].specReplicas',
    },
    {
      name: 'a negative replica count',
      text: minimal('').replace(
        'workloads: []',
        'workloads: [{kind: Deployment, namespace: a, name: b, specReplicas: -1}]',
      ),
      code: 'OutOfRange',
      line: 12,
      path: 'workloads[0].specReplicas',
    },
  ])('rejects $name', ({text, code, line, path}) => {
    const problems = problemsOf(text)
    expect(problems.map((p) => p.code)).toContain(code)
    const problem = problems.find((p) => p.code === code)
    if (line !== undefined) expect(problem?.location.line).toBe(line)
    if (path !== undefined) expect(problem?.location.path).toBe(path)
    expect(problem?.location.file).toBe('snap.yaml')
  })

  test('samples out of time order are rejected with the series path', () => {
    const doc = encodeSnapshot(defaultScenario().snapshot) as {telemetry: Array<{samples: number[][]}>}
    doc.telemetry[0]?.samples.reverse()
    const problems = problemsOf(JSON.stringify(doc))
    expect(problems[0]?.code).toBe('SamplesOutOfOrder')
    expect(problems[0]?.location.path).toBe('telemetry[0].samples[1]')
  })

  test('decode is the inverse of encode', () => {
    const {snapshot} = defaultScenario()
    expect(decodeSnapshot(encodeSnapshot(snapshot))).toEqual(snapshot)
  })
})

describe('parseSnapshot: references and MIG layouts must be real', () => {
  const withGpu = (gpu: string, pods = 'pods: []') =>
    minimal().replace('      - {index: 0, model: NVIDIA-A100-SXM4-80GB}', `      - ${gpu}`).replace('pods: []', pods)
  test.each([
    {
      name: 'a pod on a node that is not listed',
      text: minimal().replace('pods: []', 'pods: [{name: p, namespace: llm, phase: Running, node: ghost}]'),
      code: 'UnknownNode',
      path: 'pods[0].node',
    },
    {
      name: 'a GPU naming a pod that is not listed',
      text: withGpu('{index: 0, model: A100-80GB, pods: [llm/ghost]}'),
      code: 'UnknownPod',
      path: 'nodes[0].gpus[0].pods[0]',
    },
    {
      name: 'overlapping MIG instances (3g@0 and 2g@2 share slices 2-3)',
      text: withGpu(
        '{index: 0, model: A100-80GB, mig: {enabled: true, instances: [{profile: 3g.40gb, start: 0}, {profile: 2g.20gb, start: 2}]}}',
      ),
      code: 'ImpossibleMigLayout',
      path: 'nodes[0].gpus[0].mig.instances',
    },
    {
      name: 'a start NVIDIA does not allow (3g starts at 0 or 4)',
      text: withGpu('{index: 0, model: A100-80GB, mig: {enabled: true, instances: [{profile: 3g.40gb, start: 2}]}}'),
      code: 'ImpossibleMigLayout',
      path: 'nodes[0].gpus[0].mig.instances',
    },
    {
      name: 'a profile the GPU does not have',
      text: withGpu('{index: 0, model: A100-80GB, mig: {enabled: true, instances: [{profile: 3g.20gb, start: 0}]}}'),
      code: 'UnknownMigProfile',
      path: 'nodes[0].gpus[0].mig.instances',
    },
    {
      name: 'MIG instances on a GPU with MIG disabled',
      text: withGpu('{index: 0, model: A100-80GB, mig: {enabled: false, instances: [{profile: 3g.40gb, start: 0}]}}'),
      code: 'MigInstancesWithoutMig',
      path: 'nodes[0].gpus[0].mig',
    },
  ])('rejects $name', ({text, code, path}) => {
    const problems = problemsOf(text)
    expect(problems.map((p) => `${p.code} ${p.location.path}`)).toContain(`${code} ${path}`)
  })

  test('a valid MIG layout with its pods passes', () => {
    const text = withGpu(
      '{index: 0, model: A100-80GB, mig: {enabled: true, instances: [{profile: 3g.40gb, start: 4, pod: llm/p}, {profile: 2g.20gb, start: 0}]}}',
      'pods: [{name: p, namespace: llm, phase: Running, node: n1}]',
    )
    expect(problemsOf(text)).toEqual([])
  })
})
