/**
 * `simulate --trace` as a use case (src/services/simulate-trace.ts), on traces our generator writes here: the
 * oracle bounds every policy that meets the SLO, a multi-signal policy beats the seed's GPU-utilization HPA on a
 * bursty trace, the trace really replaces a scenario's load, and each bad input is one clear error.
 * Short traces (20–45 minutes) keep this fast; the decision-quality figures on real traces are a benchmark.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, test} from 'vitest'

import type {PolicyResult} from '../../src/core/simulate/index.js'
import {
  formatTraceLines,
  generateSyntheticRequests,
  type SyntheticTraceSpec,
  type TraceFormat,
} from '../../src/core/traces/index.js'
import {simulateTrace, type SimulateTraceRequest} from '../../src/services/simulate-trace.js'

const dir = mkdtempSync(join(tmpdir(), 'gpu-scale-sim-trace-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const SEED_CONFIG = 'examples/seed-production.yaml'
// gpu-scale's multi-signal defaults (queue, p95 latency and TTFT against the SLO, KV cache) over the seed's fleet.
const MULTI_SIGNAL = 'examples/multi-signal.yaml'

function writeTrace(name: string, spec: SyntheticTraceSpec, format: TraceFormat = 'requests-csv'): string {
  const path = join(dir, name)
  writeFileSync(path, [...formatTraceLines(format, generateSyntheticRequests(spec))].join('\n') + '\n')
  return path
}

/**
 * On/off bursts, as batch jobs and agents send them: near-idle between bursts (0.03 req/s, below what keeps a
 * GPU 40% busy), then ~15 req/s for 7 minutes on average — two A100 replicas' worth at the SLO, arriving faster
 * than a 4-minute node cold start.
 */
const onOff = (seed: number, minutes: number): SyntheticTraceSpec => ({
  seed,
  pattern: 'bursty',
  durationSeconds: minutes * 60,
  models: [{name: 'llama-8b', meanRps: 4}],
  burst: {factor: 500, meanBurstSeconds: 420, meanGapSeconds: 1200},
})

const run = (request: Partial<SimulateTraceRequest> & {traces: string[]}) =>
  simulateTrace({config: SEED_CONFIG, ...request})

const byName = (policies: PolicyResult[], name: string) => policies.find((p) => p.name === name) as PolicyResult

describe('the oracle is a lower bound', () => {
  test.each([
    {why: 'bursty traffic on two models', trace: () => writeTrace('two-models.csv', twoModels(31)), seed: 1},
    {why: 'steady Poisson traffic, another seed', trace: () => writeTrace('poisson.csv', poisson(32)), seed: 2},
    {why: 'on/off bursts', trace: () => writeTrace('on-off-20.csv', onOff(33, 25)), seed: 3},
  ])(
    '$why: no policy within 1% of the SLO uses fewer GPU-hours than the oracle',
    async ({trace, seed}) => {
      const {report} = await run({
        traces: [trace()],
        seed,
        baselines: ['hpa-gpu-util', 'keda-queue', 'reactive-nodes', 'static-peak', 'oracle'],
      })
      const oracle = report.policies.find((p) => p.kind === 'oracle') as PolicyResult
      expect(oracle.metrics.gpuHours).toBeGreaterThan(0)
      const meeting = report.policies.filter((p) => p.kind !== 'oracle' && p.metrics.sloAttainment >= 0.99)
      // Not vacuous: on every trace some policy meets the SLO (static-peak at least).
      expect(meeting.length).toBeGreaterThan(0)
      for (const p of meeting) expect(p.metrics.gpuHours, p.name).toBeGreaterThanOrEqual(oracle.metrics.gpuHours)
      // The oracle is not an empty bound either: the demand needs GPUs for the whole trace.
      expect(oracle.metrics.gpuHoursSplit.serving).toBeGreaterThan(0)
    },
    120_000,
  )
})

function twoModels(seed: number): SyntheticTraceSpec {
  return {
    seed,
    pattern: 'bursty',
    durationSeconds: 20 * 60,
    models: [
      {name: 'llama-8b', meanRps: 3},
      {name: 'llama-70b', meanRps: 0.5},
    ],
    burst: {factor: 4, meanBurstSeconds: 120, meanGapSeconds: 300},
  }
}

