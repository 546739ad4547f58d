/**
 * Every class of hostile input from issue 13, each a named row with the reason it matters and the clean outcome
 * expected: a user error naming file:line:col and the bound, or a finite plan that says what it dropped. The inputs
 * go through the same in-process pipeline as the fuzz suite (validate → snapshot load → plan, mig check).
 */
import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'
import {stringify} from 'yaml'

import type {SnapshotDocument} from '../../../src/core/snapshot/codec.js'
import {encodeSnapshot} from '../../../src/core/snapshot/codec.js'
import {defaultScenarioBuilder} from '../../../src/core/sim/default-scenario.js'
import {checkMigText, findBadNumbers, type Outcome, planTexts} from '../../fuzz/pipeline.js'
import {repoRoot} from '../../helpers/cli.js'

type Doc = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
type Sample = [number, number | string]

const built = defaultScenarioBuilder().build()
const rawConfig = (): Doc => structuredClone(defaultScenarioBuilder().rawConfig()) as Doc
/** The whole simulated snapshot: the fast JSON path keeps it cheap, and every signal has its full history. */
const fullSnapshot = (): Doc => structuredClone(encodeSnapshot(built.snapshot)) as Doc
/** Cut to 4 samples per series and no histograms: small enough that the located YAML parse of an error is quick. */
const smallSnapshot = (): Doc => {
  const doc = fullSnapshot()
  doc.telemetry = (doc.telemetry as Doc[])
    .filter((s) => !String(s.metric).endsWith('_bucket'))
    .map((s) => ({...s, samples: (s.samples as Sample[]).slice(-4)}))
  return doc
}
const yamlOf = (doc: Doc | SnapshotDocument): string => stringify(doc)
const jsonOf = (doc: Doc | SnapshotDocument): string => JSON.stringify(doc, null, 1)

function seriesOf(doc: Doc, metric: string, pod?: string): Doc[] {
  return (doc.telemetry as Doc[]).filter(
    (s) => s.metric === metric && (pod === undefined || String(s.labels?.pod).startsWith(pod)),
  )
}

function setLastSample(doc: Doc, metric: string, pod: string, value: number | string): Doc {
  for (const s of seriesOf(doc, metric, pod)) {
    const samples = s.samples as Sample[]
    samples[samples.length - 1] = [(samples[samples.length - 1] as Sample)[0], value]
  }
  return doc
}

function plan(config: string | Doc, snapshot: string, snapshotFile = 'snapshot.json'): Outcome {
  return planTexts(typeof config === 'string' ? config : yamlOf(config), snapshot, {
    config: 'gpu-scale.yaml',
    snapshot: snapshotFile,
  })
}

/** The one user error a row expects: its code, the field path, that it has a line, and words of its message. */
function expectUserError(outcome: Outcome, expected: {code: string; path?: string; says?: RegExp; file?: string}) {
  if (outcome.kind !== 'user-error')
    throw new Error(
      `expected a user error, got ${outcome.kind}: ${outcome.kind === 'internal' ? String(outcome.error) : ''}`,
    )
  const problem = outcome.problems.find((p) => p.code === expected.code)
  expect(problem, JSON.stringify(outcome.problems.slice(0, 3))).toBeDefined()
  if (expected.path) expect(problem?.location.path).toBe(expected.path)
  if (expected.file) expect(problem?.location.file).toBe(expected.file)
  expect(problem?.location.line, 'every error names its line').toBeGreaterThan(0)
  expect(problem?.message).not.toContain('\n')
  if (expected.says) expect(problem?.message).toMatch(expected.says)
}

function expectCleanPlan(outcome: Outcome) {
  if (outcome.kind !== 'plan')
    throw new Error(
      `expected a plan, got ${outcome.kind}: ${JSON.stringify(outcome.kind === 'user-error' ? outcome.problems.slice(0, 2) : String((outcome as {error?: unknown}).error))}`,
    )
  expect(findBadNumbers(outcome.plan)).toEqual([])
  return outcome.plan
}

const whisperTo = (outcome: Outcome): number | string | undefined =>
  outcome.kind === 'plan' ? outcome.plan.changes.find((c) => c.id === 'pod:llm/whisper-small')?.to : undefined

