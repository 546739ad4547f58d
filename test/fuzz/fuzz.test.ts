/**
 * The fuzz suite: mutated configs (examples/seed-production.yaml, the simulator's policy), snapshots (the built-in
 * simulated cluster's) and mig-parted files (examples/mig-parted/) through validate, plan and mig check, in-process.
 * Every run must end in a clean user error or a valid plan (or mig check result): no internal error, no NaN or
 * Infinity anywhere and no negative count in the result, no multi-line error message, and each run under a time
 * limit.
 *
 * `npm test` runs 200 cases with a fixed seed; `npm run fuzz` runs FUZZ_RUNS (default 10,000) with FUZZ_SEED (default
 * random, always printed): rerun with the printed seed to replay a failure.
 */
import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import {expect, test} from 'vitest'
import {parse} from 'yaml'

import type {PolicyConfig} from '../../src/core/model/config.js'
import {defaultScenarioBuilder} from '../../src/core/sim/default-scenario.js'
import {encodeSnapshot} from '../../src/core/snapshot/codec.js'
import {parseSnapshot} from '../../src/core/snapshot/parse.js'
import {repoRoot} from '../helpers/cli.js'
import {renderCase, type TextCase, textCaseArb} from './mutate.js'
import {checkMigText, findDefects, type Outcome, planTexts, validateConfigText} from './pipeline.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 200)
const SEED = Number(process.env.FUZZ_SEED ?? (process.env.FUZZ_RUNS ? Date.now() % 2 ** 31 : 13))
/** Per run. The inputs are small; a run near this is a loop that input controls. */
const TIME_LIMIT_MS = 3000

// The simulated cluster, cut so hundreds of runs take seconds (the YAML parser that locates errors reads only a
// few hundred KB/s on these machines): each series keeps its last 4 samples (60 s, so every signal still reads) and
// the latency histograms go (their signals read as missing: the missing-telemetry policy gets fuzzed too).
const built = defaultScenarioBuilder().build()
const telemetry = built.snapshot.telemetry.filter((s) => !s.metric.endsWith('_bucket'))
const snapshotDoc = encodeSnapshot({
  ...built.snapshot,
  telemetry: telemetry.map((s) => ({...s, samples: s.samples.slice(-4)})),
})
const snapshotText = JSON.stringify(snapshotDoc)
const baseSnapshot = {snapshot: parseSnapshot(snapshotText, 'sim-snapshot.json'), text: snapshotText}
const simConfig: PolicyConfig = built.config
const configDocs = [
  parse(readFileSync(`${repoRoot}/examples/seed-production.yaml`, 'utf8')) as unknown,
  defaultScenarioBuilder().rawConfig(),
]
const migDoc = parse(readFileSync(`${repoRoot}/examples/mig-parted/default-mig-parted-config.yaml`, 'utf8')) as unknown

interface FuzzCase {
  target: 'config' | 'snapshot' | 'mig'
  base: number
  text: TextCase
}

const caseArb: fc.Arbitrary<FuzzCase> = fc.record({
  target: fc.constantFrom('config', 'snapshot', 'snapshot', 'mig'),
  base: fc.nat(1),
  text: textCaseArb,
})

function runCase(c: FuzzCase): Outcome {
  if (c.target === 'mig') return checkMigText(renderCase(migDoc, c.text), 'mig-parted.yaml')
  if (c.target === 'config') {
    const text = renderCase(configDocs[c.base % configDocs.length], c.text)
    const validated = validateConfigText(text)
    return validated.outcome ?? planTexts(validated.config as PolicyConfig, baseSnapshot)
  }
  return planTexts(simConfig, renderCase(snapshotDoc, c.text), {
    config: 'gpu-scale.yaml',
    snapshot: c.text.format === 'json' ? 'snapshot.json' : 'snapshot.yaml',
  })
}

test(
  `fuzz: ${RUNS} mutated inputs end in a clean error or a finite, valid plan (seed ${SEED})`,
  () => {
    const byTarget: Record<string, {n: number; ms: number}> = {}
    const tally = {
      cases: 0,
      userErrors: 0,
      plans: 0,
      migResults: 0,
      internalErrors: 0,
      badNumbers: 0,
      invalidPlans: 0,
      multiLine: 0,
      overTimeLimit: 0,
      slowestMs: 0,
    }
    const failures: string[] = []
    const run = fc.check(
      fc.property(caseArb, (c) => {
        const started = performance.now()
        const outcome = runCase(c)
        const ms = performance.now() - started
        const defects = findDefects(outcome)
        tally.cases++
        const t = (byTarget[`${c.target}/${c.text.format}/${outcome.kind}`] ??= {n: 0, ms: 0})
        t.n++
        t.ms += ms
        if (outcome.kind === 'user-error') tally.userErrors++
        if (outcome.kind === 'plan') tally.plans++
        if (outcome.kind === 'mig') tally.migResults++
        tally.slowestMs = Math.max(tally.slowestMs, Math.round(ms))
        const found = [
          defects.internal ? `internal error ${defects.internal}` : '',
          defects.badNumbers.length > 0 ? `bad numbers ${defects.badNumbers.slice(0, 3).join(', ')}` : '',
          defects.invalid ? `plan fails its schema ${defects.invalid}` : '',
          defects.multiLine ? `multi-line message ${JSON.stringify(defects.multiLine.slice(0, 200))}` : '',
          ms > TIME_LIMIT_MS ? `took ${Math.round(ms)} ms` : '',
        ].filter((f) => f !== '')
        if (defects.internal) tally.internalErrors++
        if (defects.badNumbers.length > 0) tally.badNumbers++
        if (defects.invalid) tally.invalidPlans++
        if (defects.multiLine) tally.multiLine++
        if (ms > TIME_LIMIT_MS) tally.overTimeLimit++
        if (found.length > 0 && failures.length < 5)
          failures.push(`${found.join('; ')}\n  case: ${JSON.stringify(c).slice(0, 600)}`)
        return true
      }),
      {numRuns: RUNS, seed: SEED},
    )
    // The property itself never fails; a thrown error here is a bug in the mutators, shown with its counterexample.
    if (run.failed)
      throw new Error(
        `fuzz harness failed: ${String(run.errorInstance)}; counterexample ${JSON.stringify(run.counterexample).slice(0, 400)}`,
      )
    console.log(
      `fuzz (seed ${SEED}): ${tally.cases} cases (${tally.userErrors} clean errors, ${tally.plans} plans, ${tally.migResults} mig checks); ` +
        `${tally.internalErrors} internal errors, ${tally.badNumbers} with non-finite/negative numbers, ${tally.invalidPlans} invalid plans, ` +
        `${tally.multiLine} multi-line messages, ${tally.overTimeLimit} over the ${TIME_LIMIT_MS} ms limit (slowest ${tally.slowestMs} ms)`,
    )
    if (process.env.FUZZ_PROFILE)
      console.log(
        Object.entries(byTarget)
          .map(([k, v]) => `${k}: ${v.n} × ${Math.round(v.ms / v.n)} ms`)
          .join('\n'),
      )
    expect(failures, `replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`).toEqual([])
    expect(tally.cases).toBe(RUNS)
  },
  Math.max(60_000, RUNS * 1000),
)