function poisson(seed: number): SyntheticTraceSpec {
  return {seed, pattern: 'poisson', durationSeconds: 20 * 60, models: [{name: 'llama-8b', meanRps: 5}]}
}

describe('multi-signal against the seed setup', () => {
  test.each([
    {trace: 41, minutes: 45},
    {trace: 11, minutes: 45},
  ])(
    'on/off bursts (trace seed $trace, $minutes min): the multi-signal defaults beat hpa-gpu-util on attainment',
    async ({trace, minutes}) => {
      const {report} = await simulateTrace({
        config: MULTI_SIGNAL,
        traces: [writeTrace(`on-off-${trace}.csv`, onOff(trace, minutes))],
        baselines: ['hpa-gpu-util', 'oracle'],
      })
      const mine = byName(report.policies, 'multi-signal')
      const hpa = byName(report.policies, 'hpa-gpu-util')
      const oracle = byName(report.policies, 'oracle')
      const line = (p: PolicyResult) =>
        `${p.name}: attainment ${(p.metrics.sloAttainment * 100).toFixed(2)}%, ${p.metrics.gpuHours.toFixed(2)} GPU-h`
      // The figures the project report quotes; printed so a run shows them.
      console.log(`on/off trace ${trace}: ${[mine, hpa, oracle].map(line).join('; ')}`)
      // Why: GPU utilization over 3 minutes rises slowly from a near-idle fleet, and HPA counts Pending pods as
      // idle, so it adds replicas a few at a time; the engine queue jumps at once and asks for all of them.
      expect(mine.metrics.sloAttainment).toBeGreaterThan(hpa.metrics.sloAttainment)
      expect(mine.metrics.requests.total).toBe(hpa.metrics.requests.total)
    },
    120_000,
  )
})

describe('trace load and options', () => {
  test("with --scenario, the trace replaces the scenario's own load: every measured request is a trace request", async () => {
    const path = writeTrace('scenario.csv', poisson(51))
    const lines = generateSyntheticRequests(poisson(51))
    let count = 0
    for (const _ of lines) count++
    const {report} = await simulateTrace({scenario: 'burst', traces: [path]})
    // The burst scenario alone sends 2 req/s with 14 req/s bursts: 2,400+ requests in 20 minutes, not these.
    expect(report.policies[0]?.metrics.requests.total).toBe(count)
  }, 60_000)

  test('a rate trace sampled becomes Poisson arrivals at its rates: the request count is within 5σ of the integral', async () => {
    const {report} = await run({traces: ['examples/traces/diurnal-rates.csv'], window: '..20m', requests: 'sampled'})
    // The first two 10-minute rows: llama-8b 0.965 then 0.943 req/s, llama-70b 0.2 then 0.23 req/s.
    const expected = 600 * (0.965 + 0.943333 + 0.2 + 0.23)
    const total = report.policies[0]?.metrics.requests.total ?? 0
    expect(Math.abs(total - expected)).toBeLessThan(5 * Math.sqrt(expected))
  }, 60_000)

  test.each([3, 5])(
    '--peak-replicas %i: the busiest minute needs exactly that many replicas at SLO capacity (the oracle peaks there)',
    async (peak) => {
      const path = writeTrace(`peak-${peak}.csv`, poisson(52))
      const {report, notes} = await run({traces: [path], for: '5m', peakReplicas: peak, baselines: ['oracle']})
      expect(notes.join('\n')).toMatch(new RegExp(`rate scaled ×[\\d.]+ so the busiest minute needs ${peak} replicas`))
      const oracle = report.policies.find((p) => p.kind === 'oracle')
      expect(Math.max(...(oracle?.oracleReplicas?.['llama-8b'] ?? []).map((s) => s.replicas))).toBe(peak)
    },
    60_000,
  )

  test('--seeds 2 reports the mean with a spread per metric, and the seeds it used', async () => {
    const {report} = await run({traces: [writeTrace('seeds.csv', poisson(53))], for: '5m', seeds: 2, seed: 7})
    expect(report.seeds).toEqual([7, 8])
    expect(report.policies[0]?.spread?.gpu_hours).toBeDefined()
  }, 60_000)
})