describe('impossible samples are dropped, named, and never scale down', () => {
  test('control: the simulated whisper-small scales down from 3 to 1 on its clean telemetry', () => {
    expect(whisperTo(plan(rawConfig(), jsonOf(fullSnapshot())))).toBe(1)
  })

  test.each([
    {
      name: 'a NaN sample (Prometheus writes "NaN"): a DCGM scrape before the first profiling interval',
      value: 'NaN',
      says: /1 NaN or infinite/,
    },
    {name: '+Inf sample: a rate over a counter reset', value: '+Inf', says: /1 NaN or infinite/},
    {name: 'negative GPU utilization: a broken recording rule', value: -3, says: /1 negative/},
    {name: 'utilization of 1e6 %: a ratio exported as percent twice', value: 1e6, says: /1 outside 0–100 %/},
  ])('$name', ({value, says}) => {
    const outcome = plan(
      rawConfig(),
      jsonOf(setLastSample(fullSnapshot(), 'DCGM_FI_DEV_GPU_UTIL', 'whisper-small', value)),
    )
    const result = expectCleanPlan(outcome)
    const dropped = result.diagnostics.filter((d) => d.code === 'ImpossibleSamplesDropped')
    expect(dropped.length).toBe(3) // one per whisper-small pod, each named
    expect(dropped[0]?.message).toMatch(/DCGM_FI_DEV_GPU_UTIL\{.*pod="whisper-small-/)
    expect(dropped[0]?.message).toMatch(says)
    // The signal follows the missing-telemetry policy: no scale-down on it (the control row scales to 1).
    expect(whisperTo(outcome) ?? 3).toBeGreaterThanOrEqual(3)
  })

  test('negative queue samples never become a negative replica count', () => {
    const doc = fullSnapshot()
    for (const s of seriesOf(doc, 'vllm:num_requests_waiting'))
      s.samples = (s.samples as Sample[]).map(([t]) => [t, -3])
    const result = expectCleanPlan(plan(rawConfig(), jsonOf(doc)))
    expect(result.diagnostics.some((d) => d.code === 'ImpossibleSamplesDropped' && /negative/.test(d.message))).toBe(
      true,
    )
  })

  test('a `.nan` sample in a YAML snapshot is dropped with a diagnostic, not rejected', () => {
    const doc = setLastSample(smallSnapshot(), 'vllm:num_requests_waiting', 'llama-8b', NaN)
    const text = yamlOf(doc)
    expect(text).toContain('.nan')
    const result = expectCleanPlan(plan(rawConfig(), text, 'snapshot.yaml'))
    expect(
      result.diagnostics.some(
        (d) => d.code === 'ImpossibleSamplesDropped' && /vllm:num_requests_waiting/.test(d.message),
      ),
    ).toBe(true)
  })

  test.each([
    {
      name: 'capturedAt with a +14:00 offset: every sample is 14 h after the capture (was negative idleSeconds and "No changes")',
      edit: (doc: Doc) => (doc.capturedAt = String(doc.capturedAt).replace('Z', '+14:00')),
    },
    {
      name: 'samples newer than capturedAt: a node clock an hour ahead',
      edit: (doc: Doc) =>
        seriesOf(doc, 'DCGM_FI_DEV_GPU_UTIL', 'whisper-small').forEach((s) =>
          (s.samples as Sample[]).push([built.snapshot.capturedAt + 3600, 5]),
        ),
    },
  ])('$name', ({edit}) => {
    const doc = fullSnapshot()
    edit(doc)
    const outcome = plan(rawConfig(), jsonOf(doc))
    const result = expectCleanPlan(outcome)
    expect(
      result.diagnostics.some((d) => d.code === 'ImpossibleSamplesDropped' && /after capturedAt/.test(d.message)),
    ).toBe(true)
    expect(
      result.changes.filter(
        (c) =>
          c.layer === 'pod' &&
          typeof c.from === 'number' &&
          typeof c.to === 'number' &&
          c.to < c.from &&
          c.id.includes('whisper'),
      ),
    ).toEqual([])
  })
})

describe('numbers out of bounds are errors at file:line:col naming the bound', () => {
  const signalPath = (doc: Doc) => {
    const m = (doc.models as Doc[]).findIndex((model) => (model.signals as Doc[] | undefined)?.length)
    return {m, model: (doc.models as Doc[])[m] as Doc}
  }
  test.each([
    {
      name: 'a signal target near zero (was "proposes Infinity replicas")',
      edit: (d: Doc) => (signalPath(d).model.signals[0].target = 1e-300),
      path: (d: Doc) => `models[${signalPath(d).m}].signals[0].target`,
      says: /expected a number >= 0.000001/,
    },
    {
      name: 'a huge gpu.count on a node group (was Infinity replicas)',
      edit: (d: Doc) => (d.nodeGroups[0].gpu.count = 1e6),
      path: () => 'nodeGroups[0].gpu.count',
      says: /<= 16/,
    },
    {
      name: 'a huge gpu.count on a model',
      edit: (d: Doc) => (d.models[0].gpu = {count: 1e6}),
      path: () => 'models[0].gpu.count',
      says: /<= 16/,
    },
    {
      name: 'weights.loadGiBps 1e-320 (was "internal error: Invalid time value")',
      edit: (d: Doc) => (d.models[0].weights = {sizeGiB: 16, loadGiBps: 1e-320}),
      path: () => 'models[0].weights.loadGiBps',
      says: />= 0.01/,
    },
    {
      name: 'a 400-digit duration (was an internal error)',
      edit: (d: Doc) => (signalPath(d).model.signals[0].window = `${'9'.repeat(400)}s`),
      path: (d: Doc) => `models[${signalPath(d).m}].signals[0].window`,
      says: /\(401 characters\) \(too large to be a number\); expected a duration of at most 720h/,
    },
    {
      name: 'a duration over 30 days',
      edit: (d: Doc) => (d.models[0].healthCheckGrace = '31d'),
      path: () => 'models[0].healthCheckGrace',
      says: /at most 720h \(30 days\)/,
    },
    {
      name: 'a node group max over 100,000',
      edit: (d: Doc) => (d.nodeGroups[0].max = 1e6),
      path: () => 'nodeGroups[0].max',
      says: /<= 100000/,
    },
  ])('$name', ({edit, path, says}) => {
    const doc = rawConfig()
    edit(doc)
    expectUserError(plan(doc, jsonOf(smallSnapshot())), {
      code: 'OutOfRange',
      path: path(doc),
      says,
      file: 'gpu-scale.yaml',
    })
  })

  test.each([
    {name: 'targetSize 1e6 (took 10 s)', targetSize: 1e6, code: 'OutOfRange', says: /<= 100000/},
    {name: 'targetSize 1e308 (hung)', targetSize: 1e308, code: 'OutOfRange', says: /<= 100000/},
    {
      name: 'targetSize within bounds but far beyond the group max: the snapshot and policy disagree',
      targetSize: 100_000,
      code: 'TargetSizeFarAboveMax',
      says: /far beyond its max/,
    },
  ])('node group $name', ({targetSize, code, says}) => {
    const doc = smallSnapshot()
    doc.nodeGroups[0].targetSize = targetSize
    const started = performance.now()
    expectUserError(plan(rawConfig(), jsonOf(doc)), {
      code,
      path: 'nodeGroups[0].targetSize',
      says,
      file: 'snapshot.json',
    })
    expect(performance.now() - started).toBeLessThan(5000)
  })
})

describe('times are RFC 3339, strictly', () => {
  test.each([
    {
      name: 'capturedAt in month 13 (was an internal error)',
      value: '2026-13-28T12:00:00Z',
      says: /month 13 does not exist/,
    },
    {
      name: 'capturedAt at second 60 (was an internal error)',
      value: '2026-11-28T12:00:60Z',
      says: /second 60 does not exist/,
    },
    {
      name: 'February 30 (Date.parse rolls it into March)',
      value: '2026-02-30T12:00:00Z',
      says: /day 30 does not exist in 2026-02/,
    },
    {
      name: 'millisecond timestamps where RFC 3339 is expected',
      value: '1764331200000',
      says: /milliseconds since 1970/,
    },
  ])('$name', ({value, says}) => {
    const doc = smallSnapshot()
    doc.capturedAt = value
    expectUserError(plan(rawConfig(), yamlOf(doc), 'snapshot.yaml'), {
      code: 'InvalidValue',
      path: 'capturedAt',
      says,
      file: 'snapshot.yaml',
    })
  })

  test('millisecond sample timestamps are rejected with a hint to divide by 1000', () => {
    const doc = smallSnapshot()
    const series = (doc.telemetry as Doc[])[0] as Doc
    series.samples = (series.samples as Sample[]).map(([t, v]) => [t * 1000, v])
    expectUserError(plan(rawConfig(), jsonOf(doc)), {
      code: 'OutOfRange',
      path: 'telemetry[0].samples[0][0]',
      says: /looks like milliseconds.*divide by 1000/,
    })
  })
})

describe('impossible snapshots say what is wrong', () => {
  const podIndex = (doc: Doc) => (doc.pods as Doc[]).findIndex((p) => p.gpuRequest?.resource === 'nvidia.com/gpu')
  test.each([
    {
      name: 'a pod that requests 10,000 GPUs',
      edit: (d: Doc) => (d.pods[podIndex(d)].gpuRequest.count = 10_000),
      code: 'OutOfRange',
      path: (d: Doc) => `pods[${podIndex(d)}].gpuRequest.count`,
      says: /<= 112/,
    },
    {
      name: 'a pod that requests more GPUs than any node has',
      edit: (d: Doc) => (d.pods[podIndex(d)].gpuRequest.count = 12),
      code: 'ImpossibleGpuRequest',
      path: (d: Doc) => `pods[${podIndex(d)}].gpuRequest.count`,
      says: /requests 12 GPUs, more than any node has \(the largest has \d\)/,
    },
    {
      name: 'an unknown GPU model',
      edit: (d: Doc) => (d.nodes[0].gpus[0].model = 'NVIDIA-A100-SXM4-80GBX'),
      code: 'UnknownGpuModel',
      path: () => 'nodes[0].gpus[0].model',
      says: /unknown model "NVIDIA-A100-SXM4-80GBX" \(did you mean/,
    },
  ])('$name', ({edit, code, path, says}) => {
    const doc = smallSnapshot()
    edit(doc)
    expectUserError(plan(rawConfig(), jsonOf(doc)), {code, path: path(doc), says})
  })

  test('duplicate keys in JSON are an error at the second key, as in YAML', () => {
    const text = jsonOf(smallSnapshot()).replace(
      '"kind": "ClusterSnapshot",',
      '"kind": "ClusterSnapshot",\n "kind": "ClusterSnapshot",',
    )
    expectUserError(plan(rawConfig(), text), {code: 'DuplicateKey', says: /duplicate key "kind"/})
  })
})

describe('parsers cannot be weaponized', () => {
  const bomb =
    'x-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\nx-b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nx-c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nx-d: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n'
  const deep = `deep: ${'['.repeat(1000)}${']'.repeat(1000)}\n`
  test.each([
    {
      name: 'a YAML alias bomb in a config (was "internal error … a bug in gpu-scale")',
      config: () => bomb + yamlOf(rawConfig()),
      code: 'TooManyAliases',
      says: /more than 100 copies/,
    },
    {
      name: 'an undefined alias in a config (was an internal error)',
      config: () => `${yamlOf(rawConfig())}x-ref: *nowhere\n`,
      code: 'UndefinedAlias',
      says: /alias \*nowhere refers to no anchor/,
    },
    {
      name: '1,000-deep nesting in a config (was "maximum call stack size exceeded")',
      config: () => deep + yamlOf(rawConfig()),
      code: 'TooDeeplyNested',
      says: /more than 64 levels/,
    },
    {
      name: '10,000-deep nesting (crashed the process out of memory)',
      config: () => `deep: ${'['.repeat(10_000)}\n`,
      code: 'TooDeeplyNested',
      says: /more than 64 levels/,
    },
  ])('$name', ({config, code, says}) => {
    expectUserError(plan(config(), jsonOf(smallSnapshot())), {code, says, file: 'gpu-scale.yaml'})
  })

  test.each([
    {
      name: 'an alias bomb in a YAML snapshot',
      text: () => bomb + yamlOf(smallSnapshot()),
      file: 'snapshot.yaml',
      code: 'TooManyAliases',
    },
    {
      name: '1,000-deep nesting in a JSON snapshot',
      text: () => jsonOf(smallSnapshot()).replace('{', `{"deep": ${'['.repeat(1000)}${']'.repeat(1000)},`),
      file: 'snapshot.json',
      code: 'TooDeeplyNested',
    },
  ])('$name', ({text, file, code}) => {
    expectUserError(plan(rawConfig(), text(), file), {code, file})
  })

  const migParted = readFileSync(`${repoRoot}/examples/mig-parted/default-mig-parted-config.yaml`, 'utf8')
  test.each([
    {
      name: 'a mig-parted device count of 1e9 (ran out of memory)',
      text: migParted.replace('"1g.5gb": 7', '"1g.5gb": 1000000000'),
      code: 'InvalidCount',
      says: /0–7 \(a GPU holds at most 7 MIG instances\); got 1000000000/,
    },
    {
      name: 'a mig-parted device count of 100,000 ("internal error: Invalid array length")',
      text: migParted.replace('"1g.5gb": 7', '"1g.5gb": 100000'),
      code: 'InvalidCount',
      says: /got 100000/,
    },
    {
      name: '1,000-deep nesting in a mig-parted file',
      text: `${migParted}\ndeep: ${'['.repeat(1000)}${']'.repeat(1000)}\n`,
      code: 'TooDeeplyNested',
      says: /64 levels/,
    },
  ])('$name', ({text, code, says}) => {
    const started = performance.now()
    const outcome = checkMigText(text, 'mig.yaml')
    const problems =
      outcome.kind === 'mig' ? outcome.result.problems : outcome.kind === 'user-error' ? outcome.problems : []
    const problem = problems.find((p) => p.code === code)
    expect(problem, JSON.stringify(problems.slice(0, 2))).toBeDefined()
    expect(problem?.message).toMatch(says)
    expect(problem?.location.line).toBeGreaterThan(0)
    expect(performance.now() - started).toBeLessThan(5000)
  })
})
