/**
 * The built-in baselines of `simulate --baseline` (src/core/simulate/baselines.ts): every default each one
 * reproduces, read back from the config it builds over the seed's own fleet, with the source that value comes
 * from in the row's name; then what each baseline keeps of the user's config and what it must not touch.
 */
import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import type {ModelConfig, PolicyConfig} from '../../../src/core/model/config.js'
import {
  BASELINE_DEFAULTS,
  baselineConfig,
  type BaselineDefault,
  type RunBaselineName,
} from '../../../src/core/simulate/baselines.js'

function load(path: string): PolicyConfig {
  const result = parseConfig(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'), path)
  if (!result.config) throw new Error(result.problems.map((p) => p.message).join('; '))
  return result.config
}

const seed = load('examples/seed-production.yaml')
const context = {peakReplicas: {'llama-8b': 3, 'llama-70b': 2}}
const built = (name: RunBaselineName) => baselineConfig(name, seed, context)

/** What a BASELINE_DEFAULTS row says, read from a built config: one value per model for `models[]` fields. */
function read(config: PolicyConfig, field: string): unknown[] {
  const each = (get: (m: ModelConfig) => unknown) => config.models.map(get)
  const signal = (m: ModelConfig, name: string) => m.signals.find((s) => s.name === name)
  const policies = (rules: ModelConfig['behavior']['scaleUp']) =>
    rules.policies.map((p) => `${p.type === 'Pods' ? `${p.value} pods` : `${p.value}%`}/${p.periodSeconds}s`).join(' ')
  const table: Record<string, () => unknown[]> = {
    'settings.loopInterval': () => [config.settings.loopIntervalSeconds],
    'settings.nodes.mode': () => [config.settings.nodes.mode],
    'settings.warmHeadroomGpus': () => [config.settings.warmHeadroomGpus],
    'settings.scaleDown.unneededTime': () => [config.settings.scaleDown.unneededSeconds],
    'settings.scaleDown.delayAfterAdd': () => [config.settings.scaleDown.delayAfterAddSeconds],
    'settings.scaleDown.gpuUtilizationThreshold': () => [config.settings.scaleDown.gpuUtilizationThreshold],
    'models[].algorithm': () => each((m) => m.algorithm),
    'models[].behavior.scaleDown.stabilizationWindow': () =>
      each((m) => m.behavior.scaleDown.stabilizationWindowSeconds),
    'models[].behavior.scaleUp.policies': () =>
      each((m) =>
        policies(m.behavior.scaleUp) === '4 pods/15s 100%/15s' && m.behavior.scaleUp.selectPolicy === 'Max'
          ? 'max(4 pods, 100%) per 15s'
          : policies(m.behavior.scaleUp),
      ),
    'models[].behavior.scaleDown.policies': () =>
      each((m) => (policies(m.behavior.scaleDown) === '100%/15s' ? '100% per 15s' : policies(m.behavior.scaleDown))),
    'models[].behavior.tolerance': () =>
      each((m) =>
        m.behavior.scaleUp.tolerance === m.behavior.scaleDown.tolerance ? m.behavior.scaleUp.tolerance : -1,
      ),
    'models[].signals[gpu-util].metric': () => each((m) => signal(m, 'gpu-util')?.metric),
    'models[].signals[gpu-util].target': () => each((m) => signal(m, 'gpu-util')?.target),
    'models[].signals[gpu-util].window': () => each((m) => signal(m, 'gpu-util')?.windowSeconds),
    'models[].signals[queue].metric': () => each((m) => signal(m, 'queue')?.metric),
    'models[].signals[queue].target': () => each((m) => signal(m, 'queue')?.target),
    'models[].signals[gateway-queue].activationThreshold': () =>
      each((m) => signal(m, 'gateway-queue')?.activationThreshold),
    'models[].replicas.min': () =>
      each((m) => {
        const yours = seed.models.find((s) => s.name === m.name)?.replicas.min ?? NaN
        return m.replicas.min === Math.max(1, yours) && yours > 0 && m.replicas.min !== 0
          ? 'max(1, yours)'
          : m.replicas.min
      }),
    'models[].replicas': () =>
      each((m) =>
        m.replicas.min === m.replicas.max && m.replicas.min === context.peakReplicas[m.name as 'llama-8b']
          ? 'min = max = ceil(peak demand ÷ capacity at SLO)'
          : JSON.stringify(m.replicas),
      ),
    // llama-8b's 3 replicas need 3 one-GPU standard nodes; llama-70b's 2 two-GPU replicas fit one 4-GPU large node.
    'nodeGroups[].min': () =>
      config.nodeGroups.map((g) =>
        g.min === {standard: 3, large: 1}[g.name] ? 'the nodes those replicas need' : `${g.name}: ${g.min}`,
      ),
  }
  const get = table[field]
  if (!get) throw new Error(`no reader for ${field}: add one when adding a default`)
  return get()
}

describe('every default a baseline reproduces, read back from its config over the seed fleet', () => {
  test.each(BASELINE_DEFAULTS.map((row) => ({...row, name: `${row.baseline} ${row.field} = ${row.value}`})))(
    '$name (source: $source)',
    (row: BaselineDefault) => {
      expect(row.source.length).toBeGreaterThan(10)
      for (const value of read(built(row.baseline), row.field)) expect(value).toBe(row.value)
    },
  )
})

describe('what each baseline keeps and changes', () => {
  test.each([
    {
      why: "every baseline replays in the user's world: the same groups, capacity types, prices and cold starts",
      check: () => {
        for (const name of ['hpa-gpu-util', 'keda-queue', 'reactive-nodes'] as const)
          expect(built(name).nodeGroups).toEqual(seed.nodeGroups)
      },
    },
    {
      why: "a baseline never changes the user's config object (the user row runs after it)",
      check: () => {
        const before = structuredClone(seed)
        for (const name of ['hpa-gpu-util', 'keda-queue', 'reactive-nodes', 'static-peak'] as const) built(name)
        expect(seed).toEqual(before)
      },
    },
    {
      why: "reactive-nodes keeps the user's pod policy (signals, algorithm, bounds) and changes only the node layer",
      check: () => {
        const c = built('reactive-nodes')
        expect(c.models).toEqual(seed.models)
        expect(c.settings.nodes.mode).toBe('reactive')
      },
    },
    {
      why: 'hpa-gpu-util keeps the user bounds but raises a minimum of 0 to 1 (HPA cannot go to zero)',
      check: () => {
        const zero = {...seed, models: seed.models.map((m) => ({...m, replicas: {min: 0, max: 3}}))}
        const c = baselineConfig('hpa-gpu-util', zero, context)
        expect(c.models.map((m) => m.replicas)).toEqual([
          {min: 1, max: 3},
          {min: 1, max: 3},
        ])
      },
    },
    {
      why: 'hpa-gpu-util on a MIG slice reads DCGM_FI_PROF_GR_ENGINE_ACTIVE (0–1): GPU_UTIL does not exist per MIG instance',
      check: () => {
        const mig = {...seed, models: [{...(seed.models[0] as ModelConfig), gpu: {kind: 'mig', profile: '3g.40gb'}}]}
        const signal = baselineConfig('hpa-gpu-util', mig as PolicyConfig, context).models[0]?.signals[0]
        expect(signal).toMatchObject({metric: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', target: 0.4})
      },
    },
    {
      why: 'keda-queue drops any scaleToZero of the user (KEDA has only its cooldown) and scales to zero through min 0',
      check: () => {
        const withZero = {
          ...seed,
          models: seed.models.map((m) => ({...m, scaleToZero: {idleSeconds: 60, keepWarmFactor: 2}})),
        }
        const c = baselineConfig('keda-queue', withZero, context)
        expect(c.models.every((m) => m.scaleToZero === undefined && m.replicas.min === 0)).toBe(true)
      },
    },
    {
      why: "static-peak clamps the trace's peak to the model's max (it cannot run more replicas than allowed)",
      check: () => {
        const c = baselineConfig('static-peak', seed, {peakReplicas: {'llama-8b': 40, 'llama-70b': 0}})
        expect(c.models.map((m) => m.replicas)).toEqual([
          {min: 4, max: 4},
          {min: 1, max: 1},
        ])
      },
    },
    {
      why: 'each baseline is named baseline:NAME, so its config never passes for the user policy',
      check: () => expect(built('keda-queue').name).toBe('baseline:keda-queue'),
    },
  ])('$why', ({check}) => check())
})
