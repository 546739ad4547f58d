/**
 * Bounded memory in the simulate use cases: `simulate --trace` measures each policy's run as it goes (no request
 * kept), and past the exact limit per model says its percentiles are approximate, in the JSON and in the table;
 * `simulate --scenario --events` still writes every request. Short runs keep this fast; the memory figures
 * themselves are a benchmark (bench/trace-memory.ts).
 */
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'

import {aggregateSeeds} from '../../src/core/simulate/index.js'
import {formatTraceLines, generateSyntheticRequests} from '../../src/core/traces/index.js'
import {parseJsonLines} from '../../src/core/twin/events.js'
import {APPROX_PERCENTILES, SKETCH_RELATIVE_ACCURACY} from '../../src/core/twin/quantile-sketch.js'
import {summarizeLog} from '../../src/core/twin/summary.js'
import {simulate} from '../../src/services/simulate.js'
import {simulateTrace} from '../../src/services/simulate-trace.js'
import {renderSimulation} from '../../src/views/simulate.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-sim-memory-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

function poissonTrace(): string {
  const path = join(dir, 'poisson.csv')
  const requests = generateSyntheticRequests({
    seed: 5,
    pattern: 'poisson',
    durationSeconds: 10 * 60,
    models: [{name: 'llama-8b', meanRps: 3}],
  })
  writeFileSync(path, [...formatTraceLines('requests-csv', requests)].join('\n') + '\n')
  return path
}

describe('simulate --trace past the exact-percentile limit', () => {
  test('every run row says approx ±1%, the oracle (no run) does not; counts are those of the exact replay', async () => {
    const trace = poissonTrace()
    const request = {
      config: 'examples/seed-production.yaml',
      traces: [trace],
      baselines: ['hpa-gpu-util', 'oracle'],
    }
    const exact = await simulateTrace(request)
    const approx = await simulateTrace({...request, exactPercentileRequests: 100})
    const rows = approx.report.policies
    expect(rows.map((p) => [p.name, p.percentiles])).toEqual([
      ['seed-production', APPROX_PERCENTILES],
      ['hpa-gpu-util', APPROX_PERCENTILES],
      ['oracle', undefined],
    ])
    expect(exact.report.policies.every((p) => p.percentiles === undefined)).toBe(true)
    for (const [i, row] of rows.entries()) {
      const before = exact.report.policies[i]
      expect(row.metrics.requests).toEqual(before?.metrics.requests)
      expect(row.metrics.gpuHours).toBe(before?.metrics.gpuHours)
      const p99 = before?.metrics.ttftSeconds.p99 ?? null
      if (p99 !== null)
        expect(Math.abs((row.metrics.ttftSeconds.p99 ?? NaN) - p99)).toBeLessThanOrEqual(SKETCH_RELATIVE_ACCURACY * p99)
    }
    expect(renderSimulation(approx.report)).toContain(
      `Percentiles ${APPROX_PERCENTILES} (a quantile sketch: more requests per model than are kept exactly) for seed-production (yours), baseline:hpa-gpu-util`,
    )
    expect(renderSimulation(exact.report)).not.toContain('quantile sketch')
    // --seeds: a policy approximate in any seed is approximate in the mean, whichever seed came first.
    for (const seeds of [
      [exact.report, approx.report],
      [approx.report, exact.report],
    ])
      expect(aggregateSeeds(seeds).policies.map((p) => p.percentiles)).toEqual(rows.map((p) => p.percentiles))
  })
})

describe('simulate --scenario keeps the whole log for --events', () => {
  test('every finished request is in the events file, and the summary recomputed from it is the one reported', async () => {
    const file = join(dir, 'events.jsonl')
    const {result} = await simulate({scenario: 'burst', for: '20m', events: file})
    const entries = parseJsonLines(readFileSync(file, 'utf8'))
    const requests = entries.filter((e) => e.type === 'request')
    expect(requests.length).toBeGreaterThan(100)
    expect(requests.length).toBe(result.summary.requests.total)
    const start = Date.parse(result.start) / 1000
    const again = summarizeLog(entries, {start, end: start + result.durationSeconds})
    expect(again.requests.total).toBe(result.summary.requests.total)
    expect(again.requests.latency).toEqual(result.summary.requests.latency)
    expect(again.requests.ttft).toEqual(result.summary.requests.ttft)
  })
})