describe('bad input: one clear error each, before any replay', () => {
  const good = () => writeTrace('good.csv', poisson(61))
  const badRows = () => {
    const path = join(dir, 'bad.csv')
    writeFileSync(path, 'timestamp,model,input_tokens,output_tokens\n0.5,llama-8b,100,20\n1.0,llama-8b,lots,20\n')
    return path
  }
  test.each([
    {
      why: 'a malformed row names its file and line',
      request: () => ({traces: [badRows()]}),
      error: /bad\.csv:3: input_tokens/,
    },
    {
      why: 'a trace model the config does not have says how to map it',
      request: () => ({traces: [writeTrace('other.csv', {...poisson(62), models: [{name: 'mixtral', meanRps: 1}]})]}),
      error: /"mixtral" is not in the config \(models: llama-8b, llama-70b\)/,
    },
    {
      why: 'a trace with no model column lands on the `default` model unless --model says which',
      request: () => ({traces: [writeTrace('azure.csv', poisson(63), 'azure-llm')]}),
      error: /"default" is not in the config/,
    },
    {
      why: '--model must be a model of the config',
      request: () => ({traces: [good()], model: 'llama-9b'}),
      error: /--model llama-9b is not a model of the config/,
    },
    {
      why: 'a --fail-if typo points at its column, and nothing is replayed',
      request: () => ({traces: ['/nonexistent.csv'], failIf: ['slo < 99.5', 'gpu_hours > 1.1 * agianst']}),
      error: /unknown policy "agianst" \(did you mean against\?\).*at column 19/,
    },
    {
      why: 'a window that is not FROM..TO',
      request: () => ({traces: [good()], window: '10m-20m'}),
      error: /--window 10m-20m is not FROM\.\.TO/,
    },
    {
      why: 'an --against config for another fleet',
      request: () => ({traces: [good()], against: 'examples/snapshots/inference-fleet.config.yaml'}),
      error: /is not in the fleet being replayed/,
    },
    {
      why: 'an unknown request model names the three there are',
      request: () => ({traces: [good()], requests: 'exact'}),
      error: /--requests exact is not a request model/,
    },
    {
      why: 'no -c and no --scenario: there is no fleet to replay in',
      request: () => ({traces: [good()], config: undefined}),
      error: /needs the policy config that describes the fleet \(-c FILE\)/,
    },
  ])('$why', async ({request, error}) => {
    await expect(run(request() as SimulateTraceRequest)).rejects.toThrow(error)
  })

  test('--skip-bad-rows replays the good rows and says how many it skipped', async () => {
    const {report, notes} = await run({traces: [badRows()], skipBadRows: true, for: '2m'})
    expect(report.policies[0]?.metrics.requests.total).toBe(1)
    expect(notes.join('\n')).toMatch(/skipped 1 malformed row\(s\), first: .*bad\.csv:3/)
  }, 60_000)
})

