/**
 * gpu-scale's multi-signal defaults are a config feature: a model with no `signals:` (or `signals: default`) scales
 * on them, `validate` lists them, and their GPU metric is secondary (it may hold replicas, never add one).
 */
import {readFileSync} from 'node:fs'

import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import {listDefaultSignals} from '../../../src/core/config/default-signals.js'
import {summarizeProblems} from '../../../src/core/config/report.js'
import type {SignalConfig} from '../../../src/core/model/config.js'
import {proposeFromReading} from '../../../src/core/policy/replicas/gpu-scale-algorithm.js'
import type {SignalReading} from '../../../src/core/signals/read-signal.js'
import {renderValidation} from '../../../src/views/validate.js'
import {parseChanged, type RawDoc} from './build-config.js'

const model = (raw: RawDoc) => raw.models[0] as Record<string, unknown>

describe('which models get the defaults', () => {
  test.each([
    {
      reason:
        'no signals on a model that scales: the defaults (capacity at SLO, queue, KV cache, secondary DRAM; no SLO)',
      change: (raw: RawDoc) => delete model(raw).signals,
      signals: ['default-capacity-at-slo', 'default-queue-depth', 'default-kv-cache', 'default-gpu-dram-active'],
      defaulted: true,
    },
    {
      reason: 'with an SLO the latency and TTFT defaults hold it',
      change: (raw: RawDoc) => {
        delete model(raw).signals
        raw.settings = {slo: {p95Latency: '30s', ttft: '2s'}}
      },
      signals: [
        'default-capacity-at-slo',
        'default-queue-depth',
        'default-p95-latency',
        'default-p95-ttft',
        'default-kv-cache',
        'default-gpu-dram-active',
      ],
      defaulted: true,
    },
    {
      reason: '`signals: default` asks for them explicitly, even on a fixed-size model',
      change: (raw: RawDoc) => Object.assign(model(raw), {signals: 'default', replicas: {min: 2, max: 2}}),
      signals: ['default-capacity-at-slo', 'default-queue-depth', 'default-kv-cache', 'default-gpu-dram-active'],
      defaulted: true,
    },
    {
      reason: 'a fixed-size model without signals has nothing to scale: no defaults',
      change: (raw: RawDoc) => {
        delete model(raw).signals
        model(raw).replicas = {min: 2, max: 2}
      },
      signals: [],
      defaulted: undefined,
    },
    {
      reason: 'signals written in the file are used as written',
      change: () => {},
      signals: ['gpu-util'],
      defaulted: undefined,
    },
  ])('$reason', ({change, signals, defaulted}) => {
    const result = parseChanged(change)
    expect(result.problems).toEqual([])
    const m = result.config?.models[0]
    expect(m?.signals.map((s) => s.name)).toEqual(signals)
    expect(m?.signalsDefaulted).toBe(defaulted)
  })

  test.each([
    {
      reason: '`signals: []` is an explicit "none" and stays an error on a model that scales',
      signals: [] as unknown,
      expected: 'MissingSignals@models[0].signals',
    },
    {
      reason: 'any other word is refused by the schema',
      signals: 'defaults',
      expected: 'InvalidValue@models[0].signals',
    },
  ])('$reason', ({signals, expected}) => {
    const result = parseChanged((raw) => (model(raw).signals = signals))
    expect(result.problems.map((p) => `${p.code}@${p.location?.path}`)).toContain(expected)
  })
})

describe('each default says why and where from', () => {
  const {defaults} = listDefaultSignals({slo: {p95LatencySeconds: 30, ttftSeconds: 2}})
  test.each(defaults.map((d) => ({name: d.signal.name, d})))('$name has a reason and a source', ({d}) => {
    expect(d.reason.length).toBeGreaterThan(40)
    expect(d.source.length).toBeGreaterThan(10)
  })

  test('GPU utilization is never a default driver: the only GPU metric is secondary', () => {
    const gpu = defaults.filter((d) => d.signal.source === 'gpu' || d.signal.metric.startsWith('DCGM_'))
    expect(gpu.map((d) => [d.signal.metric, d.signal.secondary])).toEqual([['DCGM_FI_PROF_DRAM_ACTIVE', true]])
  })
})

describe('a secondary signal holds replicas while above its target, never adds one', () => {
  const secondary: SignalConfig = {
    name: 'default-gpu-dram-active',
    metric: 'DCGM_FI_PROF_DRAM_ACTIVE',
    source: 'gpu',
    targetType: 'AverageValue',
    target: 0.8,
    windowSeconds: 180,
    aggregation: 'avg',
    secondary: true,
  }
  const config = parseChanged().config
  if (!config) throw new Error('base config invalid')
  const reading = (perPod: number, pods: number): SignalReading => ({
    status: 'ok',
    value: perPod,
    total: perPod * pods,
    perPod: {},
    podsWithData: [],
    podsMissing: [],
    podsStale: [],
    lastSampleAt: 0,
    metricRead: secondary.metric,
    notes: [],
  })
  // It holds the count while above its target and abstains (null: no proposal) below it: bandwidth is not
  // proportional to load (every decode step reads the weights), so it never sizes the count by itself.
  test.each([
    {reason: 'saturated bandwidth would ask for 4 of 2: held at 2 (never adds)', perPod: 1.6, expected: 2},
    {reason: 'bandwidth above its target holds the 2', perPod: 0.85, expected: 2},
    {
      reason: 'bandwidth just under its target holds nothing (it used to keep ⌈1.56 ÷ 0.8⌉ = 2)',
      perPod: 0.78,
      expected: null,
    },
    {reason: 'idle bandwidth holds nothing', perPod: 0.3, expected: null},
  ])('$reason', ({perPod, expected}) => {
    const model = config.models[0]
    if (!model) throw new Error('no model')
    expect(proposeFromReading(secondary, reading(perPod, 2), model, 2, 2).replicas).toBe(expected)
  })
})

describe('validate shows the defaulted models', () => {
  test('examples/multi-signal.yaml: both models on the defaults, each listed', () => {
    const file = 'examples/multi-signal.yaml'
    const {config, problems} = parseConfig(readFileSync(file, 'utf8'), file)
    expect(problems).toEqual([])
    const report = summarizeProblems(file, problems, config)
    expect(report.defaultSignals.map((m) => [m.model, m.signals.length, m.omitted])).toEqual([
      ['llama-8b', 6, []],
      ['llama-70b', 6, []],
    ])
    expect(renderValidation(report, false)).toContain(
      'model llama-8b: default signals: default-capacity-at-slo (vllm:request_success_total 0.8), default-queue-depth (vllm:num_requests_waiting 5), default-p95-latency',
    )
  })

  test('a latency default left out without its SLO is said so', () => {
    const result = parseChanged((raw) => delete model(raw).signals)
    const report = summarizeProblems('test.yaml', result.problems, result.config)
    expect(renderValidation(report, false)).toContain('default-p95-latency off: settings.slo.p95Latency is not set')
  })
})
