/**
 * The replay world built from a policy config (src/core/simulate/world.ts): capacity at SLO from the twin's step
 * model, where each policy starts, how a rate series becomes the twin's arrivals, and the SLO a replay measures.
 */
import {readFileSync} from 'node:fs'
import {describe, expect, test} from 'vitest'

import {parseConfig} from '../../../src/core/config/load.js'
import type {PolicyConfig} from '../../../src/core/model/config.js'
import {
  capacityAtSlo,
  DEFAULT_REPLAY_SLO,
  homeGroupOf,
  initialNodesFor,
  leadInSecondsFor,
  replaySloOf,
  servingProfileOf,
  servingSpecOf,
  stepArrivals,
  twinTokens,
} from '../../../src/core/simulate/world.js'
import {resolveServingProfile} from '../../../src/core/twin/latency-model.js'

const seed = ((): PolicyConfig => {
  const path = 'examples/seed-production.yaml'
  const result = parseConfig(readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8'), path)
  if (!result.config) throw new Error('seed config does not parse')
  return result.config
})()
const model = (name: string) => seed.models.find((m) => m.name === name)!
const a100 = resolveServingProfile({}, 'A100-80GB')
const h100 = resolveServingProfile({}, 'H100-80GB')
const conv = {input: 1682, output: 213}

describe('capacity at SLO', () => {
  test.each([
    {
      why: "Llama-3.1-8B on an A100 at a 50 ms TPOT serves about 6 req/s, inside the reference's 6–9 (§5)",
      profile: a100,
      tpot: 0.05,
      range: [5, 7],
    },
    {
      why: 'the same on an H100 serves about 3× more (the fit is 2.8–3.0× faster per step)',
      profile: h100,
      tpot: 0.05,
      range: [15, 25],
    },
    {
      why: 'a target below one sequence per step (A100: 16 ms) can only be met one sequence at a time',
      profile: a100,
      tpot: 0.01,
      range: [0.2, 0.3],
    },
  ])('$why', ({profile, tpot, range}) => {
    const c = capacityAtSlo(profile, conv, tpot)
    expect(c).toBeGreaterThanOrEqual(range[0]!)
    expect(c).toBeLessThanOrEqual(range[1]!)
  })

  test('a looser TPOT target never serves less, and longer prompts never serve more', () => {
    const targets = [0.02, 0.05, 0.1, 0.2, 0.5]
    const byTarget = targets.map((t) => capacityAtSlo(a100, conv, t))
    expect([...byTarget].sort((x, y) => x - y)).toEqual(byTarget)
    const byPrompt = [500, 2000, 8000].map((input) => capacityAtSlo(a100, {input, output: 213}, 0.1))
    expect([...byPrompt].sort((x, y) => y - x)).toEqual(byPrompt)
  })

  test('a very loose target is bounded by the KV cache, not by max_num_seqs alone', () => {
    const long = {input: 30_000, output: 500}
    const c = capacityAtSlo(a100, long, 10)
    const batch = a100.kvCapacityTokens / (long.input + long.output)
    expect(batch).toBeLessThan(a100.maxNumSeqs)
    const k = a100.coefficients
    const step = k.a + batch * ((k.b * long.input) / long.output + k.c + k.d * (long.input + long.output / 2))
    expect(c).toBeCloseTo(batch / (long.output * step), 9)
  })
})

describe('the world of a config', () => {
  test.each([
    {
      why: "llama-70b's 131 GiB of weights read as 70 B parameters, KV scaled by √(params ÷ 8 B) from Llama-3.1-8B's",
      name: 'llama-70b',
      expected: {paramsB: 70.3, kv: 386_000},
    },
    {why: 'llama-8b reads as 8.6 B parameters', name: 'llama-8b', expected: {paramsB: 8.6, kv: 136_000}},
  ])('$why', ({name, expected}) => {
    const spec = servingSpecOf(model(name))
    expect(spec.paramsB).toBeCloseTo(expected.paramsB, 1)
    expect(Math.abs((spec.kvBytesPerToken ?? 0) - expected.kv)).toBeLessThan(2000)
  })

  test('each model serves on the group its selector and tolerations admit (llama-70b on 2 of a large node’s H100s)', () => {
    expect(homeGroupOf(seed, model('llama-8b'))?.name).toBe('standard')
    expect(homeGroupOf(seed, model('llama-70b'))?.name).toBe('large')
    const profile = servingProfileOf(model('llama-70b'), homeGroupOf(seed, model('llama-70b'))!)
    expect(profile.kvCapacityTokens).toBeGreaterThan(0)
  })

  test.each([
    {
      why: 'one replica each: one standard node and one large node',
      replicas: {'llama-8b': 1, 'llama-70b': 1},
      nodes: {standard: 1, large: 1},
    },
    {
      why: 'two 2-GPU replicas share one 4-GPU large node',
      replicas: {'llama-8b': 0, 'llama-70b': 2},
      nodes: {standard: 0, large: 1},
    },
    {
      why: "more replicas than a group's max start at its max",
      replicas: {'llama-8b': 9, 'llama-70b': 9},
      nodes: {standard: 5, large: 3},
    },
  ])('starting nodes: $why', ({replicas, nodes}) => {
    expect(initialNodesFor(seed, replicas)).toEqual(nodes)
  })

  test('the lead-in covers the slowest weight load plus image pull, in whole minutes (131 GiB at 2 GiB/s + 30 s)', () => {
    expect(leadInSecondsFor(seed)).toBe(180)
  })

  test('a rate series becomes piecewise-constant arrivals after the lead-in: equal runs merged, 0 after the end', () => {
    expect(stepArrivals([1, 1, 3, 0, 0, 2], 60, 120)).toEqual({
      kind: 'step',
      steps: [
        {atSeconds: 120, rate: 1},
        {atSeconds: 240, rate: 3},
        {atSeconds: 300, rate: 0},
        {atSeconds: 420, rate: 2},
        {atSeconds: 480, rate: 0},
      ],
    })
  })

  test("a log-normal length keeps its mean and spread in the twin's terms (mean = median·e^(σ²/2))", () => {
    const t = twinTokens({kind: 'lognormal', median: 1020, sigma: 1, max: 32768})
    expect(t.mean).toBeCloseTo(1020 * Math.exp(0.5), 6)
    expect(t.cv).toBeCloseTo(Math.sqrt(Math.E - 1), 6)
  })
})

describe('the SLO a replay measures', () => {
  test.each([
    {
      why: 'a config with no targets gets the documented defaults, flagged so the command says so',
      slo: {},
      expected: {slo: {...DEFAULT_REPLAY_SLO}, defaulted: true},
    },
    {
      why: "the config's own targets, latency as the end-to-end target",
      slo: {ttftSeconds: 1, tpotSeconds: 0.05, p95LatencySeconds: 30},
      expected: {slo: {ttftSeconds: 1, tpotSeconds: 0.05, e2eSeconds: 30}, defaulted: false},
    },
    {
      why: 'one target set: only it is checked (no default mixed in)',
      slo: {tpotSeconds: 0.08},
      expected: {slo: {tpotSeconds: 0.08}, defaulted: false},
    },
  ])('$why', ({slo, expected}) => {
    expect(replaySloOf({...seed, settings: {...seed.settings, slo}})).toEqual(expected)
  })
})