describe('a per-request trace streams: results do not depend on how it is chunked', () => {
  // Rows sharing a timestamp (1 s resolution) put ties at chunk boundaries; two files exercise the merge.
  const whole = (seconds: boolean, name: string, spec: SyntheticTraceSpec): string => {
    const path = join(dir, name)
    const lines = [...formatTraceLines('requests-csv', generateSyntheticRequests(spec))]
    const rows = seconds ? lines.map((l, i) => (i === 0 ? l : l.replace(/^(\d+)\.\d+/, '$1'))) : lines
    writeFileSync(path, rows.join('\n') + '\n')
    return path
  }
  test.each([
    {
      why: 'one bursty file on two models, every request its own chunk',
      traces: () => [whole(false, 'chunks-a.csv', twoModels(71))],
      chunk: 1,
    },
    {
      why: 'whole-second timestamps, so chunks end inside runs of equal times',
      traces: () => [whole(true, 'chunks-b.csv', poisson(72))],
      chunk: 5,
    },
    {
      why: 'two files mapped to two models, merged as they stream',
      traces: () => [
        `llama-8b=${whole(true, 'chunks-c.csv', poisson(73))}`,
        `llama-70b=${whole(false, 'chunks-d.csv', {...poisson(74), models: [{name: 'x', meanRps: 0.5}]})}`,
      ],
      chunk: 3,
    },
  ])(
    '$why: chunks of $chunk give the very report of one chunk',
    async ({traces, chunk}) => {
      const files = traces()
      const request = {traces: files, for: '10m', baselines: ['hpa-gpu-util'], seeds: 2} as const
      const small = await run({...request, baselines: [...request.baselines], chunkRequests: chunk})
      const large = await run({...request, baselines: [...request.baselines], chunkRequests: 1_000_000})
      expect(small.report.policies[0]?.metrics.requests.total).toBeGreaterThan(100)
      expect(JSON.stringify(small.report)).toBe(JSON.stringify(large.report))
    },
    120_000,
  )
})

describe('the request model (--requests)', () => {
  test.each([
    {
      why: 'a rate trace has no requests of its own to replay: fluid by default',
      trace: 'examples/traces/diurnal-rates.csv',
      requests: undefined,
      expected: 'fluid',
    },
    {
      why: 'a per-request trace replays its own requests one by one by default',
      trace: 'examples/traces/bursty-requests.csv',
      requests: undefined,
      expected: 'sampled',
    },
    {
      why: '--requests sampled draws a rate trace as Poisson requests',
      trace: 'examples/traces/diurnal-rates.csv',
      requests: 'sampled',
      expected: 'sampled',
    },
    {
      why: '--requests fluid replays a per-request trace as its rate series',
      trace: 'examples/traces/bursty-requests.csv',
      requests: 'fluid',
      expected: 'fluid',
    },
  ])(
    '$why',
    async ({trace, requests, expected}) => {
      const {report} = await run({traces: [trace], window: '..20m', ...(requests ? {requests} : {})})
      expect(report.requestModel).toBe(expected)
      // Either way the requests are measured (a fluid cohort counts with its size).
      expect(report.policies[0]?.metrics.requests.total).toBeGreaterThan(50)
      // Counted in whole requests, also when they were a flow.
      const {total, withinSlo} = report.policies[0]!.metrics.requests
      expect([Number.isInteger(total), Number.isInteger(withinSlo)]).toEqual([true, true])
    },
    60_000,
  )

  test.each([
    {why: 'a rate trace', trace: 'examples/traces/diurnal-rates.csv', model: undefined},
    {
      why: 'a per-request trace, fluid on its rate series',
      trace: 'examples/traces/poisson-azure.csv',
      model: 'llama-8b',
    },
  ])(
    'sampled and fluid agree on an unsaturated trace ($why): requests, attainment, GPU-hours',
    async ({trace, model}) => {
      const request = {traces: [trace], ...(model ? {model} : {}), window: '..40m', baselines: ['static-peak']}
      const sampled = await run({...request, requests: 'sampled'})
      const fluid = await run({...request, requests: 'fluid'})
      for (const name of ['seed-production', 'static-peak']) {
        const [s, f] = [byName(sampled.report.policies, name), byName(fluid.report.policies, name)]
        const expected = f.metrics.requests.total
        // Fluid counts the integral of the rate; sampled draws (or replays) about as many.
        expect(Math.abs(s.metrics.requests.total - expected), name).toBeLessThan(5 * Math.sqrt(expected) + 2)
        // Unsaturated: both meet the SLO nearly always, so the optimism of fluid near saturation does not show.
        expect(s.metrics.sloAttainment, name).toBeGreaterThan(0.98)
        expect(Math.abs(s.metrics.sloAttainment - f.metrics.sloAttainment), name).toBeLessThan(0.01)
        expect(Math.abs(s.metrics.gpuHours - f.metrics.gpuHours) / s.metrics.gpuHours, name).toBeLessThan(0.1)
      }
    },
    120_000,
  )
})
